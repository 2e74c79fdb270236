// Shared helpers: DOM building, number formatting (utensor amounts are
// decimal strings beyond 2^53, handled as strings or BigInt), the JSON API
// and the error banner. No dependencies.

export const $ = (sel, root = document) => root.querySelector(sel);

// h builds an HTML element: h('a', {href: '#/', class: 'x'}, 'text', child).
// Attribute values of null, undefined or false are left out; "text" sets
// textContent, "dataset" data-* attributes, "on<event>" a listener.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

// svg builds an SVG element the same way.
export function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  if (!attrs) return;
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.setAttribute('class', v);
    else if (k === 'text') el.textContent = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
}

// ---- numbers ---------------------------------------------------------

const U16 = 65535;

// group puts thousands separators into a string of digits (with an
// optional sign).
export function group(digits) {
  return String(digits).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function fmtInt(n) {
  return Number.isFinite(n) ? group(Math.round(n)) : '—';
}

// isDecimal tells a non-negative or negative integer decimal string.
export function isDecimal(s) {
  return typeof s === 'string' && /^-?\d+$/.test(s);
}

// fmtTensor shows a utensor amount (decimal string) in TENSOR (1 TENSOR =
// 1,000,000 utensor) rounded half up to `decimals` places, grouped. Exact
// for any size: BigInt arithmetic on the string.
export function fmtTensor(s, decimals = 2) {
  if (!isDecimal(s)) return s === '' || s === undefined || s === null ? '—' : String(s);
  let v = BigInt(s);
  const neg = v < 0n;
  if (neg) v = -v;
  const d = Math.max(0, Math.min(6, decimals));
  const scale = 10n ** BigInt(6 - d);
  const r = (v + scale / 2n) / scale;
  let str = r.toString();
  if (d === 0) return (neg ? '-' : '') + group(str);
  str = str.padStart(d + 1, '0');
  return (neg ? '-' : '') + group(str.slice(0, -d)) + '.' + str.slice(-d);
}

// tensorExact is the exact amount, for a title: "1,234.567890 TENSOR
// (1234567890 utensor)".
export function tensorExact(s) {
  if (!isDecimal(s)) return String(s);
  const neg = s.startsWith('-');
  const digits = (neg ? s.slice(1) : s).padStart(7, '0');
  const int = digits.slice(0, -6).replace(/^0+(?=\d)/, '');
  return `${neg ? '-' : ''}${group(int)}.${digits.slice(-6)} TENSOR (${s} utensor)`;
}

// tensorNumber is an amount in TENSOR as a float, for plotting only.
export function tensorNumber(s) {
  if (!isDecimal(s)) return 0;
  const neg = s.startsWith('-');
  const digits = (neg ? s.slice(1) : s).padStart(7, '0');
  const v = Number(digits.slice(0, -6)) + Number(digits.slice(-6)) / 1e6;
  return neg ? -v : v;
}

// compareDecimal orders two integer decimal strings numerically.
export function compareDecimal(a, b) {
  const na = a.startsWith('-'), nb = b.startsWith('-');
  if (na !== nb) return na ? -1 : 1;
  if (na) return compareDecimal(b.slice(1), a.slice(1));
  a = a.replace(/^0+(?=\d)/, '');
  b = b.replace(/^0+(?=\d)/, '');
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function fmtU16(v) {
  return Number.isFinite(v) ? (v / U16).toFixed(4) : '—';
}

export function fmtMS(ms) {
  if (!Number.isFinite(ms)) return '—';
  if (ms >= 10000) return (ms / 1000).toFixed(1) + ' s';
  if (ms >= 100) return Math.round(ms) + ' ms';
  return ms.toFixed(1) + ' ms';
}

export function fmtPct(x) {
  return Number.isFinite(x) ? (x * 100).toFixed(x < 0.1 ? 2 : 1) + ' %' : '—';
}

// short abbreviates a long key or hash: head…tail.
export function short(s, head = 12, tail = 6) {
  s = String(s ?? '');
  return s.length <= head + tail + 1 ? s : s.slice(0, head) + '…' + s.slice(-tail);
}

// b64hex turns base64 bytes into lower-case hex ("" when not base64).
export function b64hex(b64) {
  if (typeof b64 !== 'string' || b64 === '') return '';
  try {
    const bin = atob(b64.replace(/-/g, '+').replace(/_/g, '/'));
    let out = '';
    for (let i = 0; i < bin.length; i++) out += bin.charCodeAt(i).toString(16).padStart(2, '0');
    return out;
  } catch {
    return '';
  }
}

// b64text decodes base64 to a UTF-8 string, null when it is not base64.
export function b64text(b64) {
  try {
    const bin = atob(b64);
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    return new TextDecoder().decode(bytes);
  } catch {
    return null;
  }
}

// keyCell is a shortened key or hash with its full value in a title and a
// copy button (handled by copyClick).
export function keyCell(full, head = 12, tail = 6) {
  if (!full) return h('span', {class: 'muted', text: '—'});
  return h('span', {class: 'nowrap'},
    h('span', {class: 'mono', title: full, text: short(full, head, tail)}),
    h('button', {type: 'button', class: 'copy', 'data-copy': full, 'aria-label': 'copy ' + full, title: 'copy'}));
}

// copyClick copies the data-copy value of a clicked copy button; install
// it once on a container (event delegation).
export function copyClick(ev) {
  const btn = ev.target.closest && ev.target.closest('button.copy[data-copy]');
  if (!btn) return;
  const value = btn.dataset.copy;
  const done = () => {
    btn.classList.add('copied');
    btn.title = 'copied';
    setTimeout(() => { btn.classList.remove('copied'); btn.title = 'copy'; }, 1200);
  };
  const fallback = () => {
    // select the shown value's full text so that the user can copy it
    const span = btn.previousElementSibling;
    if (span) {
      span.textContent = value;
      const range = document.createRange();
      range.selectNodeContents(span);
      const sel = getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
    }
  };
  if (navigator.clipboard && navigator.clipboard.writeText) {
    navigator.clipboard.writeText(value).then(done, fallback);
  } else {
    fallback();
  }
}

// ---- the JSON API ----------------------------------------------------

// api fetches a JSON document. It never throws: it resolves to
// {ok: true, status, data, headers} or {ok: false, status, error, data,
// retryAfter}, or {ok: false, aborted: true} when the signal aborted it.
export async function api(path, {signal, method = 'GET', headers, body} = {}) {
  let res;
  try {
    const early = method === 'GET' && window.tcPrefetch && window.tcPrefetch.get(path);
    if (early) {
      // preload.js started this read: take it over, once
      window.tcPrefetch.delete(path);
      const r = await early;
      if (r.err) throw r.err;
      if (signal && signal.aborted) return {ok: false, aborted: true, status: 0, error: 'aborted'};
      res = r.res;
    } else {
      res = await fetch(path, {method, headers, body, signal, cache: 'no-store', credentials: 'same-origin'});
    }
  } catch (e) {
    if (e && e.name === 'AbortError') return {ok: false, aborted: true, status: 0, error: 'aborted'};
    return {ok: false, status: 0, error: `network error: ${e && e.message ? e.message : e}`};
  }
  let text = '';
  try {
    text = await res.text();
  } catch (e) {
    if (e && e.name === 'AbortError') return {ok: false, aborted: true, status: 0, error: 'aborted'};
    return {ok: false, status: res.status, error: `reading the answer: ${e && e.message ? e.message : e}`};
  }
  let data = null;
  let parsed = false;
  if (text !== '') {
    try {
      data = JSON.parse(text);
      parsed = true;
    } catch {
      // not JSON: reported below
    }
  }
  const retryAfter = res.headers.get('Retry-After');
  if (!res.ok) {
    const msg = data && typeof data.error === 'string' ? data.error : (text.trim().slice(0, 300) || res.statusText);
    return {ok: false, status: res.status, error: `${res.status} ${res.statusText || ''}`.trim() + (msg ? `: ${msg}` : ''),
      message: msg, data, retryAfter};
  }
  if (!parsed) return {ok: false, status: res.status, error: `${path}: the answer is not JSON`};
  return {ok: true, status: res.status, data, headers: res.headers, retryAfter};
}

// ---- the error banner ---------------------------------------------------

const problems = new Map();

// reportError shows a failure of one source (a key such as "metagraph") in
// the banner until clearError(key) or the next page.
export function reportError(key, message) {
  problems.set(key, message);
  console.warn(`dashboard: ${key}: ${message}`);
  renderBanner();
}

export function clearError(key) {
  if (problems.delete(key)) renderBanner();
}

export function clearAllErrors() {
  problems.clear();
  renderBanner();
}

function renderBanner() {
  const el = $('#banner');
  if (!el) return;
  if (problems.size === 0) {
    el.hidden = true;
    el.replaceChildren();
    return;
  }
  el.hidden = false;
  el.replaceChildren(
    h('p', null, h('strong', null, 'The gateway API did not answer as expected. '), 'The figures below may be stale.'),
    h('ul', null, [...problems].map(([k, m]) => h('li', null, `${k}: ${m}`))));
}

// sleep resolves after ms, or early when the signal aborts.
export function sleep(ms, signal) {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    if (signal) signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, {once: true});
  });
}

// cssVar reads a custom property of the root element (for canvas drawing).
export function cssVar(name, fallback) {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}
