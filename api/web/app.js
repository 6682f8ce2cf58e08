// lifecircle's map: the planner's view and the street official's
// workbench over the /v1 API. Plain ES modules, MapLibre vendored, nothing
// fetched from the internet. The view lives in the URL.
import { t, setLang, getLang, typeName, num, pct, esc } from './i18n.js';
import { get, qs } from './api.js';
import * as charts from './charts.js';
import { Workbench } from './workbench.js';

const $ = (sel) => document.querySelector(sel);
const LEVELS = ['lc15', 'lc10', 'lc5', 'block'];
const PROFILES = ['default', 'elderly', 'adult'];
const UNIT_LEVELS = ['district', 'street', 'community', 'grid'];

// ---- state and URL --------------------------------------------------------
const defaults = { view: 'plan', type: 'kindergarten', unit: '', by: 'district', metric: 'share', profile: 'default', step: '0', scenario: '', lang: 'zh', z: '', c: '', print: '' };
export const state = { ...defaults };

function readURL() {
  const q = new URLSearchParams(location.search);
  for (const k of Object.keys(defaults)) if (q.has(k)) state[k] = q.get(k);
}
export function writeURL() {
  if (map) {
    const c = map.getCenter();
    state.z = map.getZoom().toFixed(2);
    state.c = `${c.lng.toFixed(5)},${c.lat.toFixed(5)}`;
  }
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(state)) if (v !== '' && v !== defaults[k]) q.set(k, v);
  q.set('type', state.type);
  history.replaceState(null, '', '?' + q.toString());
}

// ---- shared data ------------------------------------------------------------
const app = {
  state, catalog: null, types: new Map(), health: null, summary: null, units: null, unitLevels: [],
  gapAreas: [], trajectory: null, equity: null, changed: [], selectedCell: '',
  timings: {}, marks: [], ready: false, drawn: 0,
};
window.__app = app;
app.writeURL = () => writeURL();
let map;
// MapLibre (1 MB) is imported while the catalogue is fetched (index.html
// preloads it), and its worker is started (prewarm) before the map exists.
let maplibregl;
const maplibreReady = import('./vendor/maplibre-gl/maplibre-gl.mjs').then((m) => { maplibregl = m; m.prewarm(); });
let styleReady; // resolves when the style is parsed: sources can take data

// ---- the first view, before the map exists ------------------------------------
// MapLibre and its worker take the first second or more to start. Meanwhile
// the first view's data is fetched: its layers and panel figures (kept in
// `early` for loadTypeLayers, so no URL is asked twice) and its tiles (into
// the HTTP cache, where the worker's own requests find them and only
// revalidate). The worker then has everything at once and the map is drawn
// in fewer frames (each one costs a software-rendered 1400 × 900 frame
// without a GPU).
const early = new Map();
function fetchEarly(path) {
  if (!early.has(path)) {
    const p = get(path);
    p.catch(() => {}); // its reader reports a failure
    early.set(path, p);
  }
  return early.get(path);
}
function getEarly(path) {
  const p = early.get(path);
  if (!p) return get(path);
  early.delete(path);
  return p;
}

// viewTiles lists the z/x/y of the tiles a view needs (centre, zoom, size in
// CSS pixels), the way MapLibre covers a flat map with 512-pixel tiles at
// floor(zoom), clamped to the source's zoom range.
function viewTiles([lon, lat], zoom, w, h, minz, maxz) {
  const z = Math.floor(zoom);
  if (z < minz) return [];
  const tz = Math.min(z, maxz);
  const world = 512 * 2 ** zoom; // pixels
  const px = ((lon + 180) / 360) * world;
  const s = Math.sin((lat * Math.PI) / 180);
  const py = (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)) * world;
  const n = 2 ** tz, tile = world / n;
  const out = [];
  for (let x = Math.floor((px - w / 2) / tile); x <= Math.floor((px + w / 2) / tile); x++) {
    for (let y = Math.max(0, Math.floor((py - h / 2) / tile)); y <= Math.min(n - 1, Math.floor((py + h / 2) / tile)); y++) {
      out.push(`${tz}/${((x % n) + n) % n}/${y}`);
    }
  }
  return out;
}

// viewBounds is the [west, south, east, north] of a view (centre, zoom, size
// in CSS pixels) before the map exists.
function viewBounds([lon, lat], zoom, w, h) {
  const world = 512 * 2 ** zoom;
  const s = Math.sin((lat * Math.PI) / 180);
  const px = ((lon + 180) / 360) * world, py = (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)) * world;
  const lonOf = (x) => (x / world) * 360 - 180;
  const latOf = (y) => (Math.atan(Math.sinh(Math.PI * (1 - (2 * y) / world))) * 180) / Math.PI;
  return [lonOf(px - w / 2), latOf(py + h / 2), lonOf(px + w / 2), latOf(py - h / 2)];
}

// fetchFirstView asks for the first view's tiles and layers while MapLibre
// starts; it returns the layers the initial style is built with.
function fetchFirstView(center, zoom) {
  const r = $('#map').getBoundingClientRect();
  const at = (tmpl, minz) => viewTiles(center, zoom, r.width, r.height, minz, 16).map((t) => tmpl.replace('{z}/{x}/{y}', t));
  const urls = [...at(coverageTiles(state.type)[0], 10), ...at(gapAreaTiles(state.type)[0], 0), ...(app.basemap ? at(basemapTiles()[0], 0) : [])];
  for (const u of urls) fetch(u).then((resp) => resp.arrayBuffer()).catch(() => {}); // the worker's request reports errors
  const u = layerURLs(state.type, state.by);
  app.firstBox = viewBox(viewBounds(center, zoom, r.width, r.height));
  for (const path of [equityURL(state.type, state.by), ...summaryURLs(), gapListURL(state.type, app.firstBox)]) fetchEarly(path);
  return Promise.all([fetchEarly(u.facilities), fetchEarly(u.units)]).then(([facilities, units]) => ({ facilities, units }), () => ({}));
}

function toast(msg, bad = false) {
  const el = $('#toast');
  el.textContent = msg;
  el.className = bad ? 'bad' : '';
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.hidden = true; }, 5000);
}
app.toast = toast;

function typeOf(id) { return app.types.get(id); }

// ---- map style ------------------------------------------------------------------
const empty = { type: 'FeatureCollection', features: [] };

// Every cell layer is drawn from the vector tiles of the type's coverage
// collection (/tiles/coverage-<type>/…?profile=…, from zoom 10): only what
// is in view is sent, whatever the size of the city, and the server caches
// the tiles by analysis version and profile. The tiles carry the chosen
// walkers' minutes and within_minutes. Three layers share the source: the
// coverage fill, the cells a proposed site or a scenario changes (a filter
// on their h3 ids) and the cell whose panel is open.
function coverageColor(maxMin) {
  const p = (k) => ['get', k];
  return ['case',
    ['==', p('reason'), 'no_walkable_network_nearby'], '#9e9e9e',
    ['all', ['==', p('covered'), true], ['==', p('within_minutes'), true]],
    ['interpolate', ['linear'], ['/', ['max', ['coalesce', p('minutes'), 0], 0], maxMin], 0, '#006837', 0.5, '#66bd63', 1, '#d9ef8b'],
    ['==', p('covered'), true], '#fee08b',
    ['>=', ['coalesce', p('distance_m'), -1], 0], '#fc8d59',
    '#d73027'];
}

// The layers drawn from a type's tiles: the three cell layers and the gap
// areas' outlines (gap-areas-<type>, from zoom 0).
const CELL_LAYERS = ['coverage-fill', 'changed-fill', 'cell-selected', 'gapareas-line'];
function gapAreaTiles(type) {
  return [`${location.origin}/tiles/gap-areas-${encodeURIComponent(type)}/{z}/{x}/{y}.pbf`];
}
function coverageTiles(type) {
  return [`${location.origin}/tiles/coverage-${encodeURIComponent(type)}/{z}/{x}/{y}.pbf${qs({ profile: state.profile === 'default' ? '' : state.profile })}`];
}
function basemapTiles() { return [`${location.origin}/tiles/basemap/{z}/{x}/{y}.pbf`]; }
function layerURLs(type, by) {
  return { facilities: `/v1/layers/facilities${qs({ type })}`, units: `/v1/layers/units${qs({ level: by, type })}` };
}
// the side panel's figures of a type: its equity
function equityURL(type, by) { return `/v1/equity${qs({ type, by })}`; }
function summaryURLs() {
  return [`/v1/summary${qs({ by: state.by, profile: state.profile === 'default' ? '' : state.profile })}`, `/v1/plan/trajectory${qs({ by: state.by })}`];
}
// changedFilter: the cells of app.changed (a match on h3 is a hash lookup).
function changedFilter() {
  const ids = [...new Set(app.changed)];
  return ids.length ? ['match', ['get', 'h3'], ids, true, false] : ['boolean', false];
}
function cellLayer(id, type) {
  const src = { source: 'coverage', 'source-layer': `coverage-${type}` };
  const ty = typeOf(type);
  switch (id) {
    case 'coverage-fill': return { id, type: 'fill', ...src, paint: { 'fill-color': coverageColor((ty && ty.max_walk_min) || 5), 'fill-opacity': 0.78, 'fill-antialias': false } };
    case 'changed-fill': return { id, type: 'fill', ...src, filter: changedFilter(), paint: { 'fill-color': '#00b7ff', 'fill-opacity': 0.85 } };
    case 'gapareas-line': return { id, type: 'line', source: 'gapareas', 'source-layer': `gap-areas-${type}`, paint: { 'line-color': '#7f0000', 'line-width': 1.2, 'line-opacity': 0.7 } };
    default: return { id, type: 'line', ...src, filter: ['==', ['get', 'h3'], app.selectedCell], paint: { 'line-color': '#e8590c', 'line-width': 3 } };
  }
}

// showCoverage points the cell layers at the chosen type and profile. A
// type's tiles have a layer of their own name, so the three cell layers are
// put back in their places on the new tiles; a profile changes the tile
// URL only. Nothing else is rebuilt.
function showCoverage() {
  const type = state.type;
  const tiles = coverageTiles(type);
  const src = map.getSource('coverage');
  const sameTiles = src.tiles && src.tiles[0] === tiles[0];
  if (app.coverageType !== type) {
    const order = map.getLayersOrder();
    const before = CELL_LAYERS.map((id) => order.slice(order.indexOf(id) + 1).find((l) => !CELL_LAYERS.includes(l)));
    for (const id of CELL_LAYERS) map.removeLayer(id);
    if (!sameTiles) src.setTiles(tiles);
    map.getSource('gapareas').setTiles(gapAreaTiles(type));
    CELL_LAYERS.forEach((id, i) => map.addLayer(cellLayer(id, type), before[i]));
    app.coverageType = type;
  } else if (!sameTiles) {
    src.setTiles(tiles);
  }
  if (!sameTiles || app.coverageType !== type) {
    hold(2000);
    watchCoverage(type, tiles[0]);
  }
}

// setChanged highlights the cells with these h3 ids (a what-if's changed
// cells, a scenario's newly covered cells).
export function setChanged(ids) {
  app.changed = ids;
  if (map.getLayer('changed-fill')) map.setFilter('changed-fill', changedFilter());
}
app.setChanged = setChanged;

// watchCoverage records when the chosen type's cells are on screen: the
// first frame after the coverage source has loaded every tile in view at
// its new address with the type's cells queryable (app.timings.coverage_*,
// from the user's change, or from navigation for the first type), and the
// first idle after it. performance marks name both. Each is taken at the
// next animation frame: by then the browser has composited the frame
// MapLibre drew (without a GPU, read its pixels back), so the time is that
// of pixels on screen, not of WebGL calls issued.
function watchCoverage(type, url) {
  const since = app.changeAt ?? 0;
  const what = app.changeAt == null ? 'navigation' : app.changeWhat || 'change';
  const seq = (app.watchSeq = (app.watchSeq || 0) + 1);
  app.coverageReady = false;
  const painted = app.painted;
  const onRender = () => {
    if (seq !== app.watchSeq) { map.off('render', onRender); return; }
    const src = map.getSource('coverage');
    if (!src || src.tiles[0] !== url || !map.isSourceLoaded('coverage') || !app.revealed || app.painted === painted) return;
    // the type's cells are drawn, or there are none in view (outside the city, below zoom 10)
    const hits = map.queryRenderedFeatures({ layers: ['coverage-fill'] });
    if (hits.length && !hits.some((f) => f.properties.type === type)) return;
    map.off('render', onRender);
    app.coverageReady = true;
    // *_event_ms: when MapLibre's event fired (its WebGL calls issued; the
    // figures before the marks moved to the next frame)
    const m = { what, type, profile: state.profile, frames: app.painted - (painted || 0), drawn_event_ms: Math.round(performance.now() - since) };
    requestAnimationFrame(() => {
      m.drawn_ms = Math.round(performance.now() - since);
      performance.mark(`coverage-drawn:${type}`);
      app.marks.push(m);
    });
    map.once('idle', () => {
      m.idle_event_ms = Math.round(performance.now() - since);
    });
    map.once('idle', () => requestAnimationFrame(() => {
      if (seq !== app.watchSeq) return;
      m.idle_ms = Math.round(performance.now() - since);
      performance.mark(`coverage-idle:${type}`);
      app.timings.last = m;
    }));
  };
  map.on('render', onRender);
  map.triggerRepaint();
}

function choroplethColor() {
  const prop = state.metric === 'share' ? 'share' : `completeness_${state.metric}`;
  return ['case', ['==', ['get', prop], null], '#dddddd',
    ['interpolate', ['linear'], ['get', prop], 0, '#f7fcf5', 0.25, '#c7e9c0', 0.5, '#74c476', 0.75, '#31a354', 1, '#006d2c']];
}

// The offline basemap: the service's own tiles of the OSM extract (water,
// green, buildings, roads, place names). Label glyphs come from the server
// (/fonts/…, the Go fonts: Latin, digits); Chinese characters are drawn by
// the browser's own CJK font (localIdeographFontFamily), so no web font.
function basemapLayers() {
  if (!app.basemap) return [];
  const src = { source: 'basemap' };
  return [
    { id: 'bm-green', type: 'fill', ...src, 'source-layer': 'green', paint: { 'fill-color': '#d4e8c4' } },
    { id: 'bm-water', type: 'fill', ...src, 'source-layer': 'water', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': '#a9cfe0' } },
    { id: 'bm-waterway', type: 'line', ...src, 'source-layer': 'water', filter: ['==', ['geometry-type'], 'LineString'], paint: { 'line-color': '#a9cfe0', 'line-width': 1.5 } },
    { id: 'bm-buildings', type: 'fill', ...src, 'source-layer': 'buildings', minzoom: 14, paint: { 'fill-color': '#dcd6cf' } },
  ];
}
function roadLayers() {
  if (!app.basemap) return [];
  const major = ['match', ['get', 'class'], ['motorway', 'trunk', 'primary', 'motorway_link', 'trunk_link', 'primary_link'], true, false];
  return [
    { id: 'bm-roads-minor', type: 'line', source: 'basemap', 'source-layer': 'roads', filter: ['!', major], minzoom: 13,
      paint: { 'line-color': '#ffffff', 'line-opacity': 0.75, 'line-width': ['interpolate', ['linear'], ['zoom'], 13, 0.4, 17, 2.5] } },
    { id: 'bm-roads-major', type: 'line', source: 'basemap', 'source-layer': 'roads', filter: major,
      paint: { 'line-color': '#fffbe6', 'line-opacity': 0.9, 'line-width': ['interpolate', ['linear'], ['zoom'], 10, 0.8, 17, 5] } },
  ];
}

const CJK_FONTS = "'WenQuanYi Micro Hei', 'Noto Sans CJK SC', 'Source Han Sans SC', 'Microsoft YaHei', 'PingFang SC', sans-serif";
// placeText: the place's name in the page's language (Chinese when the
// data has no English name).
function placeText() {
  return getLang() === 'en' ? ['coalesce', ['get', 'name_en'], ['get', 'name_zh'], ['get', 'name']] : ['coalesce', ['get', 'name_zh'], ['get', 'name']];
}
// Districts (OSM suburbs here) are named by the unit labels already.
function placeLayers() {
  if (!app.basemap) return [];
  return [{ id: 'bm-places', type: 'symbol', source: 'basemap', 'source-layer': 'places', filter: ['!=', ['get', 'class'], 'suburb'],
    layout: { 'text-field': placeText(), 'text-font': ['Go Regular'], 'text-size': ['match', ['get', 'class'], 'city', 15, ['town', 'quarter'], 13, 12], 'text-max-width': 8, 'text-padding': 4 },
    paint: { 'text-color': '#333d47', 'text-halo-color': 'rgba(255,255,255,0.9)', 'text-halo-width': 1.4 } }];
}
function setPlaceLanguage() {
  if (map && map.getLayer('bm-places')) map.setLayoutProperty('bm-places', 'text-field', placeText());
}

// buildStyle: the whole style, with the first view's layers when they are
// in (first.facilities, first.units) so that no setData follows the load.
function buildStyle(first = {}) {
  return {
    version: 8,
    transition: { duration: 0, delay: 0 }, // repaint once, not over several frames
    ...(app.basemap ? { glyphs: `${location.origin}/fonts/{fontstack}/{range}.pbf` } : {}),
    sources: {
      units: { type: 'geojson', data: first.units || empty, promoteId: 'code' },
      coverage: { type: 'vector', tiles: coverageTiles(state.type), minzoom: 10, maxzoom: 16, promoteId: 'h3' },
      gapareas: { type: 'vector', tiles: gapAreaTiles(state.type), maxzoom: 16 },
      facilities: { type: 'geojson', data: first.facilities || empty },
      ...(app.basemap ? { basemap: { type: 'vector', tiles: basemapTiles(), minzoom: 0, maxzoom: 16, attribution: '© OpenStreetMap contributors (ODbL)' } } : {}),
    },
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': '#eef0ea' } },
      ...basemapLayers(),
      { id: 'units-fill', type: 'fill', source: 'units', paint: { 'fill-color': choroplethColor(), 'fill-opacity': 0.55 } },
      cellLayer('coverage-fill', state.type),
      ...roadLayers(),
      cellLayer('changed-fill', state.type),
      { id: 'units-line', type: 'line', source: 'units', paint: { 'line-color': '#34495e', 'line-width': ['case', ['boolean', ['feature-state', 'selected'], false], 3.5, 1.4] } },
      cellLayer('gapareas-line', state.type),
      cellLayer('cell-selected', state.type),
      { id: 'facilities-circle', type: 'circle', source: 'facilities', paint: {
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 11, 3.5, 15, 7],
        'circle-color': ['match', ['get', 'status'], 'planned', '#ffffff', 'under_construction', '#9b59b6', '#1f4e9c'],
        'circle-stroke-color': ['match', ['get', 'status'], 'planned', '#e8590c', '#ffffff'],
        'circle-stroke-width': ['match', ['get', 'status'], 'planned', 2.5, 1.2],
        'circle-opacity': ['case', ['get', 'in_force'], 1, 0.55],
      } },
      ...placeLayers(),
    ],
  };
}

// Two overlays exist only once they have something to show (each GeoJSON
// source costs the worker a round trip and the map a frame at start): the
// outline of the gap area flown to, and the workbench's proposed sites.
const OVERLAYS = {
  selected: { layer: { id: 'selected-line', type: 'line', source: 'selected', paint: { 'line-color': '#e8590c', 'line-width': 3 } }, before: 'cell-selected' },
  sites: { layer: { id: 'sites-circle', type: 'circle', source: 'sites', paint: { 'circle-radius': 6, 'circle-color': '#e8590c', 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } } },
};
export function setOverlay(id, features) {
  const data = { type: 'FeatureCollection', features };
  const src = map.getSource(id);
  if (src) { src.setData(data); return; }
  if (!features.length) return;
  map.addSource(id, { type: 'geojson', data });
  map.addLayer(OVERLAYS[id].layer, OVERLAYS[id].before);
}
app.setOverlay = setOverlay;

// holdFrames: MapLibre draws no frame of the first view until every source
// has loaded, then draws it whole; a change of type or profile likewise
// keeps the last frame on screen until the new cells have loaded, instead
// of drawing the map without them and again as each tile comes in. Without
// a GPU each frame drawn is rasterised by SwiftShader and read back for the
// software compositor (a few hundred milliseconds each on two cores), and
// the first view would otherwise be drawn six or more times as its parts
// come in (the empty style, each source as it loads), each frame slowing
// the worker that parses the tiles. The frames still run (tiles are asked
// for, the worker's results taken in); only the painter's drawing is
// skipped until the frame in which the map has loaded. After `ms` the map
// is drawn as it is. (Painter#render is MapLibre's internal drawing step,
// of the vendored, pinned 6.17.0; app.painted counts the frames drawn.)
function holdFrames() {
  const painter = map.painter;
  const draw = painter.render;
  app.painted = 0;
  painter.render = function (...args) {
    if (!app.revealed) {
      // everything loaded and the labels placed (a placement still settling
      // asks for the next frame)
      if (!map.loaded() || map._placementDirty) return undefined;
      app.revealed = true;
    }
    app.painted++;
    return draw.apply(this, args);
  };
  hold(8000);
}

// hold keeps the frame on screen until the map has loaded, at most ms.
function hold(ms) {
  app.revealed = false;
  clearTimeout(app.holdTimer);
  app.holdTimer = setTimeout(() => {
    if (app.revealed) return;
    app.revealed = true;
    map.triggerRepaint();
  }, ms);
}

// ---- loading -----------------------------------------------------------------------
async function loadCatalog() {
  const [cat, health, units] = await Promise.all([get('/v1/catalog'), get('/healthz'), get('/v1/layers/units')]);
  app.catalog = cat;
  for (const ty of cat.types) app.types.set(ty.id, ty);
  app.health = health;
  // the basemap tileset exists when the server read an OSM extract
  app.basemap = !!health.basemap;
  app.allUnits = units.features;
  app.unitLevels = UNIT_LEVELS.filter((l) => units.features.some((f) => f.properties.level === l));
  if (!app.unitLevels.includes(state.by)) state.by = app.unitLevels[0] || 'district';
  if (!app.types.has(state.type)) state.type = cat.types[0].id;
}

// loadTypeLayers draws the chosen type and profile: the cells at once from
// the tiles (showCoverage), then the type's small layers (facilities, unit
// shares, gap areas) and the side panel's figures, all fetched in parallel
// and each drawn as it comes; the cells never wait for them.
let loadSeq = 0;
async function loadTypeLayers({ summary = false } = {}) {
  const type = state.type, by = state.by;
  const seq = ++loadSeq;
  const current = () => seq === loadSeq;
  // each answer is drawn once it is in and the style can take it
  const draw = (req, fn) => Promise.all([req, styleReady]).then(([v]) => { if (current()) fn(v); });
  // the first view's layers may be in the style already (buildStyle)
  const styled = app.styled || {};
  app.styled = null;
  const u = layerURLs(type, by);
  const jobs = [
    draw(getEarly(u.facilities), (fac) => { if (fac !== styled.facilities) map.getSource('facilities').setData(fac); }),
    draw(getEarly(u.units), (units) => {
      app.units = units;
      if (units !== styled.units) map.getSource('units').setData(applyStep(units));
      if (app.labelsBy !== by) { placeUnitLabels(units.features); app.labelsBy = by; }
    }),
    // the ranked list of the side panel: the view's gap areas (the outlines come as tiles)
    Promise.all([styleReady]).then(() => loadGapList(type)),
    draw(getEarly(equityURL(type, by)).catch(() => null), (eq) => { app.equity = eq; }),
  ];
  if (summary) jobs.push(loadSummary());
  const all = Promise.all(jobs);
  await styleReady;
  if (current()) showCoverage();
  await all;
  if (!current()) return;
  if (summary && Number(state.step) > 0) map.getSource('units').setData(applyStep(app.units)); // the plan years came with the summary
  app.drawn++;
  renderPlanPanel();
  if (state.unit) showUnit(state.unit, false);
}

// applyStep puts the chosen plan year's per-unit share into the units
// layer (the baseline is what the layer already holds).
function applyStep(units) {
  const step = app.trajectory && app.trajectory.steps[Number(state.step)];
  if (!step || Number(state.step) === 0 || !step.units) return units;
  const byCode = new Map(step.units.map((u) => [u.code, u]));
  return { ...units, features: units.features.map((f) => {
    const u = byCode.get(f.properties.code);
    const ts = u && u.types.find((x) => x.id === state.type);
    return ts ? { ...f, properties: { ...f.properties, share: ts.share, covered: ts.covered } } : f;
  }) };
}

async function loadSummary() {
  const [sumURL, trURL] = summaryURLs();
  const [sum, tr] = await Promise.all([getEarly(sumURL), getEarly(trURL).catch(() => null)]);
  app.summary = sum;
  app.trajectory = tr;
  if (!tr || Number(state.step) >= tr.steps.length) state.step = '0';
}

// ---- unit labels (DOM markers: no glyphs needed) -------------------------------
let labelMarkers = [];
function labelPoint(geom) {
  // the centre of the bounding box of the largest ring
  let best = null, bestLen = -1;
  const polys = geom.type === 'Polygon' ? [geom.coordinates] : geom.coordinates;
  for (const p of polys) if (p[0].length > bestLen) { best = p[0]; bestLen = p[0].length; }
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of best) { x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y); }
  return [(x0 + x1) / 2, (y0 + y1) / 2];
}
function placeUnitLabels(features) {
  for (const m of labelMarkers) m.remove();
  labelMarkers = features.map((f) => {
    const el = document.createElement('div');
    el.className = 'unit-label';
    el.textContent = f.properties.name;
    return new maplibregl.Marker({ element: el }).setLngLat(labelPoint(f.geometry)).addTo(map);
  });
}

// ---- geometry helpers ---------------------------------------------------------------
function bboxOf(geom) {
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  const walk = (c) => { if (typeof c[0] === 'number') { x0 = Math.min(x0, c[0]); y0 = Math.min(y0, c[1]); x1 = Math.max(x1, c[0]); y1 = Math.max(y1, c[1]); } else c.forEach(walk); };
  walk(geom.coordinates);
  return [x0, y0, x1, y1];
}
app.bboxOf = bboxOf;

// ---- planner panel ----------------------------------------------------------------
function typeOptions(selected) {
  let html = '';
  for (const lv of LEVELS) {
    const list = app.catalog.types.filter((ty) => ty.level === lv)
      .sort((a, b) => a.category.localeCompare(b.category) || a.id.localeCompare(b.id));
    if (!list.length) continue;
    html += `<optgroup label="${esc(t('level_' + lv))}">`;
    for (const ty of list) html += `<option value="${ty.id}" ${ty.id === selected ? 'selected' : ''}>${esc(t('cat_' + ty.category))} · ${esc(typeName(ty))}</option>`;
    html += '</optgroup>';
  }
  return html;
}
app.typeOptions = typeOptions;

function legendHTML() {
  const ty = typeOf(state.type);
  const cov = app.summary || {};
  const method = legendMethod();
  const prof = t('prof_' + state.profile);
  return `<div class="legend">
    <div><b>${esc(typeName(ty))}</b> · ${esc(t('radius', { m: ty.max_dist_m }))} · ${num(ty.max_walk_min)} ${t('minutes')}（${esc(prof)}）</div>
    <div><span class="ramp"></span> ${esc(t('covered'))}${getLang() === 'zh' ? '：' : ': '}${esc(t('distance_ramp'))}</div>
    <div><span class="sw" style="background:#fee08b"></span>${esc(t('covered'))}${getLang() === 'zh' ? '，' : ', '}${getLang() === 'zh' ? '但该人群步行超过 ' + num(ty.max_walk_min) + ' 分钟' : 'but over ' + num(ty.max_walk_min) + ' min for these walkers'}</div>
    <div><span class="sw" style="background:#fc8d59"></span>${esc(t('gap_near'))}</div>
    <div><span class="sw" style="background:#d73027"></span>${esc(t('gap_none'))}</div>
    <div><span class="sw" style="background:#9e9e9e"></span>${esc(t('no_network'))}</div>
    <div><span class="sw" style="border:2px solid #7f0000;background:none"></span>${esc(t('gap_areas').split('（')[0].split(' in')[0])}</div>
    <div><span class="dot" style="background:#1f4e9c"></span>${esc(t('existing'))}
      <span class="dot" style="background:#fff;border:2px solid #e8590c;margin-left:.6rem"></span>${esc(t('planned'))}
      <span class="dot" style="background:#9b59b6;margin-left:.6rem"></span>${esc(t('under_construction'))}</div>
    <div class="note">${esc(method)}</div>
    <div class="note">${esc(t('tile_mode'))}</div>
    <div class="note">${esc(t('pop_estimate'))}${getLang() === 'zh' ? '：' : ': '}${esc(cov.population_note || '')}</div>
  </div>`;
}

// ---- the gap areas of the view --------------------------------------------------
// The side list ranks the gap areas in view by residents unserved: the API
// answers the view's box (bbox=, and the open unit) in rank order, at most
// GAP_LIST of them, asked again when the map stops moving. A city of a
// million cells has thousands of gap areas; only the view's first ones
// travel. Every gap area fetched is kept by id (flyToGap).
const GAP_LIST = 20;
function viewBox([w, s, e, n]) {
  const r = (v) => Math.round(v * 1e5) / 1e5;
  return [r(Math.max(-180, w)), r(Math.max(-90, s)), r(Math.min(180, e)), r(Math.min(90, n))];
}
function mapBox() {
  const b = map.getBounds();
  return viewBox([b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]);
}
function gapListURL(type, box) {
  return `/v1/layers/gap-areas${qs({ type, bbox: box.join(','), unit: state.unit, limit: GAP_LIST })}`;
}
const gapIndex = new Map();
function keepGaps(features) { for (const f of features) gapIndex.set(f.properties.id, f); }

let gapSeq = 0;
async function loadGapList(type = state.type) {
  const seq = ++gapSeq;
  const box = app.firstBox || mapBox(); // the first list was asked for before the map existed
  app.firstBox = null;
  const fc = await getEarly(gapListURL(type, box));
  if (seq !== gapSeq || type !== state.type) return;
  keepGaps(fc.features);
  app.gapAreas = fc.features;
  app.gapView = { box, type, unit: state.unit, matched: fc.numberMatched };
  const g = $('#gaps');
  if (g) { g.innerHTML = gapListHTML(); bindGapList(g); }
}
let gapTimer;
function refreshGapList(delay = 0) {
  clearTimeout(gapTimer);
  gapTimer = setTimeout(() => loadGapList().catch((err) => toast(err.message, true)), delay);
}

function gapItems(list) {
  return list.map((f) => {
    const p = f.properties;
    return `<li data-gap="${esc(p.id)}" value="${p.rank}"><b>${num(p.residents)}</b> ${esc(t('residents'))} · ${num(p.cells)} ${esc(t('cells'))} · ${esc(p.unit_name || '')}</li>`;
  }).join('');
}
function gapListHTML() {
  const list = app.gapAreas;
  if (!list.length) return `<p class="note">${esc(t('none_in_view'))}</p>`;
  const n = (app.gapView && app.gapView.matched) || list.length;
  return `<ol class="gaps" id="gap-list">${gapItems(list)}</ol>${n > list.length ? `<p class="note" id="gap-more">${esc(t('gaps_more', { n: num(n), k: list.length }))}</p>` : ''}`;
}

// unitGaps fills el with the unit's (or the city's) first gap areas.
function unitGaps(el, code, k, html) {
  const type = state.type;
  get(`/v1/layers/gap-areas${qs({ type, unit: code, limit: k })}`).then((fc) => {
    if (type !== state.type || !el.isConnected) return;
    keepGaps(fc.features);
    el.innerHTML = html(fc.features);
    bindGapList(el);
  }).catch((err) => toast(err.message, true));
}

function equityHTML() {
  const eq = app.equity;
  if (!eq || !eq.lorenz) return '';
  const names = (eq.lorenz.units || []).map((u) => u.name);
  const note = getLang() === 'zh' ? eq.note_zh : eq.note;
  return `<h2>${esc(t('equity'))}</h2><div>${esc(t('gini'))}：<b id="gini">${eq.gini == null ? '—' : num(eq.gini, 3)}</b>（${esc(t('ul_' + eq.level))} × ${num(eq.units)}）</div>
    ${note ? `<div class="warn">${esc(note)}</div>` : ''}
    ${charts.lorenz(eq.lorenz.x, eq.lorenz.y, names, t('lorenz_x'), t('lorenz_y'))}`;
}

function trajectoryHTML() {
  const tr = app.trajectory;
  if (!tr || tr.steps.length <= 1) return `<h2>${esc(t('trajectory'))}</h2><p class="note">${esc(t('no_plan'))}</p>`;
  const labels = tr.steps.map((s) => (s.label === 'baseline' ? t('baseline') : String(s.year || s.label)));
  const shares = tr.steps.map((s) => (s.types.find((x) => x.id === state.type) || {}).share ?? 0);
  const impl = tr.steps.map((s) => (tr.planned ? s.items / tr.planned : 0));
  const cur = Number(state.step);
  return `<h2>${esc(t('trajectory'))}</h2>
    <label><span>${esc(t('plan_year'))}</span><input type="range" id="step" min="0" max="${tr.steps.length - 1}" value="${cur}"> <b>${esc(labels[cur])}</b></label>
    ${charts.trajectory(labels, [{ name: t('share') + ' · ' + typeName(typeOf(state.type)), values: shares, color: '#0b6e4f' }, { name: t('implementation'), values: impl, color: '#e8590c' }], cur)}
    <div class="note">${esc(t('implementation'))} ${pct(tr.implementation_rate)}（${tr.built}/${tr.planned}）</div>`;
}

function renderPlanPanel() {
  const el = $('#plan-panel');
  const ty = typeOf(state.type);
  const st = app.summary && app.summary.types.find((x) => x.id === state.type);
  el.innerHTML = `
    <h2>${esc(t('type'))}</h2>
    <select id="type" aria-label="${esc(t('type'))}">${typeOptions(state.type)}</select>
    ${st ? `<p>${esc(t('share'))} <b id="city-share">${pct(st.share)}</b> · ${esc(t('covered'))} ${num(st.covered)} / ${num(st.residents)} ${esc(t('residents'))} · ${esc(t('facilities_n'))} ${num(st.facilities)}</p>` : ''}
    ${st && (st.share_note_zh || st.share_note) ? `<div class="warn" id="share-note">${esc(getLang() === 'zh' ? st.share_note_zh : st.share_note)}</div>` : ''}
    <label><span>${esc(t('profile'))}</span><select id="profile">${PROFILES.map((p) => `<option value="${p}" ${p === state.profile ? 'selected' : ''}>${esc(t('prof_' + p))}</option>`).join('')}</select></label>
    <label><span>${esc(t('choropleth'))}</span><select id="by">${app.unitLevels.map((l) => `<option value="${l}" ${l === state.by ? 'selected' : ''}>${esc(t('ul_' + l))}</option>`).join('')}</select></label>
    <label><span>${esc(t('metric'))}</span><select id="metric">
      <option value="share" ${state.metric === 'share' ? 'selected' : ''}>${esc(t('metric_share'))}</option>
      ${LEVELS.map((l) => `<option value="${l}" ${state.metric === l ? 'selected' : ''}>${esc(t('metric_completeness'))} · ${esc(t('level_' + l))}</option>`).join('')}
    </select></label>
    <h2>${esc(t('legend'))}</h2>${legendHTML()}
    <p class="note">${esc(t('select_unit'))}</p>
    <h2>${esc(t('gap_areas'))}</h2><div id="gaps">${gapListHTML()}</div>
    ${trajectoryHTML()}
    ${equityHTML()}`;
  $('#type').onchange = (e) => setType(e.target.value).catch((err) => toast(err.message, true));
  $('#profile').onchange = (e) => { state.profile = e.target.value; refresh('profile').catch((err) => toast(err.message, true)); };
  $('#by').onchange = (e) => { state.by = e.target.value; state.unit = ''; refresh('by').catch((err) => toast(err.message, true)); };
  $('#metric').onchange = (e) => { state.metric = e.target.value; map.setPaintProperty('units-fill', 'fill-color', choroplethColor()); writeURL(); };
  const step = $('#step');
  if (step) step.oninput = (e) => { state.step = e.target.value; map.getSource('units').setData(applyStep(app.units)); renderPlanPanel(); writeURL(); };
  bindGapList($('#gaps'));
  exportLinks();
}

function bindGapList(root) {
  if (!root) return;
  root.querySelectorAll('li[data-gap]').forEach((li) => {
    li.onclick = () => flyToGap(li.dataset.gap);
  });
}

export function flyToGap(id) {
  const f = gapIndex.get(id);
  if (!f) return;
  const [x0, y0, x1, y1] = bboxOf(f.geometry);
  setOverlay('selected', [f]);
  map.fitBounds([[x0, y0], [x1, y1]], { padding: 60, maxZoom: 16, duration: 600 });
}
app.flyToGap = flyToGap;


// ---- unit panel -------------------------------------------------------------------
function showUnit(code, fly = true) {
  const f = (app.units ? app.units.features : []).find((x) => x.properties.code === code);
  const s = app.summary && (app.summary.units || []).find((u) => u.code === code);
  if (!f || !s) return;
  if (app.selectedUnit) map.setFeatureState({ source: 'units', id: app.selectedUnit }, { selected: false });
  app.selectedUnit = code;
  map.setFeatureState({ source: 'units', id: code }, { selected: true });
  state.unit = code;
  const rows = s.types.map((x) => ({ ...x, ty: typeOf(x.id) })).filter((x) => x.ty)
    .sort((a, b) => LEVELS.indexOf(a.ty.level) - LEVELS.indexOf(b.ty.level) || a.share - b.share);
  const noFac = app.summary.types.filter((x) => x.facilities === 0);
  const dqName = (q) => ({ none_mapped: t('dq_none_mapped'), likely_incomplete: t('dq_likely_incomplete') }[q] || '');
  $('#info-body').innerHTML = `
    <h2>${esc(s.name)} <small class="note">${esc(t('ul_' + s.level))} ${esc(s.code)}</small></h2>
    <dl class="kv"><dt>${esc(t('residents'))}</dt><dd><b>${num(s.residents)}</b></dd><dt>${esc(t('cells'))}</dt><dd>${num(s.cells)}</dd>
    ${LEVELS.map((l) => (s.completeness[l] != null ? `<dt>${esc(t('level_' + l))}</dt><dd>${esc(t('completeness'))} ${pct(s.completeness[l])}</dd>` : '')).join('')}</dl>
    <h3>${esc(t('dq'))}</h3>
    <div class="warn">${esc(t('dq_estimate', { n: app.summary.population_note || '' }))}</div>
    ${app.summary.approximate ? `<div class="warn">${esc(t('dq_approx'))}</div>` : ''}
    ${noFac.length ? `<div class="warn">${esc(t('dq_no_fac', { t: noFac.slice(0, 4).map((x) => typeName(typeOf(x.id)).split('（')[0].split(' (')[0]).join('、') + (noFac.length > 4 ? t('and_more', { n: noFac.length }) : '') }))}</div>` : ''}
    <h3>${esc(t('unit_gaps'))}</h3>
    <div id="unit-gaps-box"><p class="note">…</p></div>
    <h3>${esc(t('share_per_type'))}</h3>
    <table><thead><tr><th>${esc(t('type'))}</th><th class="n">${esc(t('share'))}</th><th class="n">${esc(t('gap'))}</th></tr></thead><tbody>
    ${rows.map((x) => `<tr${x.id === state.type ? ' style="background:#eef6f1"' : ''}><td>${esc(typeName(x.ty))}<br><small class="note">${esc(t('level_' + x.ty.level))}</small></td><td class="n">${pct(x.share)}${dqName(x.data_quality) ? `<br><small class="note">${esc(dqName(x.data_quality))}</small>` : ''}</td><td class="n">${num(x.uncovered)}</td></tr>`).join('')}
    </tbody></table>
    <p><button class="act sec" id="unit-print">${esc(t('print_view'))}</button></p>`;
  $('#info').hidden = false;
  unitGaps($('#unit-gaps-box'), code, 10, (gaps) => (gaps.length ? `<ol class="gaps" id="unit-gaps">${gapItems(gaps)}</ol>` : `<p class="note">—</p>`));
  $('#unit-print').onclick = () => openPrint();
  if (fly) {
    const [x0, y0, x1, y1] = bboxOf(f.geometry);
    map.fitBounds([[x0, y0], [x1, y1]], { padding: 40, duration: 500 });
  }
  refreshGapList();
  exportLinks();
  writeURL();
}
app.showUnit = showUnit;

function closeInfo() {
  $('#info').hidden = true;
  if (app.selectedCell) { app.selectedCell = ''; map.setFilter('cell-selected', ['==', ['get', 'h3'], '']); }
  if (app.selectedUnit) map.setFeatureState({ source: 'units', id: app.selectedUnit }, { selected: false });
  app.selectedUnit = null;
  state.unit = '';
  refreshGapList();
  exportLinks();
  writeURL();
}

// ---- cell panel ------------------------------------------------------------------------
async function showCell(h3) {
  const info = await get(`/v1/cells/${h3}${qs({ profile: state.profile === 'default' ? '' : state.profile })}`);
  const rows = info.types.map((x) => ({ ...x, ty: typeOf(x.id) }))
    .sort((a, b) => (a.id === state.type ? -1 : b.id === state.type ? 1 : 0) || LEVELS.indexOf(a.level) - LEVELS.indexOf(b.level));
  $('#info-body').innerHTML = `
    <h2>${esc(t('cell'))} <small class="note">${esc(info.h3)}</small></h2>
    <dl class="kv"><dt>${esc(t('population'))}</dt><dd><b id="cell-pop">${num(info.population, 1)}</b> <small class="note">${esc(t('pop_estimate'))}</small></dd>
    ${info.units.map((u) => `<dt>${esc(t('ul_' + u.level))}</dt><dd>${esc(u.name)}</dd>`).join('')}
    ${LEVELS.map((l) => (info.completeness[l] != null ? `<dt>${esc(t('level_' + l))}</dt><dd>${pct(info.completeness[l])}</dd>` : '')).join('')}</dl>
    ${info.no_walkable_network_nearby ? `<div class="warn">${esc(t('no_walkable_network_nearby'))}</div>` : ''}
    <table id="cell-types"><thead><tr><th>${esc(t('type'))}</th><th>${esc(t('nearest'))}</th><th class="n">${esc(t('distance'))}</th><th class="n">${esc(t('walk'))}</th><th>${esc(t('status_l'))}</th></tr></thead><tbody>
    ${rows.map((x) => `<tr data-type="${x.id}"${x.id === state.type ? ' style="background:#eef6f1"' : ''}><td>${esc(typeName(x.ty) || x.name_zh)}</td><td>${esc(x.facility_name || (x.facility_id ? x.facility_id : '—'))}</td>
      <td class="n">${x.distance_m == null ? '—' : num(x.distance_m) + ' ' + t('metres')}</td><td class="n">${x.minutes == null ? '—' : num(x.minutes, 1) + ' ' + t('minutes')}</td>
      <td>${x.covered ? `<span class="yes">${esc(t('yes'))}</span>` : `<span class="no">${esc(t('no'))}</span> <small>${esc(t(x.reason || 'no_facility_in_reach'))}</small>`}</td></tr>`).join('')}
    </tbody></table>`;
  $('#info').hidden = false;
  app.selectedCell = h3;
  map.setFilter('cell-selected', ['==', ['get', 'h3'], h3]);
}
app.showCell = showCell;

// ---- export and print ------------------------------------------------------------------
function exportLinks() {
  const el = $('#export-links');
  const type = state.type;
  const unit = state.unit;
  const prof = state.profile === 'default' ? '' : state.profile;
  const layer = `/v1/layers/coverage${qs({ type, unit, profile: prof })}`;
  const lang = getLang() === 'en' ? 'en' : '';
  el.innerHTML = `
    <a id="exp-geojson" href="${layer}" download="coverage_${type}${unit ? '_' + unit : ''}.geojson">${esc(t('geojson_layer'))}</a>
    <a id="exp-gaps" href="/v1/layers/gap-areas${qs({ type, unit })}" download="gap_areas_${type}.geojson">${esc(t('gaps_geojson'))}</a>
    <a id="exp-csv" href="/v1/summary.csv${qs({ by: state.by, profile: prof, bom: 1 })}" download="summary_${state.by}.csv">${esc(t('csv_units'))}</a>
    <a id="exp-gpkg" href="/ogc/collections/coverage-${type}/items${qs({ unit, profile: prof, f: 'gpkg' })}" download>${esc(t('gpkg_layer'))}</a>
    <a id="exp-gaps-gpkg" href="/ogc/collections/gap-areas-${type}/items${qs({ unit, f: 'gpkg' })}" download>${esc(t('gaps_gpkg'))}</a>
    <a id="exp-xlsx" href="/v1/summary.xlsx${qs({ by: state.by, profile: prof, lang, rec: type, rec_unit: unit })}" download="summary_${state.by}.xlsx">${esc(t('xlsx_units'))}</a>
    ${state.scenario ? `<a id="exp-scenario-xlsx" href="/v1/scenarios/${encodeURIComponent(state.scenario)}/compare.xlsx${qs({ by: state.by, profile: prof, lang, rec: type })}" download>${esc(t('xlsx_scenario'))}</a>` : ''}`;
}

function openPrint() {
  const u = new URL(location.href);
  u.searchParams.set('print', '1');
  window.open(u.toString(), '_blank');
}

function renderPrintSheet() {
  document.body.classList.add('printing');
  const sheet = $('#print-sheet');
  sheet.hidden = false;
  const s = app.summary;
  const code = state.unit;
  const u = code && (s.units || []).find((x) => x.code === code);
  const ty = typeOf(state.type);
  const area = u || { name: t('city'), residents: s.residents, completeness: s.completeness, types: s.types };
  sheet.innerHTML = `
    <div class="noprint"><button class="act" onclick="window.print()">${esc(t('print'))}</button> <span class="note">${esc(t('print_hint'))}</span></div>
    <h1>${esc(area.name)} · ${esc(typeName(ty))}</h1>
    <p class="note">${esc(app.health.dataset)} · ${esc(legendMethod())} · ${esc(t('pop_estimate'))}</p>
    <p>${esc(t('residents'))} <b>${num(area.residents)}</b> · ${LEVELS.map((l) => (area.completeness[l] != null ? `${t('level_' + l)} ${pct(area.completeness[l])}` : '')).filter(Boolean).join(' · ')}</p>
    <h3>${esc(t('gap_areas_print'))}</h3>
    <table><thead><tr><th>${esc(t('rank'))}</th><th class="n">${esc(t('residents'))}</th><th class="n">${esc(t('cells'))}</th><th>${esc(t('unit'))}</th></tr></thead><tbody id="print-gaps">
    </tbody></table>
    <h3>${esc(t('share_per_type'))}</h3>
    <table><thead><tr><th>${esc(t('type'))}</th><th>${esc(t('level_lc15').slice(0, 0))}</th><th class="n">${esc(t('share'))}</th><th class="n">${esc(t('gap'))}</th></tr></thead><tbody>
    ${area.types.map((x) => ({ ...x, ty: typeOf(x.id) })).sort((a, b) => LEVELS.indexOf(a.ty.level) - LEVELS.indexOf(b.ty.level)).map((x) => `<tr><td>${esc(typeName(x.ty))}</td><td>${esc(t('level_' + x.ty.level))}</td><td class="n">${pct(x.share)}</td><td class="n">${num(x.uncovered)}</td></tr>`).join('')}
    </tbody></table>`;
  unitGaps($('#print-gaps'), code, 10, (gaps) => gaps.map((g) => `<tr><td>${g.properties.rank}</td><td class="n">${num(g.properties.residents)}</td><td class="n">${num(g.properties.cells)}</td><td>${esc(g.properties.unit_name || '')}</td></tr>`).join(''));
  map.resize();
  const f = code && (app.units ? app.units.features : []).find((x) => x.properties.code === code);
  if (f) {
    const [x0, y0, x1, y1] = bboxOf(f.geometry);
    map.fitBounds([[x0, y0], [x1, y1]], { padding: 20, duration: 0 });
  }
}

function legendMethod() {
  const cov = app.summary || {};
  return cov.method === 'euclidean' ? t('method_euclidean', { d: cov.detour || 1.3 }) : t('method_network');
}

// ---- actions ----------------------------------------------------------------------------------
// A user's change is timed from here until its cells are drawn (watchCoverage).
function changed(what) {
  app.changeAt = performance.now();
  app.changeWhat = what;
  performance.mark(`change:${what}`);
}

export async function setType(type) {
  changed('type');
  state.type = type;
  writeURL();
  const p = loadTypeLayers();
  if (workbench) workbench.typeChanged();
  await p;
}
app.setType = setType;

async function refresh(what) {
  changed(what);
  writeURL();
  await loadTypeLayers({ summary: true });
}
app.refresh = refresh;

function applyLang() {
  setLang(state.lang);
  document.title = t('title');
  document.querySelectorAll('[data-t]').forEach((el) => { el.textContent = t(el.dataset.t); });
  $('#lang').textContent = t('lang_other');
  $('#dataset').textContent = app.health ? `${app.health.dataset} · ${app.health.method === 'network' ? t('method_network').split('（')[0].split(' (')[0] : t('method_euclidean', { d: '' }).split('×')[0]}` : '';
}

function setView(v) {
  state.view = v;
  $('#plan-panel').hidden = v !== 'plan';
  $('#work-panel').hidden = v !== 'work';
  $('#tab-plan').setAttribute('aria-pressed', String(v === 'plan'));
  $('#tab-work').setAttribute('aria-pressed', String(v === 'work'));
  if (v === 'work' && workbench) workbench.open();
  writeURL();
}
app.setView = setView;

let workbench = null;

// ---- start ------------------------------------------------------------------------------------
async function main() {
  readURL();
  setLang(state.lang);
  applyLang();
  const center = state.c ? state.c.split(',').map(Number) : [104.0858, 30.6903];
  const zoom = state.z ? Number(state.z) : 12.6;
  const [firstLayers] = await Promise.all([loadCatalog().then(() => fetchFirstView(center, zoom)), maplibreReady]);
  applyLang();
  app.styled = firstLayers;
  map = new maplibregl.Map({
    container: 'map', style: buildStyle(firstLayers), center, zoom,
    attributionControl: false, maxZoom: 18, minZoom: 8, fadeDuration: 0, localIdeographFontFamily: CJK_FONTS,
  });
  window.__map = map;
  holdFrames();
  styleReady = new Promise((r) => map.once('style.load', r));
  app.coverageType = state.type;
  watchCoverage(state.type, coverageTiles(state.type)[0]); // timed from navigation
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-left');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
  map.addControl(new maplibregl.AttributionControl({ compact: true, customAttribution: '© OpenStreetMap contributors (ODbL) · lifecircle' }), 'bottom-right');
  map.on('idle', () => { window.__idle = true; app.idleAt = performance.now(); });
  map.on('moveend', () => { refreshGapList(300); writeURL(); });
  const first = loadTypeLayers({ summary: true });
  await styleReady;
  workbench = new Workbench(app, map, maplibregl);
  app.workbench = workbench;
  await first;

  map.on('click', (e) => {
    if (workbench && workbench.handleClick(e)) return;
    const fs = map.queryRenderedFeatures(e.point, { layers: ['facilities-circle', 'coverage-fill', 'units-fill'] });
    const cell = fs.find((f) => f.layer.id === 'coverage-fill');
    const unit = fs.find((f) => f.layer.id === 'units-fill');
    if (cell) { showCell(cell.properties.h3).catch((err) => toast(err.message, true)); return; }
    if (unit) showUnit(unit.properties.code);
  });
  map.on('mousemove', (e) => {
    const fs = map.queryRenderedFeatures(e.point, { layers: ['coverage-fill', 'units-fill'] });
    map.getCanvas().style.cursor = workbench && workbench.placing ? 'crosshair' : fs.length ? 'pointer' : '';
  });

  $('#tab-plan').onclick = () => setView('plan');
  $('#tab-work').onclick = () => setView('work');
  $('#lang').onclick = () => {
    state.lang = getLang() === 'zh' ? 'en' : 'zh';
    applyLang();
    setPlaceLanguage();
    renderPlanPanel();
    if (!$('#info').hidden && state.unit) showUnit(state.unit, false);
    if (workbench) workbench.render();
    writeURL();
  };
  $('#info-close').onclick = closeInfo;
  $('#print').onclick = openPrint;
  $('#export').addEventListener('toggle', exportLinks); // links for the view as it is now (scenario, unit, type)
  setView(state.view);
  if (state.print) renderPrintSheet();
  app.ready = true;
  app.readyAt = performance.now();
  writeURL();
}

main().catch((err) => {
  console.error(err);
  toast(err.message || String(err), true);
});
