// tend's dashboard: one page over the control API. Live through the event stream; each event
// asks for one throttled refresh, so a burst of events costs one request, and nothing runs
// while the page is hidden. The token (from the URL fragment or the login form) goes in an
// Authorization header, never a cookie.
'use strict';

const state = {
  token: sessionStorage.getItem('tend-token') || '',
  tab: 'objects',
  objects: [],
  alerts: [],
  events: [],
  selected: null,
  detail: null,
  logInstance: '',
  filter: '',
  charts: { cpu: null, mem: null },
};

const $ = (id) => document.getElementById(id);
const esc = (v) => String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

const TABS = ['objects', 'pools', 'scheduler', 'plan', 'events'];

// The fragment carries the token once (then leaves the address bar), and the open tab and object
// (`#tab=pools`, `#object=process/web`), so a view can be linked and reloaded.
function readHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get('token');
  if (token) {
    state.token = token;
    sessionStorage.setItem('tend-token', token);
  }
  const tab = params.get('tab');
  if (TABS.includes(tab)) state.tab = tab;
  const object = params.get('object');
  if (object && /^[a-z]+\/[a-z0-9-]+$/.test(object)) state.selected = object;
  writeHash();
}

function writeHash() {
  const parts = [];
  if (state.tab !== 'objects') parts.push(`tab=${state.tab}`);
  if (state.selected) parts.push(`object=${state.selected}`);
  history.replaceState(null, '', location.pathname + (parts.length ? `#${parts.join('&')}` : ''));
}

class Unauthorized extends Error {}

async function api(path, options = {}) {
  const headers = state.token ? { authorization: `Bearer ${state.token}` } : {};
  const res = await fetch(path, { ...options, headers });
  if (res.status === 401) throw new Unauthorized('token refused');
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error || `${res.status}`);
  return body;
}

// ---- formatting

function age(iso) {
  if (!iso) return '-';
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (s < 60) return `${Math.floor(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d`;
}

function bytes(n, decimals = 1) {
  if (n === undefined || n === null) return '-';
  const units = ['B', 'Ki', 'Mi', 'Gi', 'Ti'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i === 0 ? 0 : decimals)}${units[i]}`;
}

// Axis labels with as many decimals as it takes for neighbouring ticks to differ (1.55Mi and
// 1.6Mi, not 1.6Mi twice).
function tickLabels(vals, fmt) {
  for (let decimals = 1; decimals < 4; decimals++) {
    const labels = vals.map((v) => (v === null ? '' : fmt(v, decimals)));
    if (new Set(labels).size === labels.length) return labels;
  }
  return vals.map((v) => (v === null ? '' : fmt(v, 4)));
}

const GOOD = new Set(['Running', 'Ready', 'Succeeded', 'Complete', 'Completed', 'Closed', 'running']);
const BAD = new Set(['Failed', 'CircuitOpen', 'Open', 'BackOff', 'CrashLoopBackOff', 'Degraded', 'critical']);
function badge(text) {
  const cls = GOOD.has(text) ? 'b-ok' : BAD.has(text) ? 'b-bad' : text === 'Suspended' || text === 'suspended' || text === 'Stopped' ? 'b-info' : 'b-warn';
  return `<span class="badge ${cls}">${esc(text)}</span>`;
}

function matches(view) {
  const f = state.filter.trim().toLowerCase();
  if (!f) return true;
  const labels = Object.entries(view.labels || {}).map(([k, v]) => `${k}=${v}`).join(' ');
  return `${view.key} ${view.kind} ${view.status.phase} ${labels}`.toLowerCase().includes(f);
}

// ---- rendering

// Sets `el`'s markup. When only rows changed (the same rows in the same frame), only the rows
// whose markup differs are replaced: an event or a tick then touches a few rows of a table of
// hundreds, not the whole table with its style and layout.
const ROW = /<tr[\s\S]*?<\/tr>/g;
function setHtml(el, html) {
  if (el.__html === html) return;
  const rows = html.match(ROW) || [];
  const frame = html.replace(ROW, '<tr></tr>');
  const before = el.__rows;
  const trs = before && el.__frame === frame && before.length === rows.length ? el.querySelectorAll('tr') : [];
  if (trs.length === rows.length && rows.length > 0) {
    rows.forEach((row, i) => { if (row !== before[i]) trs[i].outerHTML = row; });
  } else {
    el.innerHTML = html;
  }
  el.__html = html;
  el.__rows = rows;
  el.__frame = frame;
}

function renderSummary() {
  const all = state.objects;
  const instances = all.reduce((n, v) => n + v.running, 0);
  const ready = all.filter((v) => v.status.readyReplicas >= v.status.replicas && v.status.replicas > 0).length;
  const restarts = all.reduce((n, v) => n + v.status.restarts, 0);
  const failing = all.filter((v) => BAD.has(v.status.phase)).length;
  const cards = [['objects', all.length], ['running instances', instances], ['ready objects', `${ready}/${all.length}`], ['restarts', restarts], ['failing', failing], ['open alerts', state.alerts.length]];
  setHtml($('summary'), cards.map(([l, n]) => `<div class="card"><div class="n">${esc(n)}</div><div class="l">${esc(l)}</div></div>`).join(''));
  const rev = all.find((v) => v.revision)?.revision;
  $('revision').textContent = rev ? `revision ${rev.slice(0, 8)}` : '';
}

const KIND_ORDER = ['Process', 'ProcessPool', 'Job', 'Node'];

function renderObjects() {
  const shown = state.objects.filter(matches);
  if (shown.length === 0) return `<div class="empty">${state.objects.length ? 'Nothing matches the filter.' : 'No objects yet: add a manifest to the manifest directory.'}</div>`;
  return KIND_ORDER.map((kind) => {
    const rows = shown.filter((v) => v.kind === kind);
    if (rows.length === 0) return '';
    const body = rows.map((v) => {
      const u = v.usage;
      const sel = state.selected === v.key ? ' selected' : '';
      return `<tr class="row${sel}" data-key="${esc(v.key)}"><td>${esc(v.name)}</td><td>${badge(v.status.phase)} <span class="muted">${v.status.reason !== v.status.phase ? esc(v.status.reason) : ''}</span></td>` +
        `<td class="num">${v.status.readyReplicas}/${v.status.replicas}</td><td class="num restarts">${v.status.restarts}</td><td class="num">${age(v.startedAt)}</td>` +
        `<td class="num">${u ? `${u.cpu.toFixed(1)}%` : '-'}</td><td class="num">${u ? bytes(u.memory) : '-'}</td></tr>`;
    }).join('');
    return `<div class="kind-title">${esc(kind)} · ${rows.length}</div><table><thead><tr><th>NAME</th><th>PHASE</th><th class="num">READY</th><th class="num">RESTARTS</th><th class="num">AGE</th><th class="num">CPU</th><th class="num">MEM</th></tr></thead><tbody>${body}</tbody></table>`;
  }).join('');
}

function renderPools() {
  const pools = state.objects.filter((v) => v.status.pool);
  if (pools.length === 0) return '<div class="empty">No ProcessPool objects.</div>';
  const rows = pools.map((v) => {
    const p = v.status.pool;
    const pct = Math.round(p.utilization * 100);
    return `<tr class="row" data-key="${esc(v.key)}"><td>${esc(v.name)}</td><td class="num">${p.workers}</td><td class="num">${p.ready}</td><td class="num">${p.busy}</td><td class="num">${p.waiting}</td>` +
      `<td><span class="bar"><span style="width:${pct}%"></span></span>${pct}%</td><td class="num">${p.leases.active}</td><td class="num">${p.leases.granted}</td><td class="num">${p.waitMs.p50}/${p.waitMs.p99} ms</td><td class="num">${p.desiredReplicas}</td><td class="muted">${esc(p.lastScaleReason || '')}</td></tr>`;
  }).join('');
  return `<table><thead><tr><th>POOL</th><th class="num">WORKERS</th><th class="num">READY</th><th class="num">BUSY</th><th class="num">WAITING</th><th>UTILISATION</th><th class="num">LEASES</th><th class="num">GRANTED</th><th class="num">WAIT p50/p99</th><th class="num">DESIRED</th><th>LAST SCALE</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function renderScheduler(data) {
  const { stats, queue } = data;
  const use = Object.keys(stats.capacity).map((name) => {
    const pct = Math.round((stats.utilization[name] || 0) * 100);
    const fmt = (n) => (name === 'memory' || name === 'disk' ? bytes(n) : Number.isInteger(n) ? n : n.toFixed(2));
    return `<tr><td>${esc(name)}</td><td><span class="bar"><span style="width:${Math.min(100, pct)}%"></span></span>${pct}%</td><td class="num">${fmt(stats.used[name] || 0)}</td><td class="num">${fmt(stats.capacity[name])}</td></tr>`;
  }).join('');
  const cards = `<div class="cards"><div class="card"><div class="n">${stats.running}</div><div class="l">running</div></div><div class="card"><div class="n">${stats.suspended}</div><div class="l">suspended</div></div><div class="card"><div class="n">${stats.queued}</div><div class="l">queued</div></div></div>`;
  // Positions count from 1, as the plan's "queue position" does.
  const rows = queue.map((q) => `<tr><td class="num">${q.position === undefined || q.position === null ? '' : q.position + 1}</td><td>${esc(q.object)}</td><td>${esc(q.instance)}</td><td>${badge(q.state)}</td><td class="num">${q.priority}</td><td class="num">${q.effectivePriority}</td><td>${esc(Object.entries(q.requests).map(([k, v]) => `${k} ${v}`).join(', '))}</td><td class="muted">${esc(q.reason || '')}</td></tr>`).join('');
  return `${cards}<div class="kind-title">Capacity and use</div><table><thead><tr><th>RESOURCE</th><th>USE</th><th class="num">RESERVED</th><th class="num">CAPACITY</th></tr></thead><tbody>${use}</tbody></table>` +
    `<div class="kind-title">Queue by effective priority</div>${rows ? `<table><thead><tr><th class="num">#</th><th>OBJECT</th><th>INSTANCE</th><th>STATE</th><th class="num">PRIORITY</th><th class="num">EFFECTIVE</th><th>REQUESTS</th><th>REASON</th></tr></thead><tbody>${rows}</tbody></table>` : '<div class="empty">Nothing scheduled: no Job and no Process with resources.requests.</div>'}`;
}

const MARK = { start: '+', stop: '−', restart: '~', wait: '…', suspend: '‖', resume: '▶' };
function renderPlan(data) {
  if (data.actions.length === 0) return '<div class="empty">No drift: the next pass would do nothing.</div>';
  const rows = data.actions.map((a) => `<tr><td>${esc(MARK[a.type] || '')} ${esc(a.type)}</td><td>${esc(a.object)}</td><td>${esc(a.instance)}</td><td>${badge(a.reason)}</td><td class="muted">${esc(a.message)}</td></tr>`).join('');
  return `<table><thead><tr><th>ACTION</th><th>OBJECT</th><th>INSTANCE</th><th>REASON</th><th>WHY</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function eventLine(e) {
  const sev = e.severity ? ` [${e.severity}]` : '';
  return `<div class="ev"><span class="muted">${esc(e.time.slice(11, 23))}</span> <span class="${esc(e.type)}">${esc(e.type.padEnd(7))} ${esc(e.reason)}${esc(sev)}</span> ${esc(e.object)}${e.instance ? `/${esc(e.instance)}` : ''}: ${esc(e.message)}</div>`;
}

function renderEvents() {
  const shown = state.events.filter((e) => !state.filter || JSON.stringify(e).toLowerCase().includes(state.filter.toLowerCase()));
  return shown.length ? shown.slice(-300).reverse().map(eventLine).join('') : '<div class="empty">No events yet.</div>';
}

async function renderTab() {
  const view = $('view');
  if (state.tab === 'objects') setHtml(view, renderObjects());
  else if (state.tab === 'pools') setHtml(view, renderPools());
  else if (state.tab === 'events') setHtml(view, renderEvents());
  else if (state.tab === 'scheduler') setHtml(view, renderScheduler(await api('/v1/scheduler')));
  else if (state.tab === 'plan') setHtml(view, renderPlan(await api('/v1/plan')));
}

// ---- the detail panel

function kv(pairs) {
  return `<div class="kv">${pairs.map(([k, v]) => `<div>${esc(k)}</div><div>${v}</div>`).join('')}</div>`;
}

function detailHtml(item) {
  const s = item.status;
  const circuit = s.circuit ? `${badge(s.circuit.state)}${s.circuit.openedAt ? ` <span class="muted">opened ${esc(s.circuit.openedAt)}</span>` : ''}` : badge('Closed');
  const rec = s.recovery;
  const head = kv([
    ['Status', `${badge(s.phase)} ${esc(s.reason)}`],
    ['Ready', `${s.readyReplicas}/${s.replicas}`],
    ['Restarts', `<span id="detail-restarts">${s.restarts}</span>`],
    ['Circuit', circuit],
    ['Recovery', rec ? `${rec.failures} failures, ${rec.recoveries} recovered${rec.meanTimeToRecoverMs !== null ? `, mean ${Math.round(rec.meanTimeToRecoverMs)} ms` : ''}` : '-'],
    ['Generation', `${item.generation}${item.revision ? ` · revision ${esc(item.revision.slice(0, 8))}` : ''}`],
    ['Source', esc(item.source || '-')],
    ...(s.job ? [['Job', `${s.job.succeeded}/${s.job.completions} succeeded, ${s.job.active} active, priority ${s.job.priority}${s.job.queuePosition !== undefined ? `, queue #${s.job.queuePosition}` : ''}`]] : []),
    ...(s.pool ? [['Pool', `${s.pool.workers} workers, ${s.pool.busy} busy, ${s.pool.waiting} waiting`]] : []),
  ]);
  const instances = item.instances.slice(0, 500).map((i) => `<tr><td>${esc(i.id)}</td><td>${badge(i.phase)}${i.ready ? '<span class="ok-mark" title="ready">✓</span>' : ''}</td><td class="num pid">${i.pid ?? '-'}</td><td class="num">${i.restarts}</td><td class="num">${age(i.startedAt)}</td>` +
    `<td class="num">${i.usage ? `${i.usage.cpu.toFixed(1)}%` : '-'}</td><td class="num">${i.usage ? bytes(i.usage.memory) : '-'}</td><td class="muted">${esc(i.lastExit ? `${i.lastExit.signal || `code ${i.lastExit.code}`} ${i.lastExit.reason}` : i.reason || '')}</td></tr>`).join('');
  const more = item.instances.length > 500 ? `<div class="muted">${item.instances.length - 500} more instances not shown</div>` : '';
  const probes = item.instances.flatMap((i) => Object.entries(i.probes || {}).map(([kind, p]) => `<tr><td>${esc(i.id)}</td><td>${esc(kind)}</td><td>${badge(p.ok ? 'Ready' : 'Failed')}</td><td class="num">${p.ok ? p.successes : p.failures}</td><td class="muted">${esc(p.message)}</td></tr>`)).join('');
  const alerts = state.alerts.filter((a) => a.object === item.key).map((a) => `<tr><td>${esc(a.instance)}</td><td>${esc(a.resource)}</td><td>${badge(a.severity)}</td><td class="num">${esc(a.value)} / ${esc(a.limit)}</td><td class="muted">since ${esc(a.since)}</td></tr>`).join('');
  const failures = (s.failures || []).slice(-10).reverse().map((f) => `<tr><td class="muted">${esc(f.at)}</td><td>${esc(f.instance)}</td><td>${badge(f.type)}</td><td>${esc(f.signal || `code ${f.exitCode ?? '?'}`)}</td><td class="muted">${esc(f.recoveredAt ? 'recovered' : '')}</td><td class="muted">${esc(f.message || (f.stderrTail || '').split('\n').filter(Boolean).at(-1) || '')}</td></tr>`).join('');
  const table = (title, headers, rows) => (rows ? `<h3>${title}</h3><table><thead><tr>${headers.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows}</tbody></table>` : '');
  const events = (item.events || []).slice().reverse().map(eventLine).join('');
  return {
    summary: head,
    instances: `<table id="instances"><thead><tr><th>ID</th><th>PHASE</th><th class="num">PID</th><th class="num">RESTARTS</th><th class="num">AGE</th><th class="num">CPU</th><th class="num">MEM</th><th>LAST EXIT</th></tr></thead><tbody>${instances}</tbody></table>${more}`,
    events: events || '<div class="muted">No events.</div>',
    more: table('Probes', ['INSTANCE', 'PROBE', 'RESULT', 'IN A ROW', 'MESSAGE'], probes) +
      table('Open alerts', ['INSTANCE', 'RESOURCE', 'SEVERITY', 'VALUE / LIMIT', 'SINCE'], alerts) +
      table('Failure history', ['AT', 'INSTANCE', 'TYPE', 'EXIT', '', 'WHY / LAST STDERR LINE'], failures),
  };
}

// The object page's requests go out together (and beside the overview's, see load): the item,
// its charts, then its log tail once the item names the instance. `alerts` settles when
// state.alerts is current.
async function refreshDetail(alerts) {
  if (!state.selected) return;
  const charts = refreshCharts();
  const item = await api(`/v1/objects/${state.selected}`).catch(() => null);
  await alerts;
  if (!item) return closeDetail();
  state.detail = item;
  $('detail-kind').textContent = item.kind;
  $('detail-name').textContent = item.name;
  setHtml($('detail-phase'), '');
  const parts = detailHtml(item);
  for (const part of ['summary', 'instances', 'events', 'more']) setHtml($(`detail-${part}`), parts[part]);
  const ids = item.instances.map((i) => i.id);
  if (!ids.includes(state.logInstance)) state.logInstance = ids[0] || '';
  setHtml($('log-instance'), ids.slice(0, 200).map((id) => `<option${id === state.logInstance ? ' selected' : ''}>${esc(id)}</option>`).join(''));
  await Promise.all([charts, refreshLogs()]);
}

async function refreshLogs() {
  if (!state.logInstance) return setHtml($('logs'), '<span class="muted">no instance</span>');
  const tail = await api(`/v1/logs/${encodeURIComponent(state.logInstance)}?tail=200`).catch(() => null);
  const el = $('logs');
  const atBottom = el.scrollTop + el.clientHeight >= el.scrollHeight - 4;
  const html = tail ? tail.stdout.map(esc).join('\n') + (tail.stderr.length ? `\n<span class="err">${tail.stderr.map(esc).join('\n')}</span>` : '') : '<span class="muted">no output yet</span>';
  setHtml(el, html);
  if (atBottom) el.scrollTop = el.scrollHeight;
}

const COLORS = ['#4fb3ff', '#3ecf8e', '#f5b942', '#ff6b6b', '#a78bfa', '#f472b6', '#2dd4bf', '#fb923c', '#a3e635', '#e879f9'];
const MAX_SERIES = 8;

// The total plus the busiest instances, on the total's time axis.
function chartData(usage, field) {
  const t = usage.total.t;
  const top = usage.instances.slice().sort((a, b) => (b[field].at(-1) || 0) - (a[field].at(-1) || 0)).slice(0, MAX_SERIES);
  const cols = top.map((s) => { const at = new Map(s.t.map((x, k) => [x, s[field][k]])); return t.map((x) => at.get(x) ?? null); });
  return { names: ['total', ...top.map((s) => s.id)], data: [t.map((x) => x / 1000), usage.total[field], ...cols] };
}

function drawChart(slot, el, title, data, fmt) {
  const width = Math.max(300, el.clientWidth - 12);
  const key = data.names.join(',');
  if (state.charts[slot] && state.charts[slot].__key === key) {
    state.charts[slot].setData(data.data);
    return;
  }
  if (state.charts[slot]) state.charts[slot].destroy();
  el.textContent = '';
  // The total on its own scale (right axis): beside a sum of 100 instances one instance's line
  // would lie flat on the floor of the chart.
  const series = [{}, ...data.names.map((name, k) => ({ label: name, scale: k === 0 ? 'total' : 'y', stroke: COLORS[k % COLORS.length], width: k === 0 ? 2 : 1, points: { show: false }, value: (_u, v) => (v === null ? '-' : fmt(v)) }))];
  const axis = { stroke: '#8393a3', grid: { stroke: '#2a3541' }, ticks: { stroke: '#2a3541' } };
  const values = (_u, vals) => tickLabels(vals, fmt);
  // At least a minute wide: a first sample alone would stretch the axis over years.
  const scales = { x: { time: true, range: (_u, min, max) => (max - min < 60 ? [max - 60, max] : [min, max]) } };
  const axes = [axis, { ...axis, scale: 'y', size: 60, values }, { ...axis, scale: 'total', side: 1, size: 60, values, stroke: COLORS[0], grid: { show: false } }];
  const chart = new uPlot({ title, width, height: 170, series, scales, axes, legend: { live: false } }, data.data, el);
  chart.__key = key;
  state.charts[slot] = chart;
}

async function refreshCharts() {
  const usage = await api(`/v1/usage/${state.selected}?top=${MAX_SERIES}`).catch(() => null);
  if (!usage || usage.total.t.length === 0) {
    for (const slot of ['cpu', 'mem']) { if (state.charts[slot]) state.charts[slot].destroy(); state.charts[slot] = null; }
    $('chart-cpu').textContent = 'No samples yet (monitoring samples running instances every interval).';
    $('chart-mem').textContent = '';
    return;
  }
  drawChart('cpu', $('chart-cpu'), 'CPU (% of one core)', chartData(usage, 'cpu'), (v, decimals = 1) => `${v.toFixed(decimals)}%`);
  drawChart('mem', $('chart-mem'), 'Memory (RSS)', chartData(usage, 'memory'), bytes);
}

function openDetail(key) {
  state.selected = key;
  writeHash();
  $('detail').hidden = false;
  for (const slot of ['cpu', 'mem']) { if (state.charts[slot]) state.charts[slot].destroy(); state.charts[slot] = null; }
  refresh();
}

function closeDetail() {
  state.selected = null;
  state.detail = null;
  writeHash();
  $('detail').hidden = true;
  refresh();
}

// ---- actions

function confirmAction(text) {
  return new Promise((resolve) => {
    const dialog = $('confirm');
    $('confirm-text').textContent = text;
    dialog.returnValue = '';
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
    dialog.showModal();
  });
}

async function act(verb) {
  if (!state.selected) return;
  const key = state.selected;
  if (!(await confirmAction(`${verb[0].toUpperCase()}${verb.slice(1)} ${key}?`))) return;
  try {
    await api(`/v1/objects/${key}/${verb}`, { method: 'POST' });
    toast(`${key}: ${verb} requested`);
  } catch (error) {
    toast(`${key}: ${error.message}`);
  }
  refresh();
}

function toast(text) {
  const el = $('toast');
  el.textContent = text;
  el.hidden = false;
  clearTimeout(el.__timer);
  el.__timer = setTimeout(() => { el.hidden = true; }, 3000);
}

// ---- refresh: throttled, one in flight

const MIN_GAP_MS = 400;
let inFlight = false;
let again = false;
let lastAt = 0;
let timer = null;

function refresh() {
  if (inFlight) { again = true; return; }
  const wait = lastAt + MIN_GAP_MS - Date.now();
  if (wait > 0) { if (!timer) timer = setTimeout(() => { timer = null; refresh(); }, wait); return; }
  inFlight = true;
  lastAt = Date.now();
  load().catch(onError).finally(() => {
    inFlight = false;
    if (again) { again = false; refresh(); }
  });
}

async function load() {
  const alerts = api('/v1/alerts').then((body) => { state.alerts = body.items; });
  const detail = refreshDetail(alerts.catch(() => undefined));
  const [objects] = await Promise.all([api('/v1/objects?view=summary'), alerts]);
  state.objects = objects.items;
  $('login').hidden = true;
  $('main').hidden = false;
  renderSummary();
  await renderTab();
  await detail;
  document.body.dataset.loaded = String(Date.now());
}

function onError(error) {
  if (error instanceof Unauthorized) return showLogin(state.token ? 'That token was refused.' : '');
  toast(`refresh failed: ${error.message}`);
}

function showLogin(message) {
  $('main').hidden = true;
  $('detail').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message;
  setLive(false, 'no access');
}

function setLive(on, text) {
  $('live').className = `dot ${on ? 'on' : 'off'}`;
  $('live-text').textContent = text;
}

// ---- the event stream (fetch, so the token travels in a header)

async function stream() {
  for (;;) {
    try {
      const headers = state.token ? { authorization: `Bearer ${state.token}` } : {};
      const res = await fetch('/v1/events?follow=1', { headers });
      if (res.status === 401) { showLogin(state.token ? 'That token was refused.' : ''); return; }
      setLive(true, 'live');
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (frame.startsWith('data: ')) onEvent(JSON.parse(frame.slice(6)));
        }
      }
    } catch {
      // Reconnect below.
    }
    setLive(false, 'reconnecting');
    await new Promise((r) => setTimeout(r, 2000));
  }
}

function onEvent(event) {
  state.events.push(event);
  if (state.events.length > 1000) state.events.splice(0, state.events.length - 1000);
  if (!document.hidden) refresh();
}

// ---- wiring

function wire() {
  $('tabs').addEventListener('click', (e) => {
    const tab = e.target.closest('button')?.dataset.tab;
    if (!tab) return;
    showTab(tab);
    writeHash();
    refresh();
  });
  $('view').addEventListener('click', (e) => {
    const row = e.target.closest('tr[data-key]');
    if (row) openDetail(row.dataset.key);
  });
  $('filter').addEventListener('input', (e) => { state.filter = e.target.value; refresh(); });
  $('detail-close').addEventListener('click', closeDetail);
  for (const b of document.querySelectorAll('[data-verb]')) b.addEventListener('click', () => act(b.dataset.verb));
  $('log-instance').addEventListener('change', (e) => { state.logInstance = e.target.value; refreshLogs(); });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !$('confirm').open) closeDetail();
    if (e.key === '/' && document.activeElement !== $('filter')) { e.preventDefault(); $('filter').focus(); }
  });
  document.addEventListener('visibilitychange', () => { if (!document.hidden) refresh(); });
  $('login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    state.token = $('token-input').value.trim();
    sessionStorage.setItem('tend-token', state.token);
    refresh();
    stream();
  });
}

function showTab(tab) {
  state.tab = tab;
  for (const b of $('tabs').querySelectorAll('button')) b.classList.toggle('active', b.dataset.tab === tab);
  $('view').__html = undefined;
}

// CPU and memory change without events: a slow tick while the page is visible.
const USAGE_TICK_MS = 5000;

readHash();
wire();
showTab(state.tab);
if (state.selected) openDetail(state.selected);
else refresh();
stream();
setInterval(() => { if (!document.hidden) refresh(); }, USAGE_TICK_MS);
