// Browser test of lifecircle's map, driven by cmd/lifecircle's TestBrowserMap
// (go test): Debian chromium through playwright-core, SwiftShader WebGL.
//
//   node map.test.mjs --sample http://127.0.0.1:P --store http://127.0.0.1:Q --token lc_… --out DIR
//
// --sample serves the embedded sample, --store a GeoPackage-backed copy (the
// workbench writes there). Screenshots go to DIR; the last line printed is a
// JSON report ({"ok": true, "timings": {...}, "screenshots": [...]}).
// Any failed check throws: the process exits 1 with the reason.
import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, v, i, a) => (v.startsWith('--') ? [...acc, [v.slice(2), a[i + 1]]] : acc), []));
const SAMPLE = args.sample, STORE = args.store, OUT = args.out, TOKEN = args.token || '';
const CHROMIUM = args.chromium || '/usr/bin/chromium';
if (!SAMPLE || !STORE || !OUT) throw new Error('usage: node map.test.mjs --sample URL --store URL --out DIR');
mkdirSync(OUT, { recursive: true });

const report = { ok: false, timings: {}, screenshots: [], checks: [] };
const check = (cond, what) => {
  if (!cond) throw new Error('check failed: ' + what);
  report.checks.push(what);
};
const api = async (base, path, init) => {
  const r = await fetch(base + path, init);
  if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return r.json();
};

// --disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup: Chromium 156
// starts the address bar's popup as a WebUI page (chrome://omnibox-popup.top-chrome)
// in a renderer of its own for every new window, headless too; each fresh
// context of this test is a new window, and that page took ≈ 1.5 s of CPU
// on the 2 cores during each timed navigation (seen in a trace). Puppeteer
// turns both features off by default for the same reason. It is the
// browser's own UI, not the page: what is measured is unchanged.
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
    '--disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup'],
});
// launch() gives each context a fresh profile directory (a new --user-data-dir).

const problems = [];
const glyphResponses = []; // the label glyph ranges the map fetched from /fonts/
const requested = []; // every URL the pages asked for
async function newPage() {
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 }, deviceScaleFactor: 1 });
  const page = await ctx.newPage();
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    const why = r.failure() && r.failure().errorText;
    // MapLibre cancels the tiles it no longer needs when the map moves: not a failure
    if (why === 'net::ERR_ABORTED' && new URL(r.url()).pathname.startsWith('/tiles/')) return;
    // a link the browser saves as a file (export menu) ends its request that way too
    if (why === 'net::ERR_ABORTED' && /f=gpkg|\.xlsx|\.csv/.test(r.url())) return;
    problems.push(`request failed: ${r.url()} ${why}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
    if (new URL(r.url()).pathname.startsWith('/fonts/')) glyphResponses.push(`${r.status()} ${decodeURIComponent(new URL(r.url()).pathname)}`);
  });
  page.on('request', (r) => {
    const u = new URL(r.url());
    requested.push(u.pathname + u.search);
    if (!['127.0.0.1', 'localhost'].includes(u.hostname) && !u.protocol.startsWith('blob') && !u.protocol.startsWith('data')) problems.push(`off-host request: ${r.url()}`);
  });
  return page;
}
const noProblems = (what) => {
  check(problems.length === 0, `${what}: no console errors and no failed requests (${problems.join('; ')})`);
};

// waitDrawn waits until the app has drawn n layer loads and the map is idle.
async function waitDrawn(page, n) {
  await page.waitForFunction((k) => window.__app && window.__app.ready && window.__app.drawn >= k && window.__map.loaded() && !window.__map.isMoving(), n, { timeout: 60000 });
  await page.evaluate(() => new Promise((r) => { const m = window.__map; if (m.loaded() && !m._sourcesDirty) m.once('idle', r); else m.once('idle', r); m.triggerRepaint(); }));
}

// marks: what the page timed, from a change (or navigation) to the chosen
// type's cells drawn (drawn_ms) and the map idle after it (idle_ms).
const marks = (page) => page.evaluate(() => window.__app.marks);
async function lastMark(page, what) {
  await page.waitForFunction((w) => { const m = window.__app.marks; return m.length && m[m.length - 1].what === w && m[m.length - 1].idle_ms != null; }, what, { timeout: 60000 });
  const m = await marks(page);
  return m[m.length - 1];
}

async function shot(page, name) {
  const path = join(OUT, name + '.png');
  await page.screenshot({ path });
  report.screenshots.push(path);
}

// rendered looks features up at the screen position of lon/lat.
async function renderedAt(page, layer, lonlat, pad = 0) {
  return page.evaluate(({ layer, lonlat, pad }) => {
    const m = window.__map;
    const p = m.project(lonlat);
    const box = pad ? [[p.x - pad, p.y - pad], [p.x + pad, p.y + pad]] : [p.x, p.y];
    return m.queryRenderedFeatures(box, { layers: [layer] }).map((f) => ({ ...f.properties, ...f.state }));
  }, { layer, lonlat, pad });
}

const centroid = (ring) => {
  let x = 0, y = 0;
  for (const [a, b] of ring.slice(0, -1)) { x += a; y += b; }
  return [x / (ring.length - 1), y / (ring.length - 1)];
};

try {
  // ---- planner view on the embedded sample ---------------------------------------------
  // The first page opens while the just-launched browser still starts its own
  // pages (Chromium's top-chrome WebUI: seconds of CPU on 2 cores): timed apart
  // as "cold". The navigation figures are those of the next page, a fresh
  // context (empty cache) in a running browser, as a planner opening a link.
  let page = await newPage();
  await page.goto(SAMPLE + '/');
  await waitDrawn(page, 1);
  let nav = await lastMark(page, 'navigation');
  report.timings.cold_browser_navigation_to_coverage_idle_ms = nav.idle_ms;
  await page.close();
  page = await newPage();
  await page.goto(SAMPLE + '/');
  await waitDrawn(page, 1);
  nav = await lastMark(page, 'navigation');
  report.timings.navigation_to_coverage_drawn_ms = nav.drawn_ms;
  report.timings.navigation_to_coverage_idle_ms = nav.idle_ms;
  report.timings.navigation_to_coverage_idle_event_ms = nav.idle_event_ms; // MapLibre's idle event, a frame before the pixels
  report.timings.navigation_to_panel_ready_ms = Math.round(await page.evaluate(() => window.__app.readyAt));
  check(await page.evaluate(() => document.documentElement.lang) === 'zh-CN', 'Chinese is the default language');
  check((await page.textContent('#title')).includes('生活圈'), 'the title is Chinese');
  check((await page.textContent('#type option:checked')).includes('幼儿园'), 'the type picker shows 幼儿园');

  // kindergarten gap cells and facilities are drawn where the API says
  const gaps = await api(SAMPLE, '/v1/layers/gaps?type=kindergarten');
  check(gaps.features.length > 100, `the API reports kindergarten gaps (${gaps.features.length})`);
  let seen = 0;
  for (const f of gaps.features.filter((_, i) => i % Math.floor(gaps.features.length / 12) === 0).slice(0, 12)) {
    const hits = await renderedAt(page, 'coverage-fill', centroid(f.geometry.coordinates[0]));
    check(hits.some((p) => p.h3 === f.properties.h3 && p.covered === false), `gap cell ${f.properties.h3} is drawn as a gap`);
    seen++;
  }
  const facs = await api(SAMPLE, '/v1/layers/facilities?type=kindergarten');
  for (const f of facs.features) {
    const hits = await renderedAt(page, 'facilities-circle', f.geometry.coordinates, 3);
    check(hits.some((p) => p.id === f.properties.id), `kindergarten ${f.properties.id} is drawn at its place`);
  }
  report.checks.push(`${seen} gap cells and ${facs.features.length} kindergartens found where the API puts them`);
  await shot(page, '1-planner-kindergarten-zh');

  // profile: elderly walkers need longer, so some covered cells turn "over time"
  const overTime = () => page.evaluate(() => window.__map.queryRenderedFeatures({ layers: ['coverage-fill'] }).filter((f) => f.properties.covered && !f.properties.within_minutes).length);
  const drawnMinutes = () => page.evaluate(() => window.__map.queryRenderedFeatures({ layers: ['coverage-fill'] }).filter((f) => f.properties.minutes > 0).slice(0, 400).map((f) => [f.properties.h3, f.properties.minutes]));
  const before = await overTime();
  const minDefault = new Map(await drawnMinutes());
  let n = await page.evaluate(() => window.__app.drawn);
  await page.selectOption('#profile', 'elderly');
  await waitDrawn(page, n + 1);
  const prof = await lastMark(page, 'profile');
  report.timings.profile_switch_drawn_ms = prof.drawn_ms;
  const after = await overTime();
  check(before === 0 && after > 0, `the elderly profile redraws covered cells beyond 5 minutes' walk (${before} → ${after})`);
  // the tiles carry the elderly's minutes (50 m/min against 60): the drawn cells say what /v1/cells says
  const minElderly = await drawnMinutes();
  check(minElderly.length > 20 && minElderly.every(([h, m]) => !minDefault.has(h) || Math.abs(m - minDefault.get(h) * 1.2) < 0.15),
    `drawn cells carry the elderly's walking minutes (${minElderly.length} cells, 1.2 × the default's)`);
  for (const [h, m] of minElderly.filter((_, i) => i % Math.ceil(minElderly.length / 5) === 0)) {
    const info = await api(SAMPLE, `/v1/cells/${h}?profile=elderly`);
    const k = info.types.find((x) => x.id === 'kindergarten');
    check(Math.abs(k.minutes - m) < 0.051, `cell ${h}: the map's elderly minutes ${m} = the API's ${k.minutes}`);
  }
  check(requested.some((u) => u.startsWith('/tiles/coverage-kindergarten/') && u.includes('profile=elderly')), 'the cell tiles are asked for with ?profile=elderly');
  check((await page.textContent('.legend')).includes('老年人'), 'the legend names the elderly walkers');
  await shot(page, '2-planner-kindergarten-elderly');
  n = await page.evaluate(() => window.__app.drawn);
  await page.selectOption('#profile', 'default');
  await waitDrawn(page, n + 1);

  // type switch: timed by the page from the change to the new type's cells drawn
  // (every coverage tile in view loaded, the type's cells queryable) and to idle
  const switches = [];
  for (const ty of ['primary_school', 'community_health_center', 'pharmacy', 'primary_school']) {
    n = await page.evaluate(() => window.__app.drawn);
    await page.selectOption('#type', ty);
    await waitDrawn(page, n + 1);
    const m = await lastMark(page, 'type');
    check(m.type === ty, `the switch to ${ty} was timed (${JSON.stringify(m)})`);
    switches.push(m);
  }
  switches.forEach((m, i) => {
    report.timings[`type_switch_${i + 1}_drawn_ms`] = m.drawn_ms;
    report.timings[`type_switch_${i + 1}_idle_ms`] = m.idle_ms;
    report.timings[`type_switch_${i + 1}_idle_event_ms`] = m.idle_event_ms;
  });
  const types = await page.evaluate(() => [...new Set(window.__map.queryRenderedFeatures({ layers: ['coverage-fill'] }).map((f) => f.properties.type))]);
  check(types.length === 1 && types[0] === 'primary_school', `after the switch every drawn cell is primary_school (${types})`);
  const schools = await api(SAMPLE, '/v1/layers/facilities?type=primary_school');
  const drawnSchools = await page.evaluate(() => new Set(window.__map.queryRenderedFeatures({ layers: ['facilities-circle'] }).map((f) => f.properties.id)).size);
  check(drawnSchools === schools.features.length, `all ${schools.features.length} primary schools are drawn (${drawnSchools})`);
  check(page.url().includes('type=primary_school'), 'the URL follows the type');
  await shot(page, '3-planner-primary-school');

  // basemap place labels, offline: Chinese names drawn with the browser's CJK font
  const places = () => page.evaluate(() => window.__map.queryRenderedFeatures({ layers: ['bm-places'] }).map((f) => ({ ...f.properties, text: f.layer.layout['text-field'] })));
  let labels = await places();
  check(labels.some((p) => p.class === 'city' && p.name_zh === '成都市'), `the basemap labels the city in Chinese (${labels.map((p) => p.name_zh).join('、')})`);
  check(JSON.stringify(await page.evaluate(() => window.__map.getLayoutProperty('bm-places', 'text-field'))).indexOf('name_en') < 0, 'Chinese labels show name_zh');

  // language
  await page.click('#lang');
  check((await page.textContent('#title')).includes('life circle'), 'English is one click away');
  await page.evaluate(() => new Promise((r) => { window.__map.once('idle', r); window.__map.triggerRepaint(); }));
  check(JSON.stringify(await page.evaluate(() => window.__map.getLayoutProperty('bm-places', 'text-field'))).includes('name_en'), 'English labels show name_en');
  labels = await places();
  check(labels.some((p) => p.name_en === 'Chengdu'), 'the city label is drawn in English');
  check(glyphResponses.some((r) => r === '200 /fonts/Go Regular/0-255.pbf'), `the Latin glyphs come from the server (${glyphResponses.join(', ')})`);
  check((await page.textContent('#type option:checked')).includes('Primary school'), 'type names switch to English');
  check(page.url().includes('lang=en'), 'the URL keeps the language');
  await shot(page, '4-planner-english');
  await page.click('#lang');
  check((await page.textContent('#title')).includes('生活圈'), 'and back to Chinese');
  // closer in, the neighbourhoods (小区, 社区) are named too
  const home = await page.evaluate(() => ({ center: window.__map.getCenter().toArray(), zoom: window.__map.getZoom() }));
  await page.evaluate(() => window.__map.jumpTo({ center: [104.105, 30.675], zoom: 15 }));
  await page.evaluate(() => new Promise((r) => { window.__map.once('idle', r); window.__map.triggerRepaint(); }));
  labels = await places();
  check(labels.filter((p) => p.class === 'neighbourhood' && /[\u4e00-\u9fff]/.test(p.name_zh)).length >= 2, `neighbourhood labels in Chinese at zoom 15 (${labels.map((p) => p.name_zh).join('、')})`);
  await shot(page, '4b-place-labels');
  await page.evaluate((v) => window.__map.jumpTo(v), home);
  await page.evaluate(() => new Promise((r) => { window.__map.once('idle', r); window.__map.triggerRepaint(); }));

  // gap list: clicking a gap area flies the map onto it
  n = await page.evaluate(() => window.__app.drawn);
  await page.selectOption('#type', 'kindergarten');
  await waitDrawn(page, n + 1);
  // the side list holds exactly the gap areas in view, ranked by residents
  // unserved: asked for with the view's bbox= (never the whole city's list)
  const allGaps = (await api(SAMPLE, '/v1/layers/gap-areas?type=kindergarten&limit=1000')).features;
  const bboxOf = (g) => { const c = g.coordinates.flat(Infinity); const xs = c.filter((_, i) => i % 2 === 0), ys = c.filter((_, i) => i % 2 === 1); return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)]; };
  const gapList = async () => {
    const got = await page.evaluate(() => ({ ids: [...document.querySelectorAll('#gap-list li[data-gap]')].map((li) => li.dataset.gap), view: window.__app.gapView }));
    const b = got.view.box;
    const want = allGaps.filter((f) => { const a = bboxOf(f.geometry); return a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3]; })
      .sort((x, y) => x.properties.rank - y.properties.rank).slice(0, 20).map((f) => f.properties.id);
    return { ...got, want };
  };
  const list0 = await gapList();
  check(list0.ids.length > 0 && JSON.stringify(list0.ids) === JSON.stringify(list0.want), `the gap list holds the ${list0.want.length} gap areas in view (bbox ${list0.view.box}), ranked: ${list0.ids.join(' ')}`);
  const gapRequests = requested.filter((u) => u.startsWith('/v1/layers/gap-areas?'));
  check(gapRequests.length > 0 && gapRequests.every((u) => /[?&](bbox|unit)=/.test(u) && !/limit=1000/.test(u)), `gap areas are asked for by view or unit only (${gapRequests.slice(0, 3).join(', ')})`);
  const small = allGaps.filter((f) => f.properties.cells <= 50 && list0.ids.includes(f.properties.id)).sort((a, b) => a.properties.cells - b.properties.cells)
    .map((g) => ({ id: g.properties.id, bbox: bboxOf(g.geometry) }))[0];
  check(small, 'a small kindergarten gap area is in the list');
  const zoomBefore = await page.evaluate(() => window.__map.getZoom());
  await page.click(`#gap-list li[data-gap="${small.id}"]`);
  await page.waitForFunction(() => !window.__map.isMoving(), null, { timeout: 20000 });
  await page.waitForTimeout(700);
  await page.waitForFunction(() => !window.__map.isMoving(), null, { timeout: 20000 });
  const view = await page.evaluate(() => { const b = window.__map.getBounds(); return { z: window.__map.getZoom(), b: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()] }; });
  const cx = (small.bbox[0] + small.bbox[2]) / 2, cy = (small.bbox[1] + small.bbox[3]) / 2;
  check(view.z > zoomBefore + 1 && view.b[0] < cx && cx < view.b[2] && view.b[1] < cy && cy < view.b[3], `clicking gap area ${small.id} moves the map onto it (zoom ${zoomBefore.toFixed(1)} → ${view.z.toFixed(1)})`);
  // the map moved: the list follows the view
  await page.waitForFunction((b) => { const v = window.__app.gapView; return v && v.box.join() !== b; }, list0.view.box.join(), { timeout: 20000 });
  const list1 = await gapList();
  check(JSON.stringify(list1.ids) === JSON.stringify(list1.want) && list1.ids.includes(small.id) && list1.ids.join() !== list0.ids.join(),
    `after the move the gap list holds the ${list1.want.length} gap areas of the new view (${list1.ids.join(' ')}; before ${list0.ids.join(' ')})`);
  await page.evaluate(() => new Promise((r) => { window.__map.once('idle', r); window.__map.triggerRepaint(); }));
  await shot(page, '5-gap-area');

  // a unit panel, then the URL restores the whole view
  await page.evaluate(() => window.__app.showUnit('510108', false));
  check((await page.textContent('#info-body')).includes('成华区'), 'the unit panel opens');

  // export menu: the unit's layer as a GeoPackage and the Excel workbook, downloaded by the browser
  await page.click('#export summary');
  for (const [sel, magic, what] of [['#exp-gpkg', 'SQLite format 3\0', 'GeoPackage'], ['#exp-gaps-gpkg', 'SQLite format 3\0', 'GeoPackage'], ['#exp-xlsx', 'PK\x03\x04', 'xlsx']]) {
    const href = await page.getAttribute(sel, 'href');
    check(href.includes('unit=510108'), `${sel} is for the open unit (${href})`);
    const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 120000 }), page.click(sel)]);
    const file = join(OUT, dl.suggestedFilename());
    await dl.saveAs(file);
    const head = readFileSync(file).subarray(0, magic.length).toString('latin1');
    check(head === magic && statSync(file).size > 4096, `${sel} downloads a ${what} (${dl.suggestedFilename()}, ${statSync(file).size} bytes)`);
  }
  check((await page.getAttribute('#exp-xlsx', 'href')).includes('rec=kindergarten'), 'the workbook recommends sites for the chosen type');
  await page.click('#export summary');
  n = await page.evaluate(() => window.__app.drawn);
  await page.selectOption('#profile', 'elderly');
  await waitDrawn(page, n + 1);
  const url = page.url();
  const want = await page.evaluate(() => ({ z: window.__map.getZoom(), c: window.__map.getCenter().toArray(), type: window.__app.state.type, profile: window.__app.state.profile }));
  noProblems('planner view');
  const page2 = await newPage();
  await page2.goto(url);
  await waitDrawn(page2, 1);
  const got = await page2.evaluate(() => ({ z: window.__map.getZoom(), c: window.__map.getCenter().toArray(), type: window.__app.state.type, profile: window.__app.state.profile, unit: document.querySelector('#info-body').textContent }));
  check(got.type === want.type && got.profile === want.profile && Math.abs(got.z - want.z) < 0.01 &&
    Math.abs(got.c[0] - want.c[0]) < 1e-4 && Math.abs(got.c[1] - want.c[1]) < 1e-4 && got.unit.includes('成华区'), `the URL restores the view (${url})`);
  await shot(page2, '6-restored-from-url');
  await page2.close();

  // print view of a unit
  const page3 = await newPage();
  await page3.goto(`${SAMPLE}/?type=kindergarten&unit=510108&print=1`);
  await waitDrawn(page3, 1);
  check(await page3.evaluate(() => document.body.classList.contains('printing')), 'the print view is laid out for paper');
  check((await page3.textContent('#print-sheet')).includes('成华区'), 'the print view names the unit');
  await shot(page3, '7-print-view');
  await page3.close();
  noProblems('print view');
  await page.close();

  // closer in, the same cells from the zoom-15 tiles
  const page4 = await newPage();
  const g0 = gaps.features[Math.floor(gaps.features.length / 2)];
  const c0 = centroid(g0.geometry.coordinates[0]);
  await page4.goto(`${SAMPLE}/?type=kindergarten&z=15&c=${c0[0]},${c0[1]}`);
  await waitDrawn(page4, 1);
  const tiled = await renderedAt(page4, 'coverage-fill', c0);
  check(tiled.some((p) => p.h3 === g0.properties.h3 && p.covered === false), `at zoom 15, gap cell ${g0.properties.h3} is drawn as a gap`);
  await shot(page4, '7b-tiles');
  await page4.close();
  noProblems('tiles');
  // ---- the street official's workbench on a store ----------------------------------------
  page = await newPage();
  await page.goto(STORE + '/?view=work&type=kindergarten');
  await waitDrawn(page, 1);
  await page.waitForSelector('#sc-create');
  // writes need a token: without one the server's 401 is shown, then the token field is used
  await page.fill('#sc-name', '成华区幼儿园补缺');
  await page.selectOption('#sc-unit', '510108');
  await page.click('#sc-create');
  await page.waitForSelector('#wb-error');
  check((await page.textContent('#wb-error')).includes('需要登录'), 'a write without a token shows the 401 message');
  problems.length = 0; // that 401 was the point
  await page.fill('#token', TOKEN);
  await page.click('#token-save');
  check(await page.evaluate(() => localStorage.getItem('lifecircle.token')) === TOKEN, 'the token is kept in the browser');
  await page.waitForSelector('#sc-create');
  await page.fill('#sc-name', '成华区幼儿园补缺');
  await page.selectOption('#sc-unit', '510108');
  await page.click('#sc-create');
  await page.waitForSelector('#sc-title');
  const scenarioID = await page.evaluate(() => window.__app.workbench.scenario.id);
  check(page.url().includes('scenario=' + scenarioID), 'the URL carries the scenario');

  // place a kindergarten in the largest gap of 成华区
  const unitGaps = await api(STORE, '/v1/layers/gaps?type=kindergarten&unit=510108');
  const target = unitGaps.features.sort((a, b) => b.properties.population - a.properties.population)[10];
  const site = centroid(target.geometry.coordinates[0]);
  await page.evaluate((c) => window.__map.jumpTo({ center: c, zoom: 15 }), site);
  await page.evaluate(() => new Promise((r) => { window.__map.once('idle', r); window.__map.triggerRepaint(); }));
  await page.click('#site-place');
  const pt = await page.evaluate((c) => { const p = window.__map.project(c); const r = window.__map.getCanvas().getBoundingClientRect(); return { x: r.left + p.x, y: r.top + p.y }; }, site);
  let count = await page.evaluate(() => window.__app.whatIfCount || 0);
  await page.mouse.click(pt.x, pt.y);
  await page.waitForFunction((k) => (window.__app.whatIfCount || 0) > k, count, { timeout: 30000 });
  report.timings.what_if_after_placing_ms = Math.round(await page.evaluate(() => window.__app.timings.whatIfMs));
  const shownPlaced = await page.evaluate(() => window.__app.workbench.gain);
  check(shownPlaced[0].types[0].id === 'kindergarten' && shownPlaced[0].types[0].newly_covered > 0, `placing a kindergarten shows its gain (${shownPlaced[0].types[0].newly_covered} residents)`);
  // the cells it would change light up on the cell tiles: exactly the what-if's cells that are in view
  const highlighted = async () => {
    await page.evaluate(() => new Promise((r) => { window.__map.once('idle', r); window.__map.triggerRepaint(); }));
    return page.evaluate(() => {
      const m = window.__map;
      const inView = new Set(m.queryRenderedFeatures({ layers: ['coverage-fill'] }).map((f) => f.properties.h3));
      return { lit: [...new Set(m.queryRenderedFeatures({ layers: ['changed-fill'] }).map((f) => f.properties.h3))].sort(), inView: [...inView] };
    });
  };
  let hl = await highlighted();
  const placedCells = [...new Set(shownPlaced.flatMap((g) => g.cells.map((c) => c.h3)))].filter((h) => hl.inView.includes(h)).sort();
  check(placedCells.length > 0 && JSON.stringify(hl.lit) === JSON.stringify(placedCells), `the ${placedCells.length} cells the site would newly cover are highlighted, and only they (${hl.lit.length} lit)`);
  await shot(page, '8-workbench-site-placed');

  // drag it 200 m east: the gain updates
  const marker = await page.locator('.site-marker').boundingBox();
  count = await page.evaluate(() => window.__app.whatIfCount);
  const east = await page.evaluate((c) => { const a = window.__map.project(c); const b = window.__map.project([c[0] + 0.002, c[1]]); return b.x - a.x; }, site);
  await page.mouse.move(marker.x + marker.width / 2, marker.y + marker.height / 2);
  await page.mouse.down();
  for (let i = 1; i <= 5; i++) await page.mouse.move(marker.x + marker.width / 2 + (east * i) / 5, marker.y + marker.height / 2);
  await page.mouse.up();
  await page.waitForFunction((k) => window.__app.whatIfCount > k, count, { timeout: 30000 });
  report.timings.what_if_after_moving_ms = Math.round(await page.evaluate(() => window.__app.timings.whatIfMs));
  const moved = await page.evaluate(() => ({ site: window.__app.workbench.site, gain: window.__app.workbench.gain, text: document.querySelector('#gain .gain-total').textContent }));
  check(Math.abs(moved.site.lon - site[0] - 0.002) < 0.0004, `the site moved east by dragging (${moved.site.lon - site[0]})`);

  // save: the server stores exactly the gain shown
  await page.click('#site-submit');
  await page.waitForSelector('#saved');
  const stored = (await api(STORE, `/v1/scenarios/${scenarioID}/proposals`)).proposals;
  check(stored.length === 1, 'one proposal stored');
  check(JSON.stringify(stored[0].shown) === JSON.stringify(moved.gain), 'the stored gain is exactly the one shown before saving');
  const fmt = new Intl.NumberFormat('zh-CN', { maximumFractionDigits: 0 }).format(stored[0].shown[0].residents_newly_covered);
  check(moved.text === fmt, `the page showed ${moved.text} residents newly covered; the server stored ${fmt}`);
  await shot(page, '9-workbench-saved');

  // recommendations in build order, accept the first
  await page.fill('#rec-k', '3');
  await page.click('#rec-ask');
  await page.waitForSelector('#rec-table');
  const recs = await page.$$eval('#rec-table tbody tr', (rows) => rows.length);
  check(recs === 3 && (await page.$$('.rec-marker')).length === 3, 'three recommended sites, numbered on the map');
  await shot(page, '10-workbench-recommend');
  await page.click('[data-accept="1"]');
  await page.waitForFunction(() => window.__app.workbench.proposals.length === 2, null, { timeout: 30000 });
  check((await api(STORE, `/v1/scenarios/${scenarioID}/proposals`)).proposals.length === 2, 'accepting a recommendation stores a proposal');

  // compare with the baseline
  await page.click('#cmp-load');
  await page.waitForSelector('#cmp-types');
  const cmpText = await page.textContent('#cmp-types');
  check(cmpText.includes('幼儿园'), 'the comparison lists kindergartens');
  const delta = await api(STORE, `/v1/scenarios/${scenarioID}/layers/delta?type=kindergarten`);
  hl = await highlighted();
  const newly = delta.features.filter((f) => f.properties.change === 'newly_covered').map((f) => f.properties.h3).filter((h) => hl.inView.includes(h)).sort();
  check(newly.length > 0 && JSON.stringify(hl.lit) === JSON.stringify(newly), `the scenario's ${newly.length} newly covered cells in view are highlighted, and only they (${hl.lit.length} lit)`);
  await shot(page, '11-workbench-compare');
  // the scenario's workbook (方案比较) from the export menu
  await page.click('#export summary');
  const [sdl] = await Promise.all([page.waitForEvent('download', { timeout: 120000 }), page.click('#exp-scenario-xlsx')]);
  const sfile = join(OUT, sdl.suggestedFilename());
  await sdl.saveAs(sfile);
  check(sdl.suggestedFilename().includes(scenarioID) && readFileSync(sfile).subarray(0, 4).toString('latin1') === 'PK\x03\x04', `the export menu downloads the scenario's workbook (${sdl.suggestedFilename()})`);
  await page.click('#export summary');
  noProblems('workbench');

  // the three-year plan: the plan-year slider recolours the units with each year's share
  const planSites = unitGaps.features.slice(0, 60).filter((_, i) => i % 20 === 0).map((f, i) => ({
    id: `k${i + 1}`, type: 'kindergarten', name: `规划幼儿园${i + 1}`, year: 2026 + i, status: 'planned', location: centroid(f.geometry.coordinates[0]),
  }));
  await api(STORE, '/v1/plan/items', { method: 'PUT', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ items: planSites }) });
  await page.goto(STORE + '/?type=kindergarten');
  await waitDrawn(page, 1);
  const shareOf = () => page.evaluate(() => window.__map.querySourceFeatures('units').find((f) => f.properties.code === '510108').properties.share);
  const s0 = await shareOf();
  check(await page.$eval('#step', (e) => Number(e.max)) === 3, 'the plan-year slider spans baseline and three plan years');
  await page.$eval('#step', (e) => { e.value = '3'; e.dispatchEvent(new Event('input', { bubbles: true })); });
  await page.evaluate(() => new Promise((r) => { window.__map.once('idle', r); window.__map.triggerRepaint(); }));
  const s3 = await shareOf();
  check(s3 > s0 && page.url().includes('step=3'), `成华区's kindergarten share in the last plan year ${s3} > baseline ${s0}`);
  await shot(page, '12-plan-year');
  noProblems('plan years');
  // every cell layer came as vector tiles: no page asked for a whole cell layer as GeoJSON
  // (the export menu's downloads, ?f=gpkg, are files the user asked for, not map layers)
  const cellGeoJSON = requested.filter((u) => !/[?&]f=gpkg/.test(u)).filter((u) => /^\/v1\/layers\/(coverage|gaps|population)\b|^\/ogc\/collections\/(coverage-|gaps-|population)[^/]*\/items/.test(u));
  check(cellGeoJSON.length === 0 && requested.some((u) => u.startsWith('/tiles/coverage-')), `cells only from /tiles/coverage-…: no cell layer fetched as GeoJSON (${cellGeoJSON.join(', ')})`);


  // a token that the server refuses shows its message (only when the server checks tokens)
  report.ok = true;
} catch (err) {
  report.error = err.message;
  console.error(err.stack || err.message);
  if (problems.length) console.error('problems seen: ' + problems.join('\n'));
} finally {
  await browser.close();
  console.log(JSON.stringify(report));
  process.exitCode = report.ok ? 0 : 1;
}
