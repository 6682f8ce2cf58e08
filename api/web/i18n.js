// Every word the page shows, Chinese first. Facility type names come from
// the catalogue (name_zh / name_en); everything else is here.
export const dict = {
  zh: {
    title: '十五分钟生活圈 · 设施覆盖', view_plan: '规划视图', view_work: '街道工作台', export: '导出', print_view: '打印视图',
    lang_other: 'English', type: '设施类型', profile: '步行人群', choropleth: '行政区着色', metric: '着色指标',
    metric_share: '所选设施覆盖率', metric_completeness: '生活圈完整度', legend: '图例', covered: '已覆盖', gap: '缺口（未覆盖）',
    gap_near: '缺口：最近设施超出服务半径', gap_none: '缺口：两倍服务半径内无设施', no_network: '附近无可步行道路（无法计算）',
    facilities_l: '设施', existing: '现状', planned: '规划', under_construction: '在建', not_in_force: '（规划年份前未计入）',
    distance_ramp: '步行距离 0 → 服务半径', gap_areas: '缺口片区（当前视野，按未覆盖居民排序）', residents: '居民', cells: '网格数',
    unit: '所属单元', rank: '名次', none_in_view: '当前视野内无缺口片区', gaps_more: '视野内共 {n} 个，按未覆盖居民排序，列出前 {k} 个', equity: '公平性（各单元覆盖率）', gini: '基尼系数',
    lorenz_x: '居民累计占比（按覆盖率由低到高）', lorenz_y: '覆盖居民累计占比', trajectory: '三年行动计划：规划年份', baseline: '现状',
    implementation: '实施率', share: '覆盖率', no_plan: '尚无规划项目（PUT /v1/plan/items 录入后显示）', plan_year: '规划年份',
    method_network: '方法：步行路网距离（小区中心与设施各自就近接入路网）', method_euclidean: '方法：直线距离 × 绕行系数 {d}（近似值）',
    pop_estimate: '人口为估算值', radius: '服务半径 {m} 米', minutes: '分钟', metres: '米', close: '关闭',
    cell: '网格', population: '人口', nearest: '最近设施', distance: '距离', walk: '步行', status_l: '覆盖', why: '原因',
    yes: '是', no: '否', no_facility_in_reach: '两倍服务半径内无此类设施', no_walkable_network_nearby: '附近无可步行道路',
    completeness: '生活圈完整度', level_block: '居住街坊', level_lc5: '五分钟生活圈', level_lc10: '十分钟生活圈', level_lc15: '十五分钟生活圈',
    ul_district: '区（市）县', ul_street: '街道（镇）', ul_community: '社区（村）', ul_grid: '网格',
    prof_default: '一般（60 米/分）', prof_elderly: '老年人（50 米/分）', prof_adult: '成年人（67 米/分）',
    cat_public_management: '公共管理', cat_health: '医疗卫生', cat_elderly: '养老服务', cat_education: '教育', cat_culture: '文化',
    cat_sports: '体育', cat_commerce: '商业服务', cat_postal: '邮政快递', cat_green_space: '公园绿地', cat_municipal: '市政环卫',
    cat_transport: '交通', cat_composite: '综合服务',
    unit_panel: '单元详情', share_per_type: '各类设施覆盖率', dq: '数据质量提示', dq_no_fac: '数据中没有「{t}」设施：覆盖率 0 可能是数据缺失而非真实缺口',
    dq_estimate: '人口为估算：{n}', dq_approx: '距离为直线 × 绕行系数的近似值', unit_gaps: '本单元缺口片区（点击定位）',
    unassigned: '不属于任何单元', facilities_n: '设施数', req_mandatory: '必配', req_optional: '宜配', req_chengdu_policy: '成都政策',
    // workbench
    token: '登录令牌', token_note: '保存在本浏览器；写操作（新建方案、提交选址）需要令牌', save: '保存', scenario: '方案', scenarios: '方案列表',
    open: '打开', create: '新建方案', name: '名称', author: '提交人', jurisdiction: '辖区', whole_city: '全市', no_store: '此服务器没有连接存储（GeoPackage 或 PostGIS），工作台不可用。请用 lifecircle serve --store 文件.gpkg 启动。',
    no_scenario: '请先打开或新建一个方案', place: '在地图上放置选址', placing: '请在地图上点击选址位置…', site_types: '选址提供的设施（可多选，组成综合体）',
    capacity: '规模（座/床/㎡）', gain: '选址效果（尚未保存）', newly: '新增覆盖居民', share_change: '覆盖率 前 → 后', cells_changed: '变化网格',
    completeness_change: '完整度 前 → 后（变化网格的人口加权）', per_unit: '按单元', submit: '保存为提案', saved: '已保存提案 {id}：以下为服务器记录的效果',
    recommend: '推荐选址', k: '数量 k', target: '目标覆盖率', spacing: '最小间距（米）', in_unit: '限本方案辖区', ask: '计算推荐',
    accept: '采纳', accepted: '已采纳为提案', compare: '与现状对比', newly_covered: '新增覆盖', newly_uncovered: '新增未覆盖',
    err_401: '需要登录：请在上方填写令牌（401）', err_403: '令牌无此操作权限（403）', err_503: '服务器没有存储（503）',
    proposals: '已保存提案', site: '选址', drag_hint: '可拖动选址点，效果即时更新', build_order: '建设顺序', cum_share: '累计覆盖率',
    outside: '不在辖区内', reached: '服务半径内居民', total_new: '新增覆盖居民（按人去重）', print: '打印', print_hint: '用浏览器“打印 → 另存为 PDF”，A4 纵向',
    geojson_layer: '当前图层 GeoJSON', gpkg_layer: '当前图层 GeoPackage', csv_units: '单元统计表 CSV', xlsx_units: 'Excel 工作簿（单元统计、缺口、推荐选址）', xlsx_scenario: '本方案与现状对比 Excel', gaps_geojson: '缺口片区 GeoJSON', gaps_gpkg: '缺口片区 GeoPackage',
    gap_areas_print: '缺口片区（按未覆盖居民排序）', tile_mode: '网格按矢量瓦片显示（放大到 10 级以上可见；步行分钟按所选人群的步速）', and_more: ' 等 {n} 类', dq_none_mapped: '无数据', dq_likely_incomplete: '数据可能不全', city: '全市', map_loading: '正在加载…', select_unit: '点击行政区查看详情；点击网格查看最近设施',
  },
  en: {
    title: '15-minute life circle · facility coverage', view_plan: 'Planner', view_work: 'Street workbench', export: 'Export', print_view: 'Print view',
    lang_other: '中文', type: 'Facility type', profile: 'Walkers', choropleth: 'Colour units by', metric: 'Metric',
    metric_share: 'covered share of the type', metric_completeness: 'life-circle completeness', legend: 'Legend', covered: 'covered', gap: 'gap (not covered)',
    gap_near: 'gap: nearest facility beyond the radius', gap_none: 'gap: no facility within twice the radius', no_network: 'no walkable network nearby (not computable)',
    facilities_l: 'Facilities', existing: 'existing', planned: 'planned', under_construction: 'under construction', not_in_force: '(not counted before its plan year)',
    distance_ramp: 'walking distance 0 → radius', gap_areas: 'Gap areas in view (by residents unserved)', residents: 'residents', cells: 'cells',
    unit: 'unit', rank: 'rank', none_in_view: 'no gap area in view', gaps_more: '{n} in view, ranked by residents unserved; the first {k} are listed', equity: 'Equity (covered share across units)', gini: 'Gini',
    lorenz_x: 'cumulative residents (units by share, low to high)', lorenz_y: 'cumulative covered residents', trajectory: 'Three-year plan: plan year', baseline: 'baseline',
    implementation: 'implementation', share: 'share', no_plan: 'no plan items yet (PUT /v1/plan/items)', plan_year: 'plan year',
    method_network: 'Method: walking-network distance (cell centre and facility each join the nearest walkable way)', method_euclidean: 'Method: straight line × detour {d} (approximate)',
    pop_estimate: 'population is an estimate', radius: 'radius {m} m', minutes: 'min', metres: 'm', close: 'close',
    cell: 'Cell', population: 'population', nearest: 'nearest facility', distance: 'distance', walk: 'walk', status_l: 'covered', why: 'why not',
    yes: 'yes', no: 'no', no_facility_in_reach: 'no facility of this type within twice the radius', no_walkable_network_nearby: 'no walkable network nearby',
    completeness: 'Life-circle completeness', level_block: 'Residential block', level_lc5: '5-minute circle', level_lc10: '10-minute circle', level_lc15: '15-minute circle',
    ul_district: 'district', ul_street: 'street', ul_community: 'community', ul_grid: 'grid',
    prof_default: 'default (60 m/min)', prof_elderly: 'elderly (50 m/min)', prof_adult: 'adult (67 m/min)',
    cat_public_management: 'public management', cat_health: 'health', cat_elderly: 'elderly care', cat_education: 'education', cat_culture: 'culture',
    cat_sports: 'sports', cat_commerce: 'commerce', cat_postal: 'postal', cat_green_space: 'green space', cat_municipal: 'municipal',
    cat_transport: 'transport', cat_composite: 'composite',
    unit_panel: 'Unit', share_per_type: 'Covered share per type', dq: 'Data quality', dq_no_fac: 'The data has no "{t}" facility: a share of 0 may be missing data, not a real gap',
    dq_estimate: 'Population is an estimate: {n}', dq_approx: 'Distances are straight line × detour (approximate)', unit_gaps: 'Gap areas of this unit (click to go)',
    unassigned: 'in no unit', facilities_n: 'facilities', req_mandatory: 'mandatory', req_optional: 'optional', req_chengdu_policy: 'Chengdu policy',
    token: 'Access token', token_note: 'kept in this browser; writes (new scenario, proposals) need it', save: 'Save', scenario: 'Scenario', scenarios: 'Scenarios',
    open: 'Open', create: 'New scenario', name: 'name', author: 'author', jurisdiction: 'jurisdiction', whole_city: 'whole city', no_store: 'This server has no store (GeoPackage or PostGIS): the workbench is unavailable. Start it with lifecircle serve --store FILE.gpkg.',
    no_scenario: 'Open or create a scenario first', place: 'Place a site on the map', placing: 'Click the map where the site goes…', site_types: 'What the site offers (several: a service complex)',
    capacity: 'capacity (seats/beds/m²)', gain: 'What the site would do (not saved)', newly: 'residents newly covered', share_change: 'share before → after', cells_changed: 'cells changed',
    completeness_change: 'completeness before → after (changed cells, population-weighted)', per_unit: 'per unit', submit: 'Save as proposal', saved: 'Saved proposal {id}: the gain the server recorded',
    recommend: 'Recommended sites', k: 'k', target: 'target share', spacing: 'min spacing (m)', in_unit: 'inside the scenario\'s unit', ask: 'Recommend',
    accept: 'Accept', accepted: 'accepted as a proposal', compare: 'Compare with baseline', newly_covered: 'newly covered', newly_uncovered: 'newly uncovered',
    err_401: 'Sign-in needed: enter a token above (401)', err_403: 'This token may not do that (403)', err_503: 'The server has no store (503)',
    proposals: 'Saved proposals', site: 'site', drag_hint: 'Drag the site: the gain updates at once', build_order: 'build order', cum_share: 'cumulative share',
    outside: 'outside the jurisdiction', reached: 'residents within the radius', total_new: 'residents newly covered (each counted once)', print: 'Print', print_hint: 'Use the browser\'s Print → Save as PDF, A4 portrait',
    geojson_layer: 'current layer as GeoJSON', gpkg_layer: 'current layer as GeoPackage', csv_units: 'unit table as CSV', xlsx_units: 'Excel workbook (units, gaps, recommended sites)', xlsx_scenario: 'this scenario against the baseline (Excel)', gaps_geojson: 'gap areas as GeoJSON', gaps_gpkg: 'gap areas as GeoPackage',
    gap_areas_print: 'Gap areas (by residents unserved)', tile_mode: 'cells come as vector tiles (visible from zoom 10; minutes at the pace of the chosen walkers)', and_more: ' and others ({n} types)', dq_none_mapped: 'none mapped', dq_likely_incomplete: 'likely incomplete', city: 'city', map_loading: 'loading…', select_unit: 'Click a unit for its panel, a cell for its nearest facilities',
  },
};

let lang = 'zh';
export function setLang(l) { lang = dict[l] ? l : 'zh'; document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en'; }
export function getLang() { return lang; }

// t looks a key up in the current language; {x} placeholders are filled from vars.
export function t(key, vars = {}) {
  let s = dict[lang][key] ?? dict.zh[key] ?? key;
  for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{${k}}`, v);
  return s;
}

// typeName gives a catalogue type's name in the current language.
export function typeName(ty) {
  if (!ty) return '';
  return lang === 'zh' ? ty.name_zh : ty.name_en;
}

// num formats a number for the current language.
export function num(v, digits = 0) {
  if (v == null || Number.isNaN(v)) return '—';
  return Number(v).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
export function pct(v, digits = 1) { return v == null ? '—' : num(v * 100, digits) + '%'; }

// esc makes text safe inside HTML.
export function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}
