// "Try it": send a request to a served subnet through the gateway's
// predict API and show the answer with its provenance: which miner, which
// committed model, its signed receipt and the receipt's verification
// against the chain.

import {h, api, group, short, b64hex, b64text, keyCell, copyClick, fmtMS, sleep} from './util.js';

const KEY_STORAGE = 'tensorcosm.apiKey';
// The task kinds (TaskSpec.kind) this page has an input for.
const isDigits = (kind) => kind === 'digits-classification' || kind === 'digits';
const isTextline = (kind) => kind === 'textline';

function loadKey() {
  try {
    return localStorage.getItem(KEY_STORAGE) || '';
  } catch {
    return '';
  }
}

function saveKey(v) {
  try {
    if (v) localStorage.setItem(KEY_STORAGE, v);
    else localStorage.removeItem(KEY_STORAGE);
  } catch {
    // storage disabled: the key lives in the field only
  }
}

export async function renderTry(rt, netuid, {getConfig, getNetwork}) {
  const main = document.getElementById('main');
  const head = h('div', {class: 'page-head'}, h('h1', null, `Try subnet ${netuid}`), h('a', {href: `#/subnet/${netuid}`}, '← subnet page'));
  main.append(head);
  const [config, network] = await Promise.all([getConfig(), getNetwork(rt.signal)]);
  if (!rt.alive) return;
  const summary = network && (network.subnets || []).find((s) => s.netuid === netuid);
  if (!summary) {
    main.append(h('p', {class: 'error-box'}, network ? `Subnet ${netuid} does not exist.` : 'The network overview did not load; try again.'));
    rt.ready();
    return;
  }
  head.firstChild.textContent = `Try subnet ${netuid} · ${summary.name}`;
  const served = config ? (config.served || []).includes(netuid) : summary.served;
  if (!served) {
    main.append(h('p', {class: 'error-box'}, `This gateway does not route requests to subnet ${netuid}.`));
    rt.ready();
    return;
  }
  const anonymous = !!(config && config.anonymous);

  // the API key
  const keyInput = h('input', {id: 'api-key', type: 'password', autocomplete: 'off', spellcheck: 'false',
    placeholder: anonymous ? 'optional' : 'tcg_…', value: loadKey(), 'aria-describedby': 'api-key-hint'});
  keyInput.addEventListener('input', () => saveKey(keyInput.value.trim()));
  const keyField = h('div', {class: 'field'},
    h('label', {for: 'api-key'}, 'API key'), keyInput,
    h('span', {class: 'hint', id: 'api-key-hint'}, anonymous
      ? 'Optional: this gateway answers without a key. A key given here is sent as Authorization: Bearer … and kept in this browser (localStorage).'
      : 'Needed: sent as Authorization: Bearer … and kept in this browser only (localStorage). Create one with tensorcosm-gateway keys create.'));

  // the answer and provenance panels (persistent elements the tests read)
  const answer = h('div', {id: 'try-answer', class: isDigits(summary.task) ? 'answer-label' : 'answer-text', 'aria-live': 'polite'});
  const result = h('div', {id: 'try-result'}, h('p', {class: 'muted'}, isDigits(summary.task)
    ? 'Draw a digit and press Predict.' : 'Upload an image of one text line, or type a line and render it.'));
  const verified = h('div', {id: 'try-verified', class: 'verdict pending'}, 'No receipt yet.');
  const provenance = h('div', {id: 'try-provenance'}, verified);
  provenance.addEventListener('click', copyClick);
  result.addEventListener('click', copyClick);
  const out = h('section', {class: 'panel', 'aria-labelledby': 'ans-h'},
    h('h2', {id: 'ans-h'}, 'Answer'), answer, result,
    h('h2', {id: 'prov-h'}, 'Provenance'), provenance);

  const input = h('section', {class: 'panel', 'aria-label': 'request'}, keyField);
  main.append(h('div', {class: 'try-grid'}, input, out));

  let inFlight = null; // AbortController of the running request
  const ui = {rt, netuid, keyInput, anonymous, answer, result, provenance, verified};
  const send = async (body, contentType, task) => {
    if (inFlight) inFlight.abort();
    const ac = new AbortController();
    inFlight = ac;
    rt.signal.addEventListener('abort', () => ac.abort(), {once: true});
    try {
      await predict(ui, body, contentType, task, ac.signal);
    } catch (e) {
      // a bug, not an API failure: show it, never leave it uncaught
      console.warn('dashboard: predict failed', e);
      result.replaceChildren(h('p', {class: 'error-box', role: 'alert'}, `The request failed: ${e && e.message ? e.message : e}`));
    } finally {
      if (inFlight === ac) inFlight = null;
    }
  };

  if (isDigits(summary.task)) {
    digitsInput(input, send);
  } else if (isTextline(summary.task)) {
    textlineInput(input, send);
  } else {
    input.append(h('p', {class: 'error-box'}, `This page has no input for the task "${summary.task}".`));
  }
  rt.ready();
}

// ---- digits: draw, downsample as the data set does, send 64 pixels ---------

// digitFeatures turns the drawing into the data set's 64 features, as UCI
// optdigits (scikit-learn's load_digits) made them: the ink's bounding box
// is scaled to fit a 32x32 bitmap, keeping its aspect ratio, centred; a
// bitmap pixel is on when at least half the area it covers is inked; the
// on pixels of each 4x4 block are counted, giving 8x8 values 0..16, row by
// row from the top left. It returns null for an empty drawing.
//
// The data set's digits were written with a pen whose stroke is 3 to 5
// bitmap pixels wide after that scaling (a "1" fills two or three block
// columns); a thin stroke drawn tall would shrink to a line the model has
// never seen. So when penWidth (in canvas pixels) scales to less than
// MIN_STROKE bitmap pixels, the bitmap is dilated up to it.
const MIN_STROKE = 4;
export function digitFeatures(canvas, penWidth = 0) {
  const w = canvas.width, hgt = canvas.height;
  const data = canvas.getContext('2d', {willReadFrequently: true}).getImageData(0, 0, w, hgt).data;
  // ink per pixel (alpha) and its bounding box
  let x0 = w, y0 = hgt, x1 = -1, y1 = -1;
  const ink = new Float32Array(w * hgt);
  for (let y = 0; y < hgt; y++) {
    for (let x = 0; x < w; x++) {
      const a = data[(y * w + x) * 4 + 3] / 255;
      ink[y * w + x] = a;
      if (a >= 0.5) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0) return null;
  // summed-area table for the mean ink over any rectangle
  const W = w + 1;
  const sat = new Float64Array(W * (hgt + 1));
  for (let y = 0; y < hgt; y++) {
    let row = 0;
    for (let x = 0; x < w; x++) {
      row += ink[y * w + x];
      sat[(y + 1) * W + x + 1] = sat[y * W + x + 1] + row;
    }
  }
  const area = (ax, ay, bx, by) => sat[by * W + bx] - sat[ay * W + bx] - sat[by * W + ax] + sat[ay * W + ax];
  const bw = x1 - x0 + 1, bh = y1 - y0 + 1;
  const s = 32 / Math.max(bw, bh);
  const ox = (32 - bw * s) / 2, oy = (32 - bh * s) / 2;
  const bitmap = new Uint8Array(32 * 32);
  const span = (t, o, lo, len) => {
    // the source pixels [a, b) that bitmap pixel t covers, clipped to the box
    let a = Math.round(lo + (t - o) / s), b = Math.round(lo + (t + 1 - o) / s);
    a = Math.max(lo, a);
    b = Math.min(lo + len, b);
    if (b <= a && lo + (t + 0.5 - o) / s >= lo && lo + (t + 0.5 - o) / s < lo + len) {
      a = Math.floor(lo + (t + 0.5 - o) / s);
      b = a + 1;
    }
    return [a, b];
  };
  for (let ty = 0; ty < 32; ty++) {
    const [ya, yb] = span(ty, oy, y0, bh);
    if (yb <= ya) continue;
    for (let tx = 0; tx < 32; tx++) {
      const [xa, xb] = span(tx, ox, x0, bw);
      if (xb <= xa) continue;
      if (area(xa, ya, xb, yb) / ((xb - xa) * (yb - ya)) >= 0.5) bitmap[ty * 32 + tx] = 1;
    }
  }
  const grow = Math.max(0, Math.round((MIN_STROKE - penWidth * s) / 2));
  const bits = grow > 0 ? dilate(bitmap, grow) : bitmap;
  const pixels = new Array(64).fill(0);
  for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) pixels[(y >> 2) * 8 + (x >> 2)] += bits[y * 32 + x];
  return {pixels, bitmap: bits};
}

// dilate turns on every 32x32 bitmap pixel within r (Chebyshev distance)
// of an on pixel.
function dilate(bitmap, r) {
  const out = new Uint8Array(32 * 32);
  for (let y = 0; y < 32; y++) {
    for (let x = 0; x < 32; x++) {
      if (!bitmap[y * 32 + x]) continue;
      for (let dy = -r; dy <= r; dy++) {
        for (let dx = -r; dx <= r; dx++) {
          const yy = y + dy, xx = x + dx;
          if (yy >= 0 && yy < 32 && xx >= 0 && xx < 32) out[yy * 32 + xx] = 1;
        }
      }
    }
  }
  return out;
}

function digitsInput(panel, send) {
  const SIZE = 256;
  const dpr = Math.min(2, window.devicePixelRatio || 1);
  const canvas = h('canvas', {id: 'try-canvas', width: SIZE * dpr, height: SIZE * dpr,
    'aria-label': 'drawing area: draw one digit with the mouse, a pen or a finger'});
  const preview = h('canvas', {id: 'try-preview', width: 8, height: 8, 'aria-label': 'what the model sees: 8 by 8 pixels'});
  const clear = h('button', {type: 'button', id: 'try-clear'}, 'Clear');
  const predictBtn = h('button', {type: 'button', id: 'try-predict', class: 'primary'}, 'Predict');
  const payloadPre = h('pre', {id: 'try-payload'}, '(draw a digit)');
  panel.append(
    h('h2', null, 'Draw a digit'),
    h('div', {class: 'draw-area'}, canvas,
      h('figure', {class: 'preview'}, preview, h('figcaption', null, 'What the model sees: 8×8 blocks, each 0–16 inked pixels of 16'))),
    h('div', {class: 'row'}, predictBtn, clear),
    h('details', null, h('summary', null, 'Payload'), payloadPre));

  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  let drawing = false, last = null, dirty = false, features = null;
  const point = (ev) => {
    const r = canvas.getBoundingClientRect();
    return [(ev.clientX - r.left) * (canvas.width / r.width), (ev.clientY - r.top) * (canvas.height / r.height)];
  };
  const pen = () => {
    const r = canvas.getBoundingClientRect();
    ctx.lineWidth = 18 * (canvas.width / (r.width || SIZE));
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.strokeStyle = '#111111';
    ctx.fillStyle = '#111111';
  };
  const updatePreview = () => {
    dirty = false;
    features = digitFeatures(canvas, ctx.lineWidth);
    const pctx = preview.getContext('2d');
    const img = pctx.createImageData(8, 8);
    for (let i = 0; i < 64; i++) {
      const g = features ? 255 - Math.round((features.pixels[i] / 16) * 255) : 255;
      img.data.set([g, g, g, 255], i * 4);
    }
    pctx.putImageData(img, 0, 0);
    payloadPre.textContent = features ? JSON.stringify({pixels: features.pixels}) : '(draw a digit)';
  };
  const schedule = () => {
    if (!dirty) {
      dirty = true;
      requestAnimationFrame(updatePreview);
    }
  };
  canvas.addEventListener('pointerdown', (ev) => {
    if (ev.button !== 0 && ev.pointerType === 'mouse') return;
    ev.preventDefault();
    drawing = true;
    try {
      canvas.setPointerCapture(ev.pointerId);
    } catch {
      // a synthetic pointer cannot be captured; drawing still works
    }
    pen();
    last = point(ev);
    ctx.beginPath();
    ctx.arc(last[0], last[1], ctx.lineWidth / 2, 0, 2 * Math.PI);
    ctx.fill();
    schedule();
  });
  canvas.addEventListener('pointermove', (ev) => {
    if (!drawing) return;
    ev.preventDefault();
    const events = ev.getCoalescedEvents ? ev.getCoalescedEvents() : [];
    pen();
    ctx.beginPath();
    ctx.moveTo(last[0], last[1]);
    for (const e of events.length ? events : [ev]) {
      last = point(e);
      ctx.lineTo(last[0], last[1]);
    }
    ctx.stroke();
    schedule();
  });
  const end = (ev) => {
    if (!drawing) return;
    drawing = false;
    try {
      if (canvas.hasPointerCapture(ev.pointerId)) canvas.releasePointerCapture(ev.pointerId);
    } catch {
      // nothing captured
    }
    updatePreview();
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  clear.addEventListener('click', () => {
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    updatePreview();
  });
  predictBtn.addEventListener('click', () => {
    updatePreview();
    if (!features) {
      payloadPre.textContent = '(draw a digit first)';
      const result = document.getElementById('try-result');
      result.replaceChildren(h('p', {class: 'error-box', role: 'alert'}, 'Draw a digit first.'));
      return;
    }
    send(JSON.stringify({pixels: features.pixels}), 'application/json', 'digits');
  });
  updatePreview();
}

// ---- textline: upload an image, or render typed text -------------------------

function textlineInput(panel, send) {
  const file = h('input', {type: 'file', id: 'try-file', accept: 'image/png,image/jpeg'});
  const text = h('input', {type: 'text', id: 'try-text', autocomplete: 'off', spellcheck: 'false', placeholder: 'tensor network'});
  const render = h('button', {type: 'button', id: 'try-render', class: 'primary'}, 'Render & recognize');
  const shown = h('div', {class: 'rendered', id: 'try-image'});
  let objectURL = null;
  const show = (el) => {
    if (objectURL) URL.revokeObjectURL(objectURL);
    objectURL = null;
    shown.replaceChildren(el);
  };
  panel.append(
    h('h2', null, 'A line of text'),
    h('div', {class: 'field'}, h('label', {for: 'try-file'}, 'Upload a PNG or JPEG of one text line'), file),
    h('p', {class: 'or'}, '— or —'),
    h('div', {class: 'field'}, h('label', {for: 'try-text'}, 'Type a line'),
      h('div', {class: 'row'}, text, render),
      h('span', {class: 'hint'}, 'Rendered here in black sans-serif on white, about 32 px high, and sent as image/png.')),
    shown);

  file.addEventListener('change', () => {
    const f = file.files && file.files[0];
    if (!f) return;
    const type = (f.type || '').toLowerCase();
    if (type !== 'image/png' && type !== 'image/jpeg') {
      document.getElementById('try-result').replaceChildren(
        h('p', {class: 'error-box', role: 'alert'}, `${f.name} is ${type || 'of an unknown type'}: choose a PNG or JPEG image.`));
      return;
    }
    const img = h('img', {alt: `uploaded ${f.name}`});
    show(img);
    objectURL = URL.createObjectURL(f);
    img.src = objectURL;
    send(f, type, 'textline');
  });
  const go = async () => {
    const line = text.value.trim();
    if (!line) {
      document.getElementById('try-result').replaceChildren(h('p', {class: 'error-box', role: 'alert'}, 'Type some text first.'));
      return;
    }
    const c = renderLine(line);
    show(c);
    const blob = await new Promise((resolve) => c.toBlob(resolve, 'image/png'));
    if (!blob) {
      document.getElementById('try-result').replaceChildren(h('p', {class: 'error-box', role: 'alert'}, 'The browser could not encode the image.'));
      return;
    }
    send(blob, 'image/png', 'textline');
  };
  render.addEventListener('click', go);
  text.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') go();
  });
}

// renderLine draws one line of text: black sans-serif, 32 px, on white,
// the width fitted to the text with 12 px of padding, 48 px high.
export function renderLine(line) {
  const font = '32px sans-serif';
  const c = document.createElement('canvas');
  const m = c.getContext('2d');
  m.font = font;
  const width = Math.ceil(m.measureText(line).width) + 24;
  c.width = Math.min(8192, Math.max(1, width));
  c.height = 48;
  const ctx = c.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, c.width, c.height);
  ctx.fillStyle = '#000000';
  ctx.font = font;
  ctx.textBaseline = 'middle';
  ctx.fillText(line, 12, c.height / 2 + 1);
  c.setAttribute('aria-label', `rendered text: ${line}`);
  c.setAttribute('role', 'img');
  return c;
}

// ---- predict and provenance ----------------------------------------------

async function predict(ui, body, contentType, task, signal) {
  const {netuid, keyInput, answer, result, verified} = ui;
  answer.textContent = '';
  delete answer.dataset.label;
  verified.removeAttribute('data-valid');
  verified.className = 'verdict pending';
  verified.textContent = 'Waiting for the answer…';
  ui.provenance.replaceChildren(verified);
  result.replaceChildren(h('p', {class: 'muted spinner'}, 'Sending the request'));

  const key = keyInput.value.trim();
  const headers = {'Content-Type': contentType, Accept: 'application/json'};
  if (key) headers.Authorization = `Bearer ${key}`;
  const t0 = performance.now();
  const r = await api(`/v1/subnets/${netuid}/predict`, {method: 'POST', headers, body, signal});
  const ms = performance.now() - t0;
  if (r.aborted || !ui.rt.alive || signal.aborted) return;
  if (!r.ok) {
    result.replaceChildren(h('div', {class: 'error-box', role: 'alert'}, predictError(r, !!key)));
    verified.textContent = 'No receipt: the request failed.';
    return;
  }
  const res = r.data || {};
  const a = (res.answers || [])[0];
  const p = res.provenance || {};
  if (!a) {
    result.replaceChildren(h('p', {class: 'error-box', role: 'alert'}, 'The answer holds no result.'));
    return;
  }
  const facts = [];
  if (task === 'digits') {
    answer.textContent = String(a.label);
    answer.dataset.label = String(a.label);
    const probs = a.probabilities || [];
    const best = a.label;
    result.replaceChildren(
      h('p', {class: 'muted'}, `Digit ${a.label} with probability ${probs[best] !== undefined ? Number(probs[best]).toFixed(3) : '—'}`),
      h('div', {class: 'probs', role: 'list', 'aria-label': 'class probabilities'},
        probs.map((v, i) => {
          const bar = h('span');
          bar.style.width = `${Math.max(0, Math.min(1, Number(v))) * 100}%`;
          return [h('span', {class: i === best ? 'best' : null, role: 'listitem'}, String(i)),
            h('div', {class: 'prob-bar', 'aria-hidden': 'true'}, bar),
            h('span', {class: i === best ? 'best' : null}, Number(v).toFixed(3))];
        })));
  } else {
    answer.textContent = a.text;
    const conf = a.confidences || [];
    const mean = conf.length ? conf.reduce((x, y) => x + y, 0) / conf.length : NaN;
    result.replaceChildren(
      h('p', {class: 'muted'}, Number.isFinite(mean) ? `mean character confidence ${mean.toFixed(3)}` : 'no characters recognized'),
      h('div', {class: 'chars', 'aria-label': 'characters and their confidences'},
        [...(a.text || '')].map((ch, i) => h('span', {title: conf[i] !== undefined ? `confidence ${conf[i]}` : ''}, ch === ' ' ? '␣' : ch))));
  }
  facts.push(['Miner', h('span', null, `UID ${p.tensorcosm_miner_uid ?? '—'} · `, keyCell(p.tensorcosm_miner_hotkey, 14, 6))]);
  facts.push(['Model SHA-256', keyCell(p.tensorcosm_model_sha256, 12, 8)]);
  facts.push(['Block height', p.tensorcosm_block_height !== undefined ? group(p.tensorcosm_block_height) : '—']);
  facts.push(['Latency', `${fmtMS(ms)} (measured in this browser)`]);
  if (p.tensorcosm_redundancy !== undefined) {
    facts.push(['Agreement', `${p.tensorcosm_agreement ?? '—'} of ${p.tensorcosm_redundancy} miners · ${p.tensorcosm_attempts ?? '—'} attempt(s)`]);
  }
  result.append(dl(facts));

  const url = p.tensorcosm_receipt_url;
  if (!url) {
    verified.textContent = 'The answer names no receipt.';
    verified.dataset.valid = 'false';
    verified.className = 'verdict bad';
    return;
  }
  await provenanceOf(ui, url, p.tensorcosm_receipt, signal);
}

function predictError(r, hadKey) {
  const msg = r.message || r.error;
  switch (r.status) {
    case 0:
      return `Could not reach the gateway (${r.error}).`;
    case 401:
      return hadKey ? `401: the gateway refused the API key (${msg}). Check the key above.`
        : `401: this gateway needs an API key (${msg}). Enter it above.`;
    case 403:
      return `403: the key may not use this subnet (${msg}).`;
    case 429:
      return `429: rate limit or daily quota reached (${msg}).` + (r.retryAfter ? ` Retry after ${r.retryAfter} s.` : '');
    case 400:
      return `400: the gateway refused the payload (${msg}).`;
    default:
      return `${r.error}` + ((r.status === 503 || r.status === 429) && r.retryAfter ? ` Retry after ${r.retryAfter} s.` : '');
  }
}

function dl(pairs) {
  return h('dl', {class: 'facts'}, pairs.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
}

// provenanceOf fetches the receipt (retrying while it is pending) and its
// verification, and shows both.
async function provenanceOf(ui, url, embedded, signal) {
  const {provenance, verified} = ui;
  verified.textContent = 'Fetching the signed receipt…';
  const receiptBox = h('div', {class: 'receipt'});
  provenance.replaceChildren(verified, receiptBox);

  let receipt = null, receiptErr = null;
  for (let attempt = 0; attempt < 12; attempt++) {
    const r = await api(url, {signal});
    if (r.aborted || signal.aborted || !ui.rt.alive) return;
    if (r.ok && r.status === 202) {
      const wait = Math.min(2, Math.max(0.25, Number(r.retryAfter) || 1));
      verified.textContent = `The receipt's Merkle root is not signed yet; asking again in ${wait} s (attempt ${attempt + 1})…`;
      await sleep(wait * 1000, signal);
      continue;
    }
    if (r.ok) receipt = r.data;
    else receiptErr = r.error;
    break;
  }
  if (!receipt && embedded) {
    const t = b64text(embedded);
    try {
      receipt = t ? JSON.parse(t) : null;
    } catch {
      receipt = null;
    }
  }
  if (!receipt) {
    verified.className = receiptErr ? 'verdict bad' : 'verdict pending';
    if (receiptErr) {
      verified.textContent = `✗ No valid receipt: ${receiptErr}`;
      verified.dataset.valid = 'false';
    } else {
      verified.textContent = 'The receipt is still pending: its Merkle root is not signed yet. Try again later.';
    }
    return;
  }
  const leaf = receipt.leaf || {}, root = receipt.root || {};
  const leafCount = root.leafCount ?? root.leaf_count;
  receiptBox.append(
    h('h3', null, 'Receipt'),
    dl([
      ['Receipt URL', h('a', {href: url, target: '_blank', rel: 'noopener'}, url)],
      ['Miner', keyCell(root.minerHotkey || root.miner_hotkey, 14, 6)],
      ['Batch', root.batch !== undefined ? String(root.batch) : '—'],
      ['Leaf', `index ${receipt.index ?? 0} of the batch's ${leafCount ?? '—'} leaves`],
      ['Merkle root', keyCell(b64hex(root.root), 12, 8)],
      ['Leaf block height', leaf.blockHeight !== undefined ? group(leaf.blockHeight) : '—'],
      ['Leaf model', keyCell(b64hex(leaf.modelSha256), 12, 8)],
    ]),
    h('details', null, h('summary', null, 'Raw receipt JSON'), h('pre', {id: 'try-receipt-json'}, JSON.stringify(receipt, null, 2))));

  verified.textContent = 'Verifying the receipt against the chain…';
  const v = await api(url + '/verification', {signal});
  if (v.aborted || signal.aborted || !ui.rt.alive) return;
  if (!v.ok) {
    verified.dataset.valid = 'false';
    verified.className = 'verdict bad';
    verified.textContent = `✗ Could not verify the receipt: ${v.error}`;
    return;
  }
  const rep = v.data || {};
  const check = (name, state) => h('li', null, `${state === 'ok' ? '✓' : state === 'failed' ? '✗' : '–'} ${name}: ${state || '—'}`);
  const modelLine = rep.chain_model_sha256
    ? `${rep.chain_model_sha256 === rep.model_sha256 ? '✓' : '✗'} model ${short(rep.model_sha256, 12, 8)} ` +
      `${rep.chain_model_sha256 === rep.model_sha256 ? 'is' : 'is not'} the miner's commitment on chain (${short(rep.chain_model_sha256, 12, 8)})`
    : null;
  verified.className = rep.valid ? 'verdict ok' : 'verdict bad';
  verified.replaceChildren(
    h('div', null, rep.valid
      ? `✓ Verified against the chain at height ${group(rep.block_height)}`
      : `✗ Not verified: ${rep.error || 'a check failed'}`),
    h('ul', null,
      check('signature and Merkle path', rep.signature_check),
      check('model commitment at that height', rep.commitment_check),
      modelLine ? h('li', null, modelLine) : null,
      h('li', null, `leaf index ${rep.index ?? '—'} of ${rep.leaf_count ?? '—'} under root ${short(rep.root || '', 12, 8)}`)));
  verified.dataset.valid = rep.valid ? 'true' : 'false';
}
