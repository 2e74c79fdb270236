// The dashboard: a hash router over three pages (overview, subnet, try
// it), each reading the gateway's JSON API (see ../api.go). Tests read the
// page state from <body data-page data-ready> and window.tcTimings.

import {$, h, api, reportError, clearError, clearAllErrors, fmtTensor, tensorExact, fmtInt, fmtMS, fmtPct, group,
  keyCell, copyClick, sleep} from './util.js';
import {Heatmap, lineChart, stackedBars, sparkline, chartTips, loadWeights} from './charts.js';
import {MetagraphTable} from './metagraph.js';
import {renderTry} from './try.js';

const main = $('#main');
window.tcTimings = window.tcTimings || {};

// Refresh periods (ms).
const NETWORK_EVERY = 2000, MINERS_EVERY = 2000, METAGRAPH_EVERY = 10000, SLOW_EVERY = 30000;
// How long the subnet page waits for all its first data before it shows
// what it has.
const FIRST_BATCH_MS = 1500;

// ---- shared data ---------------------------------------------------------

let configPromise = null;
// config resolves to the gateway's Config, or null when it did not answer.
export function getConfig() {
  if (!configPromise) {
    configPromise = api('/v1/dashboard/config').then((r) => {
      if (!r.ok) {
        configPromise = null; // try again next time
        reportError('config', r.error);
        return null;
      }
      clearError('config');
      const c = r.data;
      $('#footer-version').textContent = `tensorcosm gateway ${c.version || ''}`.trim();
      return c;
    });
  }
  return configPromise;
}

let network = null; // the latest Network document
let networkPromise = null;
// getNetwork resolves to the latest Network (fetched once when none yet).
export function getNetwork(signal) {
  if (network) return Promise.resolve(network);
  if (!networkPromise) {
    networkPromise = fetchNetwork(signal).finally(() => { networkPromise = null; });
  }
  return networkPromise;
}

async function fetchNetwork(signal) {
  const r = await api('/v1/network', {signal});
  if (r.aborted) return network;
  if (!r.ok) {
    reportError('network', r.error);
    return network;
  }
  clearError('network');
  network = r.data;
  renderNav();
  return network;
}

// ---- navigation ------------------------------------------------------

function renderNav() {
  const list = $('#nav-list');
  const items = [h('li', null, h('a', {href: '#/', 'data-route': 'overview'}, 'Overview'))];
  for (const s of (network && network.subnets) || []) {
    items.push(h('li', null, h('a', {href: `#/subnet/${s.netuid}`, 'data-route': `subnet/${s.netuid}`},
      `${s.netuid} · ${s.name || s.task}`)));
  }
  list.replaceChildren(...items);
  $('#chain-id').textContent = network ? network.chain_id : '';
  markNav();
}

function markNav() {
  const r = parseRoute();
  const key = r.page === 'overview' ? 'overview' : `subnet/${r.netuid}`;
  for (const a of document.querySelectorAll('#nav-list a')) {
    if (a.dataset.route === key) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

const navToggle = $('#nav-toggle');
navToggle.addEventListener('click', () => {
  const open = navToggle.getAttribute('aria-expanded') !== 'true';
  navToggle.setAttribute('aria-expanded', String(open));
  $('#nav').classList.toggle('open', open);
});
$('#nav').addEventListener('click', (ev) => {
  if (ev.target.closest('a')) {
    navToggle.setAttribute('aria-expanded', 'false');
    $('#nav').classList.remove('open');
  }
});

// ---- routing -----------------------------------------------------------

function parseRoute() {
  const hash = location.hash || '#/';
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  if ((parts[0] === 'subnet' || parts[0] === 'try') && /^\d+$/.test(parts[1] || '')) {
    return {page: parts[0], netuid: Number(parts[1])};
  }
  if (parts.length === 0) return {page: 'overview'};
  return {page: 'notfound', path: hash};
}

// Route is one rendering of a page: its fetches abort and its timers stop
// when the user navigates away.
class Route {
  constructor(page, start) {
    this.page = page;
    this.start = start;
    this.controller = new AbortController();
    this.signal = this.controller.signal;
    this.timers = new Set();
    this.cleanups = [];
    this.isReady = false;
  }

  get alive() { return current === this; }

  // every runs fn every ms after the previous run finished (not while the
  // tab is hidden).
  every(ms, fn) {
    const tick = async () => {
      this.timers.delete(t);
      if (!this.alive) return;
      if (!document.hidden) {
        try {
          await fn();
        } catch (e) {
          console.warn('dashboard: refresh failed', e);
        }
      }
      if (this.alive) {
        t = setTimeout(tick, ms);
        this.timers.add(t);
      }
    };
    let t = setTimeout(tick, ms);
    this.timers.add(t);
  }

  on(target, type, fn, opts) {
    target.addEventListener(type, fn, opts);
    this.cleanups.push(() => target.removeEventListener(type, fn, opts));
  }

  // ready marks the page's first data as rendered (once).
  ready() {
    if (!this.alive || this.isReady) return;
    this.isReady = true;
    // reads preload.js started and nobody took over are stale by now
    if (window.tcPrefetch) window.tcPrefetch.clear();
    document.body.dataset.ready = '1';
    window.tcTimings[this.page] = Math.round((performance.now() - this.start) * 10) / 10;
  }

  close() {
    this.controller.abort();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const f of this.cleanups) f();
  }
}

let current = null;
let firstRoute = true;

function route() {
  const r = parseRoute();
  // the initial load counts from the navigation start; later ones from now
  const start = firstRoute ? 0 : performance.now();
  firstRoute = false;
  if (current) current.close();
  clearAllErrors();
  for (const m of performance.getEntriesByType('mark')) if (m.name.startsWith('tc:')) performance.clearMarks(m.name);
  const rt = new Route(r.page === 'notfound' ? 'notfound' : r.page, start);
  current = rt;
  document.body.dataset.ready = '0';
  document.body.dataset.page = rt.page;
  markNav();
  main.replaceChildren();
  if (window.scrollY) window.scrollTo(0, 0);
  let p;
  switch (r.page) {
    case 'overview':
      document.title = 'Overview · tensorcosm gateway';
      p = renderOverview(rt);
      break;
    case 'subnet':
      document.title = `Subnet ${r.netuid} · tensorcosm gateway`;
      p = renderSubnet(rt, r.netuid);
      break;
    case 'try':
      document.title = `Try subnet ${r.netuid} · tensorcosm gateway`;
      p = renderTry(rt, r.netuid, {getConfig, getNetwork});
      break;
    default:
      document.title = 'Not found · tensorcosm gateway';
      main.append(h('h1', null, 'Not found'), h('p', null, `No page at ${r.path}. `, h('a', {href: '#/'}, 'Go to the overview.')));
      rt.ready();
      p = Promise.resolve();
  }
  Promise.resolve(p).catch((e) => {
    // a bug, not an API failure: show it, never leave it uncaught
    console.warn('dashboard: rendering failed', e);
    if (rt.alive) {
      main.append(h('p', {class: 'error-box'}, `This page failed to render: ${e && e.message ? e.message : e}`));
      rt.ready();
    }
  });
}

window.addEventListener('hashchange', route);

// ---- overview --------------------------------------------------------------

// req/s samples since the page was opened (kept across navigations).
const trafficSamples = [];
const MAX_SAMPLES = 900;

function card(label, id) {
  return h('div', {class: 'card'}, h('div', {class: 'label'}, label), h('div', {class: 'value', id}, '—'),
    h('div', {class: 'sub', id: id + '-sub'}));
}

async function renderOverview(rt) {
  main.append(
    h('div', {class: 'page-head'}, h('h1', null, 'Network overview'), h('span', {class: 'meta', id: 'overview-updated'})),
    h('section', {class: 'cards', 'aria-label': 'chain'},
      card('Chain ID', 'ov-chain'), card('Height', 'ov-height'), card('Block time', 'ov-blocktime'),
      card('Total stake', 'ov-stake'), card('Total issuance', 'ov-issuance'), card('Emitted by subnets', 'ov-emitted')),
    h('section', {class: 'panel', 'aria-labelledby': 'traffic-h'},
      h('div', {class: 'panel-head'}, h('h2', {id: 'traffic-h'}, 'Gateway traffic'),
        h('span', {class: 'muted', id: 'ov-window'}, 'inference requests')),
      h('div', {class: 'traffic'},
        h('div', {class: 'cards'}, card('Requests / s', 'ov-rps'), card('p50 latency', 'ov-p50'),
          card('p99 latency', 'ov-p99'), card('Error rate', 'ov-errors')),
        h('div', {class: 'sparkline-box'},
          h('div', {class: 'muted'}, 'req/s since this page was opened'),
          svgEl('svg', {id: 'overview-sparkline', class: 'sparkline', role: 'img', 'aria-label': 'requests per second over time'})))),
    h('section', {class: 'panel', 'aria-labelledby': 'subnets-h'},
      h('h2', {id: 'subnets-h'}, 'Subnets'),
      h('div', {class: 'table-wrap'},
        h('table', {id: 'overview-subnets', class: 'data'},
          h('thead', null, h('tr', null,
            ['Netuid', 'Name', 'Task', 'Tempo', 'Next epoch', 'Pending emission', 'Neurons', 'Served'].map((t, i) =>
              h('th', {scope: 'col', class: [0, 3, 4, 5, 6].includes(i) ? 'num' : null}, t)))),
          h('tbody', null, h('tr', null, h('td', {colspan: 8, class: 'loading'}, 'Loading…')))))));
  const config = await getConfig();
  if (!rt.alive) return;
  const load = async () => {
    const r = await api('/v1/network', {signal: rt.signal});
    if (!rt.alive || r.aborted) return;
    if (!r.ok) {
      reportError('network', r.error);
      return;
    }
    clearError('network');
    network = r.data;
    renderNav();
    fillOverview(r.data, config);
  };
  await load();
  rt.ready();
  rt.every(NETWORK_EVERY, load);
}

function svgEl(tag, attrs) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}

function setCard(id, value, title, sub) {
  const el = document.getElementById(id);
  if (!el) return;
  el.textContent = value;
  if (title) el.title = title;
  else el.removeAttribute('title');
  const s = document.getElementById(id + '-sub');
  if (s) s.textContent = sub || '';
}

function fillOverview(n, config) {
  setCard('ov-chain', n.chain_id, null, config && config.version ? `gateway ${config.version}` : '');
  setCard('ov-height', group(n.height), null, n.latest_block_time ? new Date(n.latest_block_time).toLocaleString() : '');
  setCard('ov-blocktime', n.block_time_ms > 0 ? fmtMS(n.block_time_ms) : '—', null, 'mean over the last blocks');
  setCard('ov-stake', fmtTensor(n.total_stake, 2), tensorExact(n.total_stake), 'TENSOR, counted stake over subnets');
  setCard('ov-issuance', fmtTensor(n.total_issuance, 2), tensorExact(n.total_issuance), 'TENSOR, bank supply');
  setCard('ov-emitted', fmtTensor(n.total_emitted, 2), tensorExact(n.total_emitted), 'TENSOR, minted as emission');
  const t = n.traffic || {};
  setCard('ov-rps', Number.isFinite(t.requests_per_s) ? t.requests_per_s.toFixed(2) : '—', null, `${fmtInt(t.requests)} requests`);
  setCard('ov-p50', fmtMS(t.p50_ms));
  setCard('ov-p99', fmtMS(t.p99_ms));
  setCard('ov-errors', fmtPct(t.error_rate), null, '5xx and 429');
  const w = document.getElementById('ov-window');
  if (w) w.textContent = `inference requests over the last ${t.window_s || 60} s`;
  const u = document.getElementById('overview-updated');
  if (u) u.textContent = `updated ${new Date().toLocaleTimeString()}`;
  if (Number.isFinite(t.requests_per_s)) {
    trafficSamples.push(t.requests_per_s);
    if (trafficSamples.length > MAX_SAMPLES) trafficSamples.shift();
  }
  const sp = document.getElementById('overview-sparkline');
  if (sp) sparkline(sp, trafficSamples);

  const tbody = document.querySelector('#overview-subnets tbody');
  const rows = (n.subnets || []).map((s) => {
    const toGo = s.next_epoch_block - n.height;
    return h('tr', {'data-netuid': s.netuid},
      h('td', {class: 'num'}, h('a', {href: `#/subnet/${s.netuid}`}, String(s.netuid))),
      h('td', null, h('a', {href: `#/subnet/${s.netuid}`}, s.name || '—')),
      h('td', null, s.task || '—'),
      h('td', {class: 'num'}, group(s.tempo)),
      h('td', {class: 'num', title: `block ${s.next_epoch_block}`}, `${group(s.next_epoch_block)} `,
        h('span', {class: 'muted'}, toGo >= 0 ? `(in ${group(toGo)})` : '(due)')),
      h('td', {class: 'num', title: tensorExact(s.pending_emission)}, fmtTensor(s.pending_emission, 2)),
      h('td', {class: 'num'}, `${group(s.neurons)} / ${group(s.max_neurons)}`),
      h('td', null, s.served ? h('span', null, h('span', {class: 'yes'}, '✓ yes'), ' · ', h('a', {href: `#/try/${s.netuid}`}, 'try it'))
        : h('span', {class: 'no'}, '✗ no')));
  });
  if (!rows.length) rows.push(h('tr', null, h('td', {colspan: 8, class: 'empty'}, 'No subnets yet.')));
  tbody.replaceChildren(...rows);
}

// ---- subnet page -------------------------------------------------------------

async function renderSubnet(rt, netuid) {
  const base = `/v1/subnets/${netuid}`;
  // start every fetch at once; the config decides whether miners exist
  const fetches = {
    metagraph: api(`${base}/metagraph`, {signal: rt.signal}),
    weights: loadWeights(`${base}/weights`, rt.signal),
    history: api(`${base}/history`, {signal: rt.signal}),
  };
  const title = h('h1', null, `Subnet ${netuid}`);
  const meta = h('span', {class: 'meta'});
  const tryLink = h('span');
  main.append(h('div', {class: 'page-head'}, title, meta, tryLink));

  const mgSec = h('section', {class: 'panel', 'aria-labelledby': 'mg-h'},
    h('div', {class: 'panel-head'}, h('h2', {id: 'mg-h'}, 'Metagraph'), h('span', {class: 'muted', id: 'mg-updated'})));
  const table = new MetagraphTable(mgSec);
  const wSec = h('section', {class: 'panel', 'aria-labelledby': 'w-h'}, h('h2', {id: 'w-h'}, 'Weights'));
  const heatmap = new Heatmap(wSec);
  const incSvg = svgEl('svg', {id: 'chart-incentive', role: 'img', 'aria-label': 'incentive per UID by epoch'});
  const divSvg = svgEl('svg', {id: 'chart-dividends', role: 'img', 'aria-label': 'dividends per UID by epoch'});
  const emSvg = svgEl('svg', {id: 'chart-emission', role: 'img', 'aria-label': 'emission split by epoch'});
  const incLegend = h('div', {class: 'legend'}), divLegend = h('div', {class: 'legend'}), emLegend = h('div', {class: 'legend'});
  const histNote = h('p', {class: 'muted'});
  const figures = [
    h('figure', {class: 'chart'}, h('h3', null, 'Incentive per UID'), incSvg, incLegend),
    h('figure', {class: 'chart'}, h('h3', null, 'Dividends per UID'), divSvg, divLegend),
    h('figure', {class: 'chart'}, h('h3', null, 'Emission split per epoch'), emSvg, emLegend)];
  figures.forEach(chartTips);
  const hSec = h('section', {class: 'panel', 'aria-labelledby': 'h-h'},
    h('div', {class: 'panel-head'}, h('h2', {id: 'h-h'}, 'Epoch history'), histNote),
    h('div', {class: 'charts'}, figures));
  const minersBody = h('tbody');
  const minersNote = h('p', {class: 'muted'});
  const minersTable = h('table', {id: 'miners', class: 'data'},
    h('thead', null, h('tr', null, ['UID', 'Hotkey', 'Address', 'Breaker', 'Latency', 'In flight', 'Requests', 'Failures']
      .map((t, i) => h('th', {scope: 'col', class: [0, 4, 5, 6, 7].includes(i) ? 'num' : null}, t)))),
    minersBody);
  minersTable.addEventListener('click', copyClick);
  const mSec = h('section', {class: 'panel', 'aria-labelledby': 'm-h'},
    h('div', {class: 'panel-head'}, h('h2', {id: 'm-h'}, 'Miners'), h('span', {class: 'muted'}, 'as the gateway routes to them')),
    minersNote, h('div', {class: 'table-wrap'}, minersTable));
  main.append(mgSec, wSec, hSec, mSec);
  // Measure the drawing widths now, while the page holds no data: one cheap
  // layout instead of a forced one per chart later (again on resize).
  let widths;
  const measure = () => {
    widths = {heatmap: heatmap.wrap.clientWidth, charts: figures.map((f) => f.clientWidth)};
    heatmap.colors = null; // the theme may have changed too
  };
  measure();

  let history = null, weightsDoc = null;
  const drawHistory = () => {
    if (!history) return;
    const xs = history.epochs.map((e) => e.epoch);
    const uids = history.uids || [];
    // a pruned epoch (the node had dropped its state when it was recorded)
    // has totals but no per-UID values: a gap in the lines
    const per = (field) => uids.map((uid, j) => ({uid,
      values: history.epochs.map((e) => (e.pruned ? null : (e[field] ? e[field][j] : 0) / 65535))}));
    const f4 = (v) => v.toFixed(4);
    lineChart(incSvg, incLegend, {xs, series: per('incentive'), yLabel: 'incentive (0–1)', valueFormat: f4, width: widths.charts[0]});
    lineChart(divSvg, divLegend, {xs, series: per('dividends'), yLabel: 'dividends (0–1)', valueFormat: f4, width: widths.charts[1]});
    stackedBars(emSvg, emLegend, {xs, yLabel: 'TENSOR', width: widths.charts[2], parts: [
      {name: 'owner', label: 'owner', color: '#CC79A7', values: history.epochs.map((e) => e.owner_cut)},
      {name: 'miners', label: 'miners', color: '#0072B2', values: history.epochs.map((e) => e.to_miners)},
      {name: 'validators', label: 'validators', color: '#E69F00', values: history.epochs.map((e) => e.to_validators)},
    ]});
    histNote.textContent = history.epochs.length
      ? `${history.epochs.length} epochs (${xs[0]}–${xs[xs.length - 1]}), ${uids.length} UIDs with the most emission in the newest`
      : '';
  };

  const mark = (name) => { if (!rt.isReady) performance.mark(`tc:${name}`); };
  const showMetagraph = (r) => {
    mark('metagraph-fetched');
    if (r.aborted || !rt.alive) return;
    if (!r.ok) {
      reportError('metagraph', r.error);
      if (!table.neurons.length) table.tbody.replaceChildren(h('tr', null, h('td', {colspan: 14, class: 'error-box'}, r.error)));
      return;
    }
    clearError('metagraph');
    const mg = r.data;
    title.textContent = `Subnet ${netuid} · ${mg.name || '(unnamed)'}`;
    meta.textContent = `task ${mg.task || '—'} · ${group((mg.neurons || []).length)} neurons · metagraph at height ${group(mg.height)}`;
    $('#mg-updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
    table.setData(mg);
    mark('metagraph-rendered');
  };
  const showWeights = (r) => {
    mark('weights-fetched');
    if (r.aborted || !rt.alive) return;
    if (!r.ok) {
      reportError('weights', r.error);
      return;
    }
    clearError('weights');
    weightsDoc = r;
    heatmap.width = widths.heatmap;
    heatmap.setMatrix(r);
    mark('weights-rendered');
  };
  const showHistory = (r) => {
    mark('history-fetched');
    if (r.aborted || !rt.alive) return;
    if (!r.ok) {
      reportError('history', r.error);
      return;
    }
    clearError('history');
    history = r.data;
    drawHistory();
    mark('history-rendered');
  };

  // miners: only where the gateway routes (elsewhere the API answers 404)
  const config = await getConfig();
  if (!rt.alive) return;
  const served = !!(config && (config.served || []).includes(netuid));
  const showMiners = (r) => {
    if (r.aborted || !rt.alive) return;
    if (!r.ok) {
      reportError('miners', r.error);
      return;
    }
    clearError('miners');
    fillMiners(minersBody, minersNote, r.data);
  };
  const loadMiners = async () => showMiners(await api(`${base}/miners`, {signal: rt.signal}));
  if (served) {
    tryLink.replaceChildren(h('a', {class: 'button primary', href: `#/try/${netuid}`}, 'Try it →'));
  } else {
    minersNote.textContent = config ? `This gateway does not route requests to subnet ${netuid}.` : 'Unknown: the gateway configuration did not load.';
    minersBody.replaceChildren(h('tr', null, h('td', {colspan: 8, class: 'empty'}, 'not served')));
  }

  // The first data is rendered in one go when it is all in (one style,
  // layout and paint instead of one per panel), or what is in after
  // FIRST_BATCH_MS and the rest as it comes.
  const first = [
    ['metagraph', fetches.metagraph, showMetagraph],
    ['weights', fetches.weights, showWeights],
    ['history', fetches.history, showHistory],
  ];
  if (served) first.push(['miners', api(`${base}/miners`, {signal: rt.signal}), showMiners]);
  const arrived = new Map();
  const all = Promise.all(first.map(([name, p]) => p.then((r) => arrived.set(name, r))));
  await Promise.race([all, sleep(FIRST_BATCH_MS, rt.signal)]);
  if (!rt.alive) return;
  const shown = new Set();
  for (const [name, , show] of first) {
    if (arrived.has(name)) {
      show(arrived.get(name));
      shown.add(name);
    }
  }
  await Promise.all(first.map(([name, p, show]) => (shown.has(name) ? null : p.then(show))));
  if (!rt.alive) return;
  rt.ready();

  rt.every(METAGRAPH_EVERY, async () => showMetagraph(await api(`${base}/metagraph`, {signal: rt.signal})));
  if (served) rt.every(MINERS_EVERY, loadMiners);
  rt.every(SLOW_EVERY, async () => {
    const [w, hi] = await Promise.all([loadWeights(`${base}/weights`, rt.signal), api(`${base}/history`, {signal: rt.signal})]);
    showWeights(w);
    showHistory(hi);
  });
  let resizeTimer = 0;
  let lastWidth = window.innerWidth;
  rt.on(window, 'resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      if (!rt.alive || window.innerWidth === lastWidth) return;
      lastWidth = window.innerWidth;
      measure();
      if (weightsDoc) heatmap.draw(widths.heatmap);
      drawHistory();
    }, 150);
  });
}

const BREAKER = {
  closed: {icon: '●', cls: 'state-closed', title: 'closed: requests flow'},
  'half-open': {icon: '◐', cls: 'state-half-open', title: 'half-open: one probe request allowed'},
  open: {icon: '✕', cls: 'state-open', title: 'open: failing, no requests until the next probe'},
};

function fillMiners(tbody, note, doc) {
  const ms = doc.miners || [];
  const counts = {};
  for (const m of ms) counts[m.breaker] = (counts[m.breaker] || 0) + 1;
  note.textContent = `${ms.length} miners` + (ms.length ? ': ' + Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(', ') : '');
  const rows = ms.map((m) => {
    const b = BREAKER[m.breaker] || {icon: '?', cls: '', title: m.breaker};
    return h('tr', {'data-uid': m.uid},
      h('td', {class: 'num', 'data-col': 'uid'}, String(m.uid)),
      h('td', {'data-col': 'hotkey'}, keyCell(m.hotkey, 14, 6)),
      h('td', {'data-col': 'address', class: 'mono'}, m.address || '—'),
      h('td', {'data-col': 'breaker', 'data-value': m.breaker},
        h('span', {class: `state ${b.cls}`, title: b.title}, h('span', {'aria-hidden': 'true'}, b.icon + ' '), m.breaker)),
      h('td', {class: 'num', 'data-col': 'latency_ms'}, m.latency_ms > 0 ? fmtMS(m.latency_ms) : '—'),
      h('td', {class: 'num', 'data-col': 'in_flight'}, String(m.in_flight)),
      h('td', {class: 'num', 'data-col': 'requests'}, group(m.requests)),
      h('td', {class: 'num', 'data-col': 'failures'}, group(m.failures)));
  });
  if (!rows.length) rows.push(h('tr', null, h('td', {colspan: 8, class: 'empty'}, 'No miner serves this subnet right now.')));
  tbody.replaceChildren(...rows);
}

// ---- start -------------------------------------------------------------

getConfig();
getNetwork();
route();
