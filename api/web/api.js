// Talking to the lifecircle API: JSON in and out, the workbench token on
// every request, and errors turned into messages a person can act on.
import { t } from './i18n.js';

const TOKEN_KEY = 'lifecircle.token';
export const token = {
  get: () => localStorage.getItem(TOKEN_KEY) || '',
  set: (v) => (v ? localStorage.setItem(TOKEN_KEY, v) : localStorage.removeItem(TOKEN_KEY)),
};

export class ApiError extends Error {
  constructor(status, body, path) {
    const known = { 401: 'err_401', 403: 'err_403', 503: 'err_503' }[status];
    let msg = body && body.error ? body.error : `HTTP ${status}`;
    if (known) msg = `${t(known)}${body && body.error ? ' — ' + body.error : ''}`;
    super(msg);
    this.status = status;
    this.parameter = body && body.parameter;
    this.path = path;
  }
}

async function call(method, path, body, signal) {
  const headers = { Accept: 'application/json' };
  const tok = token.get();
  if (tok) headers.Authorization = `Bearer ${tok}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
  const text = await resp.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { error: text }; }
  if (!resp.ok) throw new ApiError(resp.status, data, path);
  return data;
}

export const get = (path, signal) => call('GET', path, undefined, signal);
export const post = (path, body, signal) => call('POST', path, body, signal);

// qs builds a query string, leaving out empty values.
export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, v);
  const s = u.toString();
  return s ? '?' + s : '';
}
