// flowhound — the operator's page. Plain browser JavaScript, no build step; uPlot is loaded
// before this file as the global `uPlot`. Every time is milliseconds since the Unix epoch
// (UTC) except inside uPlot, which takes seconds.
'use strict';

(() => {
  const TOKEN_KEY = 'flowhound.token';
  const ALERT_POLL_MS = 5000;
  const LIVE_POLL_MS = 30000;
  const FLOW_LIMIT = 100;
  const TOP_N = 10;
  const MAX_POINTS = 1200;           // graph points per series before a coarser step is asked for
  const HOUR = 3600e3;
  const PRESETS = { '1h': HOUR, '6h': 6 * HOUR, '24h': 24 * HOUR, '7d': 168 * HOUR, all: Infinity };
  const DEFAULT_PRESET = '6h';
  const COLORS = ['#4e9af1', '#f28e2b', '#59c27a', '#e15759', '#b07aa1', '#edc948',
    '#76b7b2', '#ff9da7', '#9c755f', '#8f9bff', '#c3e88d', '#bab0ac'];
  const GROUP_LABELS = { proto: 'protocols', port: 'ports', net: 'home networks', profile: 'profiles' };
  const PROTO_ORDER = ['tcp', 'udp', 'icmp', 'other'];
  const PROTO_NAMES = { 1: 'icmp', 2: 'igmp', 6: 'tcp', 17: 'udp', 41: 'ipv6', 47: 'gre', 50: 'esp',
    51: 'ah', 58: 'icmp6', 89: 'ospf', 132: 'sctp' };
  const SERVICES = { 20: 'ftp-data', 21: 'ftp', 22: 'ssh', 23: 'telnet', 25: 'smtp', 53: 'dns',
    67: 'dhcp', 80: 'http', 110: 'pop3', 123: 'ntp', 137: 'netbios', 143: 'imap', 161: 'snmp',
    389: 'ldap', 443: 'https', 445: 'smb', 465: 'smtps', 587: 'submission', 993: 'imaps',
    1194: 'openvpn', 1900: 'ssdp', 3306: 'mysql', 3389: 'rdp', 5060: 'sip', 5353: 'mdns',
    6881: 'bittorrent', 8080: 'http-alt', 8443: 'https-alt' };
  const SEVERITY_RANK = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };
  const METRICS = [
    { key: 'flows', id: 'chart-flows', unit: 'flows/s', fields: ['flows_in', 'flows_out'], scale: 1 },
    { key: 'packets', id: 'chart-packets', unit: 'packets/s', fields: ['packets_in', 'packets_out'], scale: 1 },
    { key: 'bits', id: 'chart-bits', unit: 'bits/s', fields: ['bytes_in', 'bytes_out'], scale: 8 },
  ];

  const state = {
    token: null,
    status: null,
    stepMs: 60000,
    range: null,          // { from, to, preset }: preset is a key of PRESETS or null for a fixed range
    history: [],          // earlier ranges, for "back"
    group: 'proto',
    hidden: new Set(),    // series the operator switched off in a legend
    rangeSeq: 0,
    flowSeq: 0,
    flowFilter: null,     // the filter of the last search, re-run when the range changes
    alerts: [],
    alertSig: '',
    openEvidence: new Set(),
    charts: [],
    problems: new Map(),
  };

  // ---------------------------------------------------------------- small helpers

  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

  // el('td', {class: 'num', dataset: {val: 1}}, 'text', childNode)
  function el(tag, attrs, ...kids) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k === 'class') node.className = v;
      else if (k === 'dataset') Object.assign(node.dataset, v);
      else if (k === 'onclick') node.addEventListener('click', v);
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const kid of kids.flat()) {
      if (kid == null || kid === false) continue;
      node.append(kid instanceof Node ? kid : String(kid));
    }
    return node;
  }

  const pad2 = (n) => String(n).padStart(2, '0');

  function fmtTime(ms, withSeconds) {
    if (ms == null || !Number.isFinite(ms)) return '–';
    const d = new Date(ms);
    const s = `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ` +
      `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
    return withSeconds ? `${s}:${pad2(d.getUTCSeconds())}` : s;
  }

  function fmtIsoTime(iso) {
    const ms = Date.parse(iso);
    return Number.isFinite(ms) ? fmtTime(ms, true) : (iso || '–');
  }

  function fmtDuration(ms) {
    const min = Math.round(ms / 60000);
    if (min < 60) return `${min} min`;
    const h = min / 60;
    if (h < 48) return `${+h.toFixed(h < 10 ? 1 : 0)} h`;
    return `${+(h / 24).toFixed(1)} d`;
  }

  const fmtInt = (n) => (n == null ? '–' : Number(n).toLocaleString('en-US'));

  // 1234567 -> "1.2 M"; small values keep up to three significant digits.
  function fmtSI(n, unit = '') {
    if (n == null || !Number.isFinite(n)) return '–';
    const prefixes = ['', 'k', 'M', 'G', 'T', 'P', 'E'];
    let v = Math.abs(n);
    let i = 0;
    while (v >= 999.5 && i < prefixes.length - 1) { v /= 1000; i++; }
    let text;
    if (i === 0 && Number.isInteger(v)) text = String(v);
    else text = v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toPrecision(2);
    text = String(+text);
    const sep = prefixes[i] || unit ? ' ' : '';
    return `${n < 0 ? '-' : ''}${text}${sep}${prefixes[i]}${unit}`;
  }

  function protoName(p) {
    if (p == null) return '';
    if (typeof p === 'number') return PROTO_NAMES[p] || String(p);
    return String(p).toLowerCase();
  }

  function hostPort(ip, port) {
    if (port == null) return ip || '';
    return ip && ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
  }

  // ---------------------------------------------------------------- problems and auth

  function setProblem(key, message) {
    if (message) state.problems.set(key, message);
    else state.problems.delete(key);
    const banner = $('#banner');
    banner.replaceChildren(...Array.from(state.problems.values(), (m) => el('div', null, m)));
    banner.hidden = state.problems.size === 0;
  }

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  function showAuth(message) {
    const form = $('#auth');
    $('#auth-msg').textContent = message;
    if (form.hidden) {
      form.hidden = false;
      $('#auth-token').focus();
    }
  }

  async function api(path, params) {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {})) {
      if (v != null && v !== '') qs.set(k, String(v));
    }
    const url = qs.toString() ? `${path}?${qs}` : path;
    const headers = { Accept: 'application/json' };
    if (state.token) headers.Authorization = `Bearer ${state.token}`;
    let res;
    try {
      res = await fetch(url, { headers, cache: 'no-store' });
    } catch (err) {
      throw new ApiError(0, `the daemon does not answer (${path}): ${err.message}`);
    }
    const text = await res.text();
    let body = null;
    try { body = text ? JSON.parse(text) : null; } catch { body = null; }
    if (res.status === 401) {
      showAuth(state.token
        ? 'The daemon refused this access token (HTTP 401). Enter the right one:'
        : 'The daemon wants an access token (HTTP 401). Enter it, or open the page as …/#token=TOKEN:');
      throw new ApiError(401, 'not authorized');
    }
    if (!res.ok) {
      const why = body && typeof body.error === 'string' ? body.error : `HTTP ${res.status} ${res.statusText}`;
      throw new ApiError(res.status, why);
    }
    if (body === null) throw new ApiError(res.status, `${path} did not answer with JSON`);
    return body;
  }

  // Report a failed request in the banner (401 has its own form), or clear the banner line.
  function report(key, err) {
    if (!err) { setProblem(key, null); return; }
    if (err.status === 401) return;
    setProblem(key, `${key}: ${err.message}`);
  }

  // ---------------------------------------------------------------- the time range

  const floorStep = (ms) => Math.floor(ms / state.stepMs) * state.stepMs;
  const ceilStep = (ms) => Math.ceil(ms / state.stepMs) * state.stepMs;

  // The end of the data: the end of the step holding data_last, or of the current step.
  function dataEnd() {
    const s = state.status;
    return s.data_last != null ? ceilStep(s.data_last + 1) : ceilStep(s.now);
  }

  function presetRange(preset) {
    const s = state.status;
    const to = dataEnd();
    const first = s.data_first != null ? floorStep(s.data_first) : null;
    let from = PRESETS[preset] === Infinity ? first : to - PRESETS[preset];
    if (from == null) from = to - PRESETS[DEFAULT_PRESET];
    if (first != null && first > from && first < to) from = first;
    return { from, to, preset };
  }

  // A preset range follows the newest data; it is live while data keeps arriving.
  function isLive() {
    const s = state.status;
    if (!state.range || !state.range.preset || !s) return false;
    return s.data_last == null || s.now - s.data_last <= 10 * state.stepMs + 60000;
  }

  function readHash() {
    return new URLSearchParams(location.hash.replace(/^#/, ''));
  }

  // Keep the range in the address (never the token), so a view can be bookmarked or shared.
  function writeHash() {
    const p = new URLSearchParams();
    const r = state.range;
    if (r.preset) p.set('range', r.preset);
    else { p.set('from', String(r.from)); p.set('to', String(r.to)); }
    if (state.group !== 'proto') p.set('group', state.group);
    const hash = `#${p}`;
    if (location.hash !== hash) history.replaceState(null, '', hash);
  }

  function rangeFromHash(p) {
    const from = Number(p.get('from'));
    const to = Number(p.get('to'));
    if (p.has('from') && p.has('to') && Number.isFinite(from) && Number.isFinite(to) && to > from) {
      return { from, to, preset: null };
    }
    const preset = p.get('range');
    if (preset && preset in PRESETS) return presetRange(preset);
    return null;
  }

  function setRange(range, { remember = true } = {}) {
    if (remember && state.range) state.history.push(state.range);
    if (state.history.length > 50) state.history.shift();
    state.range = range;
    loadRange();
  }

  function brushTo(fromMs, toMs) {
    let from = Math.max(floorStep(fromMs), state.range.from);
    let to = Math.min(ceilStep(toMs), state.range.to);
    if (to <= from) to = from + state.stepMs;
    if (from === state.range.from && to === state.range.to) return;
    setRange({ from, to, preset: null });
  }

  function renderRange() {
    const r = state.range;
    $('#range-label').textContent =
      `${fmtTime(r.from)} – ${fmtTime(r.to)} UTC  (${fmtDuration(r.to - r.from)})`;
    $('#range-label').dataset.from = r.from;
    $('#range-label').dataset.to = r.to;
    $('#live').hidden = !isLive();
    for (const b of $$('[data-preset]')) b.setAttribute('aria-pressed', String(b.dataset.preset === r.preset));
    $('#back').disabled = state.history.length === 0;
    const local = (ms) => new Date(ms).toISOString().slice(0, 16);
    $('#custom-from').value = local(r.from);
    $('#custom-to').value = local(r.to);
    writeHash();
  }

  // ---------------------------------------------------------------- graphs and totals

  function seriesGroups() {
    const groups = new Map();
    for (const name of state.status.series || []) {
      const dot = name.indexOf('.');
      if (dot < 0) continue;
      const prefix = name.slice(0, dot);
      if (!groups.has(prefix)) groups.set(prefix, []);
      groups.get(prefix).push(name);
    }
    const rank = (name) => {
      const rest = name.slice(name.indexOf('.') + 1);
      const p = PROTO_ORDER.indexOf(rest);
      return p >= 0 ? p : 100;
    };
    for (const names of groups.values()) {
      names.sort((a, b) => rank(a) - rank(b) ||
        a.localeCompare(b, 'en', { numeric: true }));
    }
    return groups;
  }

  function fillGroupSelect() {
    const select = $('#group');
    const groups = seriesGroups();
    const options = Array.from(groups.keys(), (prefix) =>
      el('option', { value: prefix }, `${GROUP_LABELS[prefix] || prefix} (${groups.get(prefix).length})`));
    select.replaceChildren(...options);
    if (!groups.has(state.group)) state.group = groups.has('proto') ? 'proto' : (groups.keys().next().value || 'proto');
    select.value = state.group;
  }

  // A step that keeps each graph under MAX_POINTS points: a multiple of the stored step.
  function graphStepMs(range) {
    const want = (range.to - range.from) / MAX_POINTS;
    if (want <= state.stepMs) return state.stepMs;
    return Math.ceil(want / state.stepMs) * state.stepMs;
  }

  function sumSeries(series, field) {
    let sum = 0n;
    for (const v of series[field] || []) if (v) sum += BigInt(Math.round(v));
    return sum;
  }

  function renderTotals(total) {
    const put = (id, value, unit) => {
      const node = $(id);
      if (value == null) {
        node.removeAttribute('data-value');
        node.textContent = '–';
        node.title = '';
        return;
      }
      node.dataset.value = value.toString();
      node.textContent = fmtSI(Number(value), unit);
      node.title = `${fmtInt(value)}${unit ? ' bytes' : ''}`;
    };
    put('#total-flows', total && sumSeries(total, 'flows_in') + sumSeries(total, 'flows_out'), '');
    put('#total-packets', total && sumSeries(total, 'packets_in') + sumSeries(total, 'packets_out'), '');
    put('#total-bytes', total && sumSeries(total, 'bytes_in') + sumSeries(total, 'bytes_out'), 'B');
  }

  function seriesLabel(name) {
    const rest = name.slice(name.indexOf('.') + 1);
    if (name.startsWith('port.') && SERVICES[rest]) return `${rest} ${SERVICES[rest]}`;
    return rest;
  }

  async function loadGraphs(seq) {
    const range = state.range;
    const names = seriesGroups().get(state.group) || [];
    if (!(state.status.series || []).includes('total')) {
      destroyCharts();
      renderTotals(null);
      $('#charts').classList.add('empty');
      report('graphs', { message: 'the daemon keeps no time series (no "total" in /api/status)' });
      return;
    }
    const stepMs = graphStepMs(range);
    const query = (list, step) => api('/api/series', {
      names: list.join(','), from: range.from, to: range.to,
      step: step === state.stepMs ? null : step / 1000,
    });
    try {
      const graphReq = query(['total', ...names], stepMs);
      // Totals are summed at the stored step, so they are exact whatever the graph step is.
      const totalReq = stepMs === state.stepMs ? graphReq : query(['total'], state.stepMs);
      const [graph, totals] = await Promise.all([graphReq, totalReq]);
      if (seq !== state.rangeSeq) return;
      renderTotals(totals.series.find((s) => s.name === 'total'));
      $('#total-step').textContent = `${fmtDuration(stepMs)} per point`;
      drawCharts(graph, names);
      report('graphs', null);
    } catch (err) {
      if (seq !== state.rangeSeq) return;
      renderTotals(null);
      report('graphs', err);
    }
  }

  function destroyCharts() {
    for (const u of state.charts) u.destroy();
    state.charts = [];
  }

  // Stack the shown series bottom-up: row k holds the sum of series 0..k (hidden ones add 0).
  function stack(rows, shown) {
    const out = [];
    let acc = null;
    rows.forEach((row, k) => {
      const next = row.map((v, i) => (acc ? acc[i] : 0) + (shown[k] ? (v || 0) : 0));
      out.push(next);
      acc = next;
    });
    return out;
  }

  const withAlpha = (hex, a) => hex + Math.round(a * 255).toString(16).padStart(2, '0');

  function drawCharts(graph, names) {
    destroyCharts();
    const stepSec = (graph.step || state.stepMs / 1000);
    const t = (graph.t || []).map((ms) => ms / 1000);
    const byName = new Map(graph.series.map((s) => [s.name, s]));
    const present = names.filter((n) => byName.has(n));
    const shown = present.map((n) => !state.hidden.has(n));
    const lowestShown = shown.indexOf(true);
    const container = $('#charts');
    container.classList.toggle('empty', t.length === 0);

    for (const m of METRICS) {
      const rate = (s) => (s ? s[m.fields[0]].map((v, i) => ((v || 0) + (s[m.fields[1]][i] || 0)) * m.scale / stepSec) : []);
      const raw = present.map((n) => rate(byName.get(n)));
      const total = rate(byName.get('total'));
      const stacked = stack(raw, shown);
      const series = [{ value: (u, v) => (v == null ? '' : fmtTime(v * 1000)) }];
      const bands = [];
      let below = null;    // uPlot index of the next shown series down the stack
      present.forEach((name, k) => {
        const color = COLORS[k % COLORS.length];
        const idx = k + 1;
        series.push({
          label: seriesLabel(name),
          stroke: color,
          width: 1,
          fill: k === lowestShown ? withAlpha(color, 0.55) : undefined,
          show: shown[k],
          value: (u, v, si, i) => (i == null || raw[k][i] == null ? '–' : fmtSI(raw[k][i])),
        });
        if (shown[k]) {
          if (below != null) bands.push({ series: [idx, below], fill: withAlpha(color, 0.55) });
          below = idx;
        }
      });
      series.push({
        label: 'total', stroke: '#d7dde5', width: 1, dash: [4, 4],
        value: (u, v) => (v == null ? '–' : fmtSI(v)),
      });

      const host = $(`#${m.id}`);
      $$('.uplot', host).forEach((n) => n.remove());
      const opts = {
        width: chartWidth(host),
        height: 200,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'),
        cursor: { sync: { key: 'flowhound' }, drag: { x: true, y: false, setScale: false } },
        scales: { x: { time: true }, y: { range: (u, min, max) => [0, max > 0 ? max * 1.08 : 1] } },
        axes: [
          { stroke: '#8b95a3', grid: { stroke: '#262c35' }, ticks: { stroke: '#262c35' }, values: timeTicks,
            incrs: TIME_INCRS },
          { stroke: '#8b95a3', grid: { stroke: '#262c35' }, ticks: { stroke: '#262c35' }, size: 64,
            values: (u, vals) => vals.map((v) => fmtSI(v)) },
        ],
        series,
        bands,
        hooks: {
          setSelect: [(u) => {
            if (u.select.width < 3) return;
            const a = u.posToVal(u.select.left, 'x');
            const b = u.posToVal(u.select.left + u.select.width, 'x');
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            brushTo(a * 1000, b * 1000);
          }],
          setSeries: [(u, si) => {
            if (si == null || si < 1 || si > present.length) return;
            const name = present[si - 1];
            const hide = !u.series[si].show;
            if (hide === state.hidden.has(name)) return;
            if (hide) state.hidden.add(name);
            else state.hidden.delete(name);
            // Redraw after uPlot has finished its own handler: the stack changes shape.
            setTimeout(() => drawCharts(graph, names), 0);
          }],
        },
      };
      const u = new uPlot(opts, [t, ...stacked, total], host);
      state.charts.push(u);
    }
  }

  // Tick spacings of the time axis (seconds): never finer than the one-minute step.
  const TIME_INCRS = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200,
    86400, 2 * 86400, 7 * 86400, 14 * 86400, 30 * 86400];

  // Axis labels in UTC, 24-hour: "HH:MM", with the date under the first tick and at midnight.
  function timeTicks(u, splits, axisIdx, space, incr) {
    return splits.map((sec, i) => {
      const d = new Date(sec * 1000);
      const date = `${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
      if (incr >= 86400) return date;
      const hm = `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
      return i === 0 || (d.getUTCHours() === 0 && d.getUTCMinutes() === 0) ? `${hm}\n${date}` : hm;
    });
  }

  function chartWidth(host) {
    return Math.max(300, host.clientWidth - 4);
  }

  let resizeTimer = null;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      for (const u of state.charts) u.setSize({ width: chartWidth(u.root.parentNode), height: 200 });
    }, 150);
  });

  // ---------------------------------------------------------------- top-N tables

  // The filter that selects the flows of one top-N value.
  function filterFor(by, val) {
    switch (by) {
      case 'dstport': return `dst port ${val}`;
      case 'srcport': return `src port ${val}`;
      case 'port': return `port ${val}`;
      case 'srcip': return `src ip ${val}`;
      case 'dstip': return `dst ip ${val}`;
      case 'ip': return `ip ${val}`;
      case 'proto': return `proto ${String(val).toLowerCase()}`;
      default: return '';
    }
  }

  async function loadTops(seq) {
    const order = $('#top-order').value;
    const range = state.range;
    await Promise.all($$('.top-table').map(async (box) => {
      const by = box.dataset.by;
      try {
        const res = await api('/api/top', { by, order, from: range.from, to: range.to, n: TOP_N });
        if (seq !== state.rangeSeq) return;
        renderTop(box, res, order);
        report(`top ${by}`, null);
      } catch (err) {
        if (seq !== state.rangeSeq) return;
        $('tbody', box).replaceChildren(el('tr', null, el('td', { colspan: 4, class: 'muted' }, 'not available')));
        report(`top ${by}`, err);
      }
    }));
  }

  function renderTop(box, res, order) {
    const by = box.dataset.by;
    const cols = ['flows', 'packets', 'bytes'];
    $('thead', box).replaceChildren(el('tr', null,
      el('th', null, by === 'proto' ? 'protocol' : by.endsWith('port') ? 'port' : 'address'),
      cols.map((c) => el('th', { class: c === order ? 'num ordered' : 'num' }, c))));
    const whole = res.total && res.total[order] ? res.total[order] : 0;
    const rows = (res.rows || []).map((row) => {
      const val = String(row.val);
      const share = whole ? Math.min(1, row[order] / whole) : 0;
      const label = by.endsWith('port') && SERVICES[val] ? el('span', { class: 'muted' }, ` ${SERVICES[val]}`) : null;
      const button = el('button', {
        type: 'button', class: 'link', title: `search flows: ${filterFor(by, val)}`,
        onclick: () => searchFor(filterFor(by, val)),
      }, val);
      return el('tr', { dataset: { testid: 'top-row', by, val } },
        el('td', { class: 'val' },
          el('div', { class: 'share', style: `width:${(share * 100).toFixed(1)}%` }), button, label),
        cols.map((c) => el('td', { class: c === order ? 'num ordered' : 'num', title: fmtInt(row[c]) },
          c === 'bytes' ? fmtSI(row[c], 'B') : fmtSI(row[c]))));
    });
    if (rows.length === 0) rows.push(el('tr', null, el('td', { colspan: 4, class: 'muted' }, 'nothing in this range')));
    $('tbody', box).replaceChildren(...rows);
  }

  // ---------------------------------------------------------------- flow search

  function searchFor(filter) {
    $('#flow-filter').value = filter;
    runFlowSearch(filter);
    $('#flows').scrollIntoView({ behavior: 'smooth', block: 'start' });
  }

  // "filter:1:6: message" -> the message with the filter and a caret under column 6.
  function renderFilterError(box, message, filter) {
    box.replaceChildren(el('div', null, message));
    const m = /^filter:(\d+):(\d+):/.exec(message);
    if (!m) return;
    const line = filter.split('\n')[Number(m[1]) - 1];
    if (line == null) return;
    const col = Math.max(1, Number(m[2]));
    box.append(el('pre', { class: 'caret' }, `${line}\n${' '.repeat(col - 1)}^`));
  }

  async function runFlowSearch(filter) {
    const seq = ++state.flowSeq;
    state.flowFilter = filter;
    const table = $('#flow-table');
    const errBox = $('#flow-error');
    const matched = $('#flow-matched');
    table.dataset.state = 'loading';
    table.dataset.query = filter;
    errBox.replaceChildren();
    matched.textContent = 'searching…';
    matched.removeAttribute('data-value');
    try {
      const res = await api('/api/flows', {
        filter: filter.trim() || 'any', from: state.range.from, to: state.range.to, limit: FLOW_LIMIT,
      });
      if (seq !== state.flowSeq) return;
      const rows = res.rows || [];
      $('tbody', table).replaceChildren(...rows.map(flowRow));
      matched.dataset.value = String(res.matched);
      matched.textContent = `${fmtInt(rows.length)} of ${fmtInt(res.matched)} matched`;
      table.dataset.state = 'done';
    } catch (err) {
      if (seq !== state.flowSeq) return;
      $('tbody', table).replaceChildren();
      matched.textContent = '';
      if (err.status === 401) errBox.textContent = 'not authorized: enter the access token above';
      else renderFilterError(errBox, err.message, filter);
      table.dataset.state = 'error';
    }
  }

  // TCP flags as nfdump prints them, "CEUAPRSF" with a dot for each flag not set.
  function tcpFlags(f) {
    if (typeof f.tcp_flags !== 'number') return f.tcp_flags || '';
    if (f.proto !== 6) return '';
    return Array.from('CEUAPRSF', (c, i) => ((f.tcp_flags >> (7 - i)) & 1 ? c : '.')).join('');
  }

  function flowRow(f) {
    let proto = protoName(f.proto);
    const icmp = f.proto === 1 || f.proto === 58;
    // ICMP carries type << 8 | code in the destination port.
    if (icmp && f.dport != null) proto += ` ${f.dport >> 8}/${f.dport & 255}`;
    return el('tr', {
      dataset: { testid: 'flow-row', sport: f.sport, dport: f.dport, proto: f.proto, src: f.src, dst: f.dst },
    },
    el('td', { class: 'time' }, fmtIsoTime(f.first)),
    el('td', { class: 'time' }, fmtIsoTime(f.last)),
    el('td', { class: 'mono' }, f.exporter || ''),
    el('td', null, proto),
    el('td', { class: 'mono' }, icmp ? f.src : hostPort(f.src, f.sport)),
    el('td', { class: 'mono' }, icmp ? f.dst : hostPort(f.dst, f.dport)),
    el('td', { class: 'mono' }, tcpFlags(f)),
    el('td', { class: 'num', title: fmtInt(f.packets) }, fmtSI(f.packets)),
    el('td', { class: 'num', title: fmtInt(f.bytes) }, fmtSI(f.bytes, 'B')));
  }

  // ---------------------------------------------------------------- alerts

  let alertTimer = null;

  async function loadAlerts() {
    clearTimeout(alertTimer);
    const list = $('#alert-list');
    try {
      const res = await api('/api/alerts', { status: $('#alert-status').value, limit: 200 });
      state.alerts = Array.isArray(res.alerts) ? res.alerts : [];
      state.alertSource = res.source;
      renderAlerts();
      list.dataset.state = 'done';
      report('alerts', null);
    } catch (err) {
      list.dataset.state = 'error';
      report('alerts', err);
    }
    alertTimer = setTimeout(loadAlerts, ALERT_POLL_MS);
  }

  function alertInRange(a) {
    if (!$('#alert-in-range').checked || !state.range) return true;
    const first = Date.parse(a.first_seen);
    const last = Date.parse(a.last_seen);
    const to = isLive() ? Infinity : state.range.to;
    if (!Number.isFinite(first) || !Number.isFinite(last)) return true;
    return first < to && last >= state.range.from;
  }

  function renderAlerts() {
    const inRange = state.alerts.filter(alertInRange);
    const sig = JSON.stringify([inRange, state.alerts.length, state.alertSource]);
    if (sig === state.alertSig) return;
    state.alertSig = sig;
    inRange.sort((a, b) =>
      (a.status === 'active' ? 0 : 1) - (b.status === 'active' ? 0 : 1) ||
      (SEVERITY_RANK[a.severity] ?? 9) - (SEVERITY_RANK[b.severity] ?? 9) ||
      String(b.last_seen).localeCompare(String(a.last_seen)));
    const hidden = state.alerts.length - inRange.length;
    $('#alert-info').textContent = `${inRange.length} shown` +
      (hidden ? `, ${hidden} outside the range` : '') +
      (state.alertSource ? ` · from ${state.alertSource}` : '');
    const items = inRange.map(alertItem);
    if (items.length === 0) items.push(el('li', { class: 'muted empty' }, 'no alerts'));
    $('#alert-list').replaceChildren(...items);
  }

  function alertItem(a) {
    const c = a.count || {};
    const port = a.port != null ? `:${a.port}` : '';
    const target = a.dst ? `${a.dst}${port}` : (port ? `*${port}` : '*');
    const details = el('details', { open: state.openEvidence.has(a.id) },
      el('summary', null, 'evidence'),
      el('pre', null, JSON.stringify(a.evidence ?? null, null, 2)));
    details.addEventListener('toggle', () => {
      if (details.open) state.openEvidence.add(a.id);
      else state.openEvidence.delete(a.id);
    });
    const counts = [['flows', c.flows], ['packets', c.packets], ['bytes', c.bytes], ['targets', c.targets]]
      .filter(([, v]) => v != null)
      .map(([k, v]) => el('span', { title: fmtInt(v) }, `${k} ${k === 'bytes' ? fmtSI(v, 'B') : fmtSI(v)}`));
    return el('li', {
      class: `alert sev-${a.severity || 'info'} ${a.status === 'active' ? 'active' : 'resolved'}`,
      dataset: { testid: 'alert', type: a.type, src: a.src ?? '', status: a.status, id: a.id },
    },
    el('div', { class: 'alert-main' },
      el('span', { class: 'sev' }, a.severity || '?'),
      el('span', { class: 'type' }, a.type),
      el('span', { class: 'mono who' }, `${a.src ?? '?'} → ${target}`, a.proto ? el('span', { class: 'muted' }, ` ${a.proto}`) : null),
      el('span', { class: 'status' }, a.status),
      a.src ? el('button', {
        type: 'button', class: 'link small', title: `search the flows of ${a.src} in the range`,
        onclick: () => searchFor(`ip ${a.src}`),
      }, 'flows') : null),
    el('div', { class: 'alert-meta' },
      counts,
      el('span', null, `first ${fmtIsoTime(a.first_seen)}`),
      el('span', null, `last ${fmtIsoTime(a.last_seen)}`),
      el('span', { class: 'muted' }, `detected ${fmtIsoTime(a.detected_at)}`),
      a.exporters && a.exporters.length ? el('span', { class: 'muted' }, `via ${a.exporters.join(', ')}`) : null),
    details);
  }

  // ---------------------------------------------------------------- loading

  async function loadStatus() {
    const s = await api('/api/status');
    state.status = s;
    state.stepMs = s.step_ms > 0 ? s.step_ms : 60000;
    $('#version').textContent = s.version ? `v${s.version}` : '';
    report('status', null);
    return s;
  }

  // Load every panel for state.range. A live refresh leaves the flow search alone: its rows
  // would change under the reader's eyes every 30 s.
  async function loadRange({ flows = true } = {}) {
    const seq = ++state.rangeSeq;
    document.body.dataset.state = 'loading';
    renderRange();
    renderAlerts();
    const jobs = [loadGraphs(seq), loadTops(seq)];
    if (flows && state.flowFilter != null) jobs.push(runFlowSearch(state.flowFilter));
    await Promise.all(jobs);
    if (seq !== state.rangeSeq) return;
    document.body.dataset.state = 'ready';
    document.body.dataset.loaded = String(seq);
  }

  async function liveTick() {
    if (!state.range || !state.range.preset || document.hidden) return;
    try { await loadStatus(); } catch (err) { report('status', err); return; }
    if (!isLive()) { renderRange(); return; }
    state.range = presetRange(state.range.preset);
    loadRange({ flows: false });
  }

  let started = false;

  async function start() {
    try {
      await loadStatus();
    } catch (err) {
      report('status', err);
      if (err.status !== 401) setTimeout(start, 5000);
      return;
    }
    fillGroupSelect();
    const p = readHash();
    if (p.get('group')) { state.group = p.get('group'); fillGroupSelect(); }
    state.range = rangeFromHash(p) || presetRange(DEFAULT_PRESET);
    if (!started) {
      started = true;
      setInterval(liveTick, LIVE_POLL_MS);
    }
    loadRange();
    loadAlerts();
  }

  function takeTokenFromHash() {
    const p = readHash();
    const t = p.get('token');
    if (t) {
      sessionStorage.setItem(TOKEN_KEY, t);
      p.delete('token');
      const rest = p.toString();
      history.replaceState(null, '', rest ? `#${rest}` : location.pathname + location.search);
    }
    state.token = sessionStorage.getItem(TOKEN_KEY);
  }

  function bindControls() {
    for (const b of $$('[data-preset]')) {
      b.addEventListener('click', () => { if (state.status) setRange(presetRange(b.dataset.preset)); });
    }
    $('#back').addEventListener('click', () => {
      const prev = state.history.pop();
      if (prev) setRange(prev.preset ? presetRange(prev.preset) : prev, { remember: false });
    });
    $('#reset').addEventListener('click', () => {
      if (!state.status) return;
      state.history = [];
      setRange(presetRange(DEFAULT_PRESET), { remember: false });
    });
    $('#custom-range').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const from = Date.parse(`${$('#custom-from').value}Z`);
      const to = Date.parse(`${$('#custom-to').value}Z`);
      if (!Number.isFinite(from) || !Number.isFinite(to) || to <= from) {
        setProblem('range', 'range: "from" must be before "to"');
        return;
      }
      setProblem('range', null);
      setRange({ from, to, preset: null });
    });
    $('#group').addEventListener('change', (ev) => {
      state.group = ev.target.value;
      writeHash();
      loadGraphs(state.rangeSeq);
    });
    $('#top-order').addEventListener('change', () => loadTops(state.rangeSeq));
    $('#flow-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (state.range) runFlowSearch($('#flow-filter').value);
    });
    $('#alert-status').addEventListener('change', () => { state.alertSig = ''; loadAlerts(); });
    $('#alert-in-range').addEventListener('change', () => { state.alertSig = ''; renderAlerts(); });
    $('#auth').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const t = $('#auth-token').value.trim();
      if (!t) return;
      sessionStorage.setItem(TOKEN_KEY, t);
      state.token = t;
      $('#auth').hidden = true;
      $('#auth-token').value = '';
      if (!state.range) start();
      else { loadRange(); loadAlerts(); }
    });
    window.addEventListener('hashchange', () => {
      takeTokenFromHash();
      if (!state.status) return;
      const r = rangeFromHash(readHash());
      if (r && (r.from !== state.range.from || r.to !== state.range.to || r.preset !== state.range.preset)) setRange(r);
    });
  }

  takeTokenFromHash();
  bindControls();
  start();
})();
