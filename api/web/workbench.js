// The street official's workbench: scenarios, a proposed site placed and
// dragged on the map with its gain shown before saving, recommendations in
// build order, and the comparison with the baseline. Needs a server with a
// store; without one it says so.
import { t, typeName, num, pct, esc } from './i18n.js';
import { get, post, qs, token } from './api.js';

const $ = (sel) => document.querySelector(sel);

export class Workbench {
  constructor(app, map, maplibregl) {
    this.app = app;
    this.map = map;
    this.ml = maplibregl;
    this.scenarios = null; // null: not loaded yet
    this.scenario = null;
    this.proposals = [];
    this.types = [app.state.type];
    this.site = null; // {lon, lat}
    this.marker = null;
    this.gain = null;
    this.saved = null;
    this.rec = null;
    this.recMarkers = [];
    this.compare = null;
    this.placing = false;
    this.error = '';
    this.busy = 0;
  }

  get hasStore() { return this.app.health && this.app.health.store; }

  async open() {
    if (!this.hasStore) { this.render(); return; }
    if (this.scenarios === null) await this.loadScenarios();
    if (!this.scenario && this.app.state.scenario) await this.openScenario(this.app.state.scenario);
    this.render();
  }

  async loadScenarios() {
    try {
      this.scenarios = (await get('/v1/scenarios')).scenarios;
    } catch (e) {
      this.scenarios = [];
      this.fail(e);
    }
  }

  fail(e) {
    this.error = e.message || String(e);
    this.app.toast(this.error, true);
    this.render();
  }

  async openScenario(id) {
    try {
      this.scenario = await get(`/v1/scenarios/${encodeURIComponent(id)}`);
      this.proposals = (await get(`/v1/scenarios/${encodeURIComponent(id)}/proposals`)).proposals;
      this.app.state.scenario = id;
      this.gain = this.saved = this.compare = null;
      this.showProposals();
      this.app.writeURL();
    } catch (e) {
      this.scenario = null;
      this.fail(e);
    }
    this.render();
  }

  async createScenario() {
    const name = $('#sc-name').value.trim();
    const unit = $('#sc-unit').value;
    try {
      const sc = await post('/v1/scenarios', { name, unit, description: '' });
      this.scenarios = [...(this.scenarios || []), sc];
      await this.openScenario(sc.id);
      this.error = '';
    } catch (e) { this.fail(e); }
  }

  typeChanged() {
    if (!this.site && !this.gain) this.types = [this.app.state.type];
    this.render();
  }

  // handleClick takes a map click while a site is being placed.
  handleClick(e) {
    if (!this.placing) return false;
    this.placing = false;
    this.setSite(e.lngLat.lng, e.lngLat.lat);
    return true;
  }

  setSite(lon, lat) {
    this.site = { lon, lat };
    this.saved = null;
    if (!this.marker) {
      const el = document.createElement('div');
      el.className = 'site-marker';
      el.title = t('drag_hint');
      this.marker = new this.ml.Marker({ element: el, draggable: true }).setLngLat([lon, lat]).addTo(this.map);
      this.marker.on('dragend', () => {
        const p = this.marker.getLngLat();
        this.site = { lon: p.lng, lat: p.lat };
        this.saved = null;
        this.whatIf();
      });
    } else {
      this.marker.setLngLat([lon, lat]);
    }
    return this.whatIf();
  }

  body() {
    const name = ($('#site-name') || {}).value || '';
    const cap = Number(($('#site-cap') || {}).value || 0);
    return {
      facilities: this.types.map((type) => ({ type, lon: this.site.lon, lat: this.site.lat, name, ...(cap > 0 ? { capacity: cap } : {}) })),
    };
  }

  async whatIf() {
    if (!this.site || !this.scenario || !this.types.length) { this.render(); return; }
    const t0 = performance.now();
    const seq = ++this.busy;
    try {
      const ans = await post(`/v1/scenarios/${this.scenario.id}/whatif`, this.body());
      if (seq !== this.busy) return;
      this.gain = ans.shown;
      this.error = '';
      this.render();
      this.showCells(this.gain);
      this.app.timings.whatIfMs = performance.now() - t0;
      this.app.whatIfCount = (this.app.whatIfCount || 0) + 1;
    } catch (e) {
      if (seq === this.busy) { this.gain = null; this.fail(e); }
    }
  }

  async submit() {
    try {
      const p = await post(`/v1/scenarios/${this.scenario.id}/proposals`, this.body());
      this.saved = p;
      this.proposals.push(p);
      this.gain = null;
      this.error = '';
      if (this.marker) { this.marker.remove(); this.marker = null; }
      this.site = null;
      this.showProposals();
      this.render();
      this.showCells(p.shown);
      this.app.toast(t('saved', { id: p.id }));
    } catch (e) { this.fail(e); }
  }

  // showCells highlights the cells a gain changes (on the cell tiles, by h3).
  showCells(gains) {
    const ids = [];
    for (const g of gains || []) for (const c of g.cells || []) ids.push(c.h3);
    this.app.setChanged(ids);
  }

  showProposals() {
    const features = [];
    for (const p of this.proposals) for (const f of p.facilities || []) {
      features.push({ type: 'Feature', geometry: { type: 'Point', coordinates: f.location }, properties: { id: f.id, type: f.type, proposal: p.id } });
    }
    this.app.setOverlay('sites', features);
  }

  async recommend() {
    const k = Number($('#rec-k').value || 0);
    const target = Number($('#rec-target').value || 0) / 100;
    const req = { types: this.types.map((id) => ({ id })), min_spacing_m: Number($('#rec-spacing').value || 0) };
    if (target > 0) req.target_share = target; else req.k = k || 5;
    if (target > 0 && k) req.k = k;
    if ($('#rec-in-unit').checked && this.scenario && this.scenario.unit) req.unit = this.scenario.unit;
    try {
      this.rec = await post('/v1/recommend', req);
      this.error = '';
    } catch (e) { this.rec = null; this.fail(e); return; }
    for (const m of this.recMarkers) m.remove();
    this.recMarkers = this.rec.sites.map((s) => {
      const el = document.createElement('div');
      el.className = 'rec-marker';
      el.textContent = String(s.rank);
      el.title = `${t('build_order')} ${s.rank}: +${num(s.gain)}`;
      return new this.ml.Marker({ element: el }).setLngLat(s.location).addTo(this.map);
    });
    this.render();
  }

  async accept(rank) {
    const s = this.rec.sites.find((x) => x.rank === rank);
    if (!s) return;
    await this.setSite(s.location[0], s.location[1]);
    await this.submit();
  }

  async loadCompare() {
    try {
      const [cmp, delta] = await Promise.all([
        get(`/v1/scenarios/${this.scenario.id}/compare`),
        get(`/v1/scenarios/${this.scenario.id}/layers/delta${qs({ type: this.app.state.type })}`),
      ]);
      this.compare = cmp.comparison;
      // the delta is only the cells that change: their ids light up on the cell tiles
      this.app.setChanged(delta.features.filter((f) => f.properties.change === 'newly_covered').map((f) => f.properties.h3));
      this.error = '';
    } catch (e) { this.fail(e); return; }
    this.render();
  }

  gainHTML(gains, title, id) {
    if (!gains || !gains.length) return '';
    const app = this.app;
    let html = `<div id="${id}"><h3>${esc(title)}</h3>`;
    for (const g of gains) {
      // completeness before/after over the changed cells, weighted by population
      const levels = {};
      for (const c of g.cells) for (const [l, v] of Object.entries(c.completeness_before || {})) {
        const e = (levels[l] ||= { pop: 0, b: 0, a: 0 });
        e.pop += c.population; e.b += c.population * v; e.a += c.population * c.completeness_after[l];
      }
      html += `<p>${esc(t('total_new'))}：<b class="gain-total">${num(g.residents_newly_covered)}</b> · ${esc(t('cells_changed'))} <b>${num(g.cells.length)}</b></p>
      <table class="gain-types"><thead><tr><th>${esc(t('type'))}</th><th class="n">${esc(t('newly'))}</th><th class="n">${esc(t('share_change'))}</th></tr></thead><tbody>
      ${g.types.map((x) => `<tr data-type="${x.id}"><td>${esc(typeName(app.types.get(x.id)))}</td><td class="n"><b>${num(x.newly_covered)}</b></td><td class="n">${pct(x.share_before, 2)} → ${pct(x.share_after, 2)}</td></tr>`).join('')}
      </tbody></table>`;
      const lv = Object.entries(levels);
      if (lv.length) html += `<h3>${esc(t('completeness_change'))}</h3><table><tbody>${lv.map(([l, e]) => `<tr><td>${esc(t('level_' + l))}</td><td class="n">${pct(e.b / e.pop)} → ${pct(e.a / e.pop)}</td></tr>`).join('')}</tbody></table>`;
      if (g.units && g.units.length) {
        html += `<h3>${esc(t('per_unit'))}</h3><table><tbody>${g.units.map((u) => `<tr><td>${esc(u.name)} <small class="note">${esc(t('ul_' + u.level))}</small></td><td>${Object.entries(u.newly_covered).map(([k, v]) => `${esc(typeName(app.types.get(k)))} +${num(v)}`).join('<br>')}</td></tr>`).join('')}</tbody></table>`;
      }
    }
    return html + '</div>';
  }

  render() {
    const el = $('#work-panel');
    if (!el) return;
    const app = this.app;
    if (!this.hasStore) {
      el.innerHTML = `<h2>${esc(t('view_work'))}</h2><div class="warn" id="no-store">${esc(t('no_store'))}</div>`;
      return;
    }
    const units = (app.allUnits || []).map((f) => f.properties);
    const sc = this.scenario;
    let html = `
      <h2>${esc(t('token'))}</h2>
      <label><input type="password" id="token" value="${esc(token.get())}" autocomplete="off" style="width:70%"> <button class="act sec" id="token-save">${esc(t('save'))}</button></label>
      <p class="note">${esc(t('token_note'))}</p>
      ${this.error ? `<div class="err" id="wb-error">${esc(this.error)}</div>` : ''}
      <h2>${esc(t('scenarios'))}</h2>
      <label><select id="sc-list" style="width:70%"><option value="">—</option>${(this.scenarios || []).map((s) => `<option value="${esc(s.id)}" ${sc && sc.id === s.id ? 'selected' : ''}>${esc(s.name)}${s.unit ? ' · ' + esc((units.find((u) => u.code === s.unit) || {}).name || s.unit) : ''}</option>`).join('')}</select>
        <button class="act sec" id="sc-open">${esc(t('open'))}</button></label>
      <details ${this.scenarios && this.scenarios.length ? '' : 'open'}><summary>${esc(t('create'))}</summary>
        <label><span>${esc(t('name'))}</span><input type="text" id="sc-name" value="${esc(t('type') === '设施类型' ? '幼儿园补缺' : 'More kindergartens')}"></label>
        <label><span>${esc(t('jurisdiction'))}</span><select id="sc-unit"><option value="">${esc(t('whole_city'))}</option>${units.map((u) => `<option value="${esc(u.code)}">${esc(u.name)} · ${esc(t('ul_' + u.level))}</option>`).join('')}</select></label>
        <button class="act" id="sc-create">${esc(t('create'))}</button>
      </details>`;
    if (!sc) {
      el.innerHTML = html + `<p class="note" id="wb-hint">${esc(t('no_scenario'))}</p>`;
      this.bind();
      return;
    }
    html += `
      <h2>${esc(t('scenario'))}：<span id="sc-title">${esc(sc.name)}</span></h2>
      <p class="note">${esc(sc.id)} · ${esc(sc.author || '')} · ${esc(t('jurisdiction'))} ${esc(sc.unit ? (units.find((u) => u.code === sc.unit) || {}).name || sc.unit : t('whole_city'))} · ${esc(t('proposals'))} ${this.proposals.length}</p>
      <h3>${esc(t('site_types'))}</h3>
      <div class="types-pick" id="site-types">${app.catalog.types.map((ty) => `<label><input type="checkbox" value="${ty.id}" ${this.types.includes(ty.id) ? 'checked' : ''}> ${esc(typeName(ty))}</label>`).join('')}</div>
      <label><span>${esc(t('name'))}</span><input type="text" id="site-name" value=""></label>
      <label><span>${esc(t('capacity'))}</span><input type="number" id="site-cap" min="0" value=""></label>
      <button class="act" id="site-place">${esc(this.placing ? t('placing') : t('place'))}</button>
      ${this.site ? `<p class="note">${esc(t('drag_hint'))} · ${this.site.lon.toFixed(5)}, ${this.site.lat.toFixed(5)}</p>` : ''}
      ${this.gainHTML(this.gain, t('gain'), 'gain')}
      ${this.gain ? `<button class="act" id="site-submit">${esc(t('submit'))}</button>` : ''}
      ${this.saved ? `<div class="ok">${esc(t('saved', { id: this.saved.id }))}</div>${this.gainHTML(this.saved.shown, t('proposals'), 'saved')}` : ''}
      <h2>${esc(t('recommend'))}</h2>
      <label><span>${esc(t('k'))}</span><input type="number" id="rec-k" min="1" max="50" value="5" style="width:5rem"></label>
      <label><span>${esc(t('target'))} %</span><input type="number" id="rec-target" min="0" max="100" value="" style="width:5rem"></label>
      <label><span>${esc(t('spacing'))}</span><input type="number" id="rec-spacing" min="0" value="300" style="width:5rem"></label>
      <label><input type="checkbox" id="rec-in-unit" ${sc.unit ? 'checked' : 'disabled'}> ${esc(t('in_unit'))}</label>
      <button class="act sec" id="rec-ask">${esc(t('ask'))}</button>
      ${this.rec ? `<table id="rec-table"><thead><tr><th>${esc(t('build_order'))}</th><th class="n">${esc(t('newly'))}</th><th class="n">${esc(t('cum_share'))}</th><th></th></tr></thead><tbody>
        ${this.rec.sites.map((s) => `<tr><td>${s.rank}</td><td class="n">${num(s.gain)}</td><td class="n">${pct(s.cumulative_weighted_share)}</td><td><button class="act sec" data-accept="${s.rank}">${esc(t('accept'))}</button></td></tr>`).join('')}</tbody></table>` : ''}
      <h2>${esc(t('compare'))}</h2>
      <button class="act sec" id="cmp-load">${esc(t('compare'))}</button>
      ${this.compare ? this.compareHTML() : ''}`;
    el.innerHTML = html;
    this.bind();
  }

  compareHTML() {
    const c = this.compare;
    const tn = (id) => typeName(this.app.types.get(id));
    return `<table id="cmp-types"><thead><tr><th>${esc(t('type'))}</th><th class="n">${esc(t('newly_covered'))}</th><th class="n">${esc(t('newly_uncovered'))}</th><th class="n">${esc(t('share_change'))}</th></tr></thead><tbody>
      ${c.types.map((x) => `<tr><td>${esc(tn(x.id))}</td><td class="n">${num(x.newly_covered)}</td><td class="n">${num(x.newly_uncovered)}</td><td class="n">${pct(x.share_before, 2)} → ${pct(x.share_after, 2)}</td></tr>`).join('') || '<tr><td colspan="4">—</td></tr>'}</tbody></table>
      ${(c.units || []).length ? `<h3>${esc(t('per_unit'))}</h3><table><tbody>${c.units.map((u) => `<tr><td>${esc(u.name)}</td><td>${u.types.map((x) => `${esc(tn(x.id))} +${num(x.newly_covered)}`).join('<br>')}</td></tr>`).join('')}</tbody></table>` : ''}`;
  }

  bind() {
    const on = (id, fn) => { const e = document.getElementById(id); if (e) e.onclick = fn; };
    on('token-save', () => { token.set($('#token').value.trim()); this.error = ''; this.app.toast(t('save') + ' ✓'); this.render(); });
    on('sc-open', () => { const id = $('#sc-list').value; if (id) this.openScenario(id); });
    on('sc-create', () => this.createScenario());
    on('site-place', () => { this.placing = true; this.render(); });
    on('site-submit', () => this.submit());
    on('rec-ask', () => this.recommend());
    on('cmp-load', () => this.loadCompare());
    document.querySelectorAll('[data-accept]').forEach((b) => { b.onclick = () => this.accept(Number(b.dataset.accept)); });
    const pick = document.getElementById('site-types');
    if (pick) pick.onchange = () => {
      this.types = [...pick.querySelectorAll('input:checked')].map((i) => i.value);
      if (this.site) this.whatIf();
    };
  }
}
