// Two small SVG charts: the Lorenz curve of covered share across units, and
// the plan trajectory (share per plan year and implementation rate).
import { esc, pct } from './i18n.js';

const W = 320, H = 200, P = { l: 34, r: 8, t: 8, b: 30 };
const sx = (x) => P.l + x * (W - P.l - P.r);
const sy = (y) => H - P.b - y * (H - P.t - P.b);

function axes(xlabel, ylabel) {
  let s = `<line x1="${sx(0)}" y1="${sy(0)}" x2="${sx(1)}" y2="${sy(0)}" stroke="#555"/>`;
  s += `<line x1="${sx(0)}" y1="${sy(0)}" x2="${sx(0)}" y2="${sy(1)}" stroke="#555"/>`;
  for (const v of [0, 0.5, 1]) {
    s += `<text x="${sx(0) - 3}" y="${sy(v) + 3}" text-anchor="end">${v * 100}%</text>`;
    s += `<text x="${sx(v)}" y="${sy(0) + 12}" text-anchor="middle">${v * 100}%</text>`;
  }
  s += `<text x="${(sx(0) + sx(1)) / 2}" y="${H - 4}" text-anchor="middle">${esc(xlabel)}</text>`;
  s += `<text transform="translate(9 ${(sy(0) + sy(1)) / 2}) rotate(-90)" text-anchor="middle">${esc(ylabel)}</text>`;
  return s;
}

// lorenz draws the curve; names[i] labels the unit that ends at point i+1.
export function lorenz(x, y, names, xlabel, ylabel) {
  let s = `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img">` + axes(xlabel, ylabel);
  s += `<line x1="${sx(0)}" y1="${sy(0)}" x2="${sx(1)}" y2="${sy(1)}" stroke="#aaa" stroke-dasharray="4 3"/>`;
  s += `<polyline fill="none" stroke="#0b6e4f" stroke-width="2" points="${x.map((v, i) => `${sx(v)},${sy(y[i])}`).join(' ')}"/>`;
  for (let i = 1; i < x.length; i++) {
    s += `<circle cx="${sx(x[i])}" cy="${sy(y[i])}" r="2.5" fill="#0b6e4f"/>`;
    if (names[i - 1] && x[i] - x[i - 1] > 0.04) {
      const mx = (x[i] + x[i - 1]) / 2, my = (y[i] + y[i - 1]) / 2;
      s += `<text x="${sx(mx) + 4}" y="${sy(my) - 4}" fill="#333">${esc(names[i - 1])}</text>`;
    }
  }
  return s + '</svg>';
}

// trajectory draws one line per series over the steps (labels on x).
export function trajectory(labels, series, current) {
  const n = labels.length;
  const px = (i) => sx(n > 1 ? i / (n - 1) : 0.5);
  let s = `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img">`;
  s += `<line x1="${sx(0)}" y1="${sy(0)}" x2="${sx(1)}" y2="${sy(0)}" stroke="#555"/><line x1="${sx(0)}" y1="${sy(0)}" x2="${sx(0)}" y2="${sy(1)}" stroke="#555"/>`;
  for (const v of [0, 0.5, 1]) s += `<text x="${sx(0) - 3}" y="${sy(v) + 3}" text-anchor="end">${v * 100}%</text>`;
  labels.forEach((l, i) => { s += `<text x="${px(i)}" y="${sy(0) + 12}" text-anchor="middle" ${i === current ? 'font-weight="700"' : ''}>${esc(l)}</text>`; });
  if (current != null) s += `<line x1="${px(current)}" y1="${sy(0)}" x2="${px(current)}" y2="${sy(1)}" stroke="#e8590c" stroke-dasharray="3 3"/>`;
  series.forEach((se, k) => {
    s += `<polyline fill="none" stroke="${se.color}" stroke-width="2" points="${se.values.map((v, i) => `${px(i)},${sy(v ?? 0)}`).join(' ')}"/>`;
    se.values.forEach((v, i) => { s += `<circle cx="${px(i)}" cy="${sy(v ?? 0)}" r="2.5" fill="${se.color}"><title>${esc(se.name)} ${pct(v)}</title></circle>`; });
    s += `<rect x="${sx(0) + 6}" y="${P.t + 4 + k * 13}" width="10" height="3" fill="${se.color}"/><text x="${sx(0) + 20}" y="${P.t + 8 + k * 13}">${esc(se.name)}</text>`;
  });
  return s + '</svg>';
}
