// Charts drawn by hand: SVG line charts and stacked bars, a sparkline, and
// the weights heatmap on a <canvas>. Palettes are colour-blind safe:
// viridis (sequential) for the heatmap, Okabe–Ito (categorical) for series,
// with dash patterns once the colours run out.

import {h, svg, api, cssVar, tensorNumber, tensorExact, group} from './util.js';
import {lut, paintMatrix, weightsMatrix} from './matrix.js';

// ---- palettes ----------------------------------------------------------

const VIRIDIS_LUT = lut();

// Okabe–Ito, ordered for lines on a light or dark background (black is
// replaced by a grey that reads on both).
export const OKABE_ITO = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#8C8C8C'];
const DASHES = [null, '6 3', '2 3', '10 3 2 3'];

// seriesStyle is the colour and dash of the i-th series.
export function seriesStyle(i) {
  return {color: OKABE_ITO[i % OKABE_ITO.length], dash: DASHES[Math.floor(i / OKABE_ITO.length) % DASHES.length]};
}

// ---- scales --------------------------------------------------------------

// niceTicks returns about n round tick values from 0 to at least max.
export function niceTicks(max, n = 5) {
  if (!(max > 0)) return [0, 1];
  const raw = max / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || 10 * mag;
  const ticks = [];
  for (let v = 0; v < max + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function tickFormat(step) {
  const digits = step >= 1 ? 0 : Math.min(6, Math.ceil(-Math.log10(step)) + (String(step).includes('5') ? 1 : 0));
  return (v) => v.toFixed(digits);
}

// xTicks picks at most n of the values, evenly.
function xTicks(values, n) {
  if (values.length <= n) return values.map((v, i) => i);
  const step = Math.ceil(values.length / n);
  const out = [];
  for (let i = 0; i < values.length; i += step) out.push(i);
  if (out[out.length - 1] !== values.length - 1 && values.length - 1 - out[out.length - 1] >= step / 2) out.push(values.length - 1);
  return out;
}

// chartWidth is the width to draw at: the given one (measured by the
// caller while the page was light, to spare a forced layout), else the
// container's.
function chartWidth(el, width, min = 280) {
  return Math.max(min, Math.floor(width || el.parentElement.clientWidth || 600));
}

// chartTips shows the data-tip of the point under the pointer in one
// tooltip per chart (instead of a <title> per point).
export function chartTips(figure) {
  const tip = h('div', {class: 'tooltip', hidden: true, role: 'status'});
  figure.append(tip);
  const show = (ev) => {
    const t = ev.target.closest && ev.target.closest('[data-tip]');
    if (!t) {
      tip.hidden = true;
      return;
    }
    tip.textContent = t.getAttribute('data-tip');
    tip.hidden = false;
    const fr = figure.getBoundingClientRect();
    const x = ev.clientX - fr.left, y = ev.clientY - fr.top;
    tip.style.left = Math.max(0, Math.min(x + 12, fr.width - tip.offsetWidth - 2)) + 'px';
    tip.style.top = Math.max(0, y - 34) + 'px';
  };
  figure.addEventListener('pointermove', show);
  figure.addEventListener('pointerdown', show);
  figure.addEventListener('pointerleave', () => { tip.hidden = true; });
}

// Charts are built as SVG markup and parsed once (innerHTML): hundreds of
// points cost one parse instead of thousands of DOM calls. Every value in
// the markup is escaped.

function esc(v) {
  return String(v).replace(/[&<>"']/g, (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'})[c]);
}

// tag is one SVG element as markup; attributes that are null or undefined
// are left out.
function tag(name, attrs, body) {
  let out = '<' + name;
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) out += ` ${k}="${esc(v)}"`;
  return body === undefined ? out + '/>' : `${out}>${body}</${name}>`;
}

function setup(el, width, height) {
  el.setAttribute('viewBox', `0 0 ${width} ${height}`);
  el.setAttribute('width', width);
  el.setAttribute('height', height);
}

function emptyChart(width, height, text) {
  return tag('text', {x: width / 2, y: height / 2, 'text-anchor': 'middle', class: 'empty-text'}, esc(text));
}

// frame returns the markup of the axes, grid and y ticks of a chart and
// the plot geometry.
function frame({width, height, yMax, yLabel, xLabel, xs, yFormat}) {
  const m = {l: 56, r: 10, t: 10, b: 40};
  const pw = width - m.l - m.r, ph = height - m.t - m.b;
  const ticks = niceTicks(yMax, height < 200 ? 3 : 5);
  const top = ticks[ticks.length - 1] || 1;
  const fmt = yFormat || tickFormat(ticks[1] - ticks[0]);
  const y = (v) => m.t + ph - (v / top) * ph;
  const n = xs.length;
  const x = (i) => (n <= 1 ? m.l + pw / 2 : m.l + (i / (n - 1)) * pw);
  let g = '';
  for (const t of ticks) {
    g += tag('line', {class: 'gridline', x1: m.l, x2: m.l + pw, y1: y(t), y2: y(t)});
    g += tag('text', {class: 'axis', x: m.l - 6, y: y(t) + 4, 'text-anchor': 'end'}, esc(fmt(t)));
  }
  g += tag('line', {class: 'domain', x1: m.l, x2: m.l + pw, y1: m.t + ph, y2: m.t + ph});
  g += tag('line', {class: 'domain', x1: m.l, x2: m.l, y1: m.t, y2: m.t + ph});
  g += tag('text', {class: 'axis-label', transform: `translate(12 ${m.t + ph / 2}) rotate(-90)`, 'text-anchor': 'middle'}, esc(yLabel));
  g += tag('text', {class: 'axis-label', x: m.l + pw / 2, y: height - 4, 'text-anchor': 'middle'}, esc(xLabel));
  return {markup: tag('g', {class: 'frame'}, g), geo: {m, pw, ph, x, y, top}};
}

function xAxis(geo, xs, opts = {}) {
  const {m, ph, pw} = geo;
  const maxTicks = Math.max(2, Math.floor(pw / 56));
  let g = '';
  for (const i of xTicks(xs, maxTicks)) {
    const px = (opts.band ? opts.band(i) : geo.x(i)).toFixed(1);
    g += tag('line', {class: 'domain', x1: px, x2: px, y1: m.t + ph, y2: m.t + ph + 4});
    g += tag('text', {x: px, y: m.t + ph + 16, 'text-anchor': 'middle'}, esc(xs[i]));
  }
  return tag('g', {class: 'tick'}, g);
}

// lineChart draws one line per series over the epochs xs into the <svg>
// el, and its legend into legendEl. Each point is a <circle> with
// data-epoch and data-uid (and its value in data-tip, for the tooltip).
// A null value (unknown) draws no point and breaks the line.
//   series: [{uid, values: [number or null per x]}]
export function lineChart(el, legendEl, {xs, series, yLabel, xLabel = 'epoch', valueFormat, height = 250, width: w}) {
  const width = chartWidth(el, w);
  setup(el, width, height);
  legendEl.replaceChildren();
  if (!xs.length) {
    el.innerHTML = emptyChart(width, height, 'no epochs recorded yet');
    return;
  }
  let yMax = 0;
  for (const s of series) for (const v of s.values) if (v !== null && v > yMax) yMax = v;
  const {markup, geo} = frame({width, height, yMax: yMax || 1, yLabel, xLabel, xs});
  let out = markup + xAxis(geo, xs);
  const fmt = valueFormat || ((v) => String(v));
  const r = xs.length > 60 ? 1.6 : 2.6;
  const px = xs.map((_, i) => geo.x(i).toFixed(1));
  const legend = [];
  series.forEach((s, si) => {
    const {color, dash} = seriesStyle(si);
    let d = '', pts = '', gap = true;
    s.values.forEach((v, i) => {
      if (v === null) { // unknown (pruned): no point, a break in the line
        gap = true;
        return;
      }
      const py = geo.y(v).toFixed(1);
      d += `${gap ? 'M' : 'L'}${px[i]},${py}`;
      gap = false;
      pts += `<circle cx="${px[i]}" cy="${py}" r="${r}" fill="${color}" data-epoch="${esc(xs[i])}" data-uid="${esc(s.uid)}" ` +
        `data-tip="UID ${esc(s.uid)} · epoch ${esc(xs[i])}: ${esc(fmt(v))}"/>`;
    });
    out += tag('g', {class: 'series-group', 'data-series': s.uid},
      tag('path', {class: 'series', d, stroke: color, 'stroke-dasharray': dash}) + pts);
    legend.push(h('span', {class: 'item'}, legendSwatch(color, dash), `UID ${s.uid}`));
  });
  el.innerHTML = out;
  legendEl.append(...legend);
}

function legendSwatch(color, dash, bar = false) {
  if (bar) {
    return svg('svg', {width: 12, height: 12, viewBox: '0 0 12 12', 'aria-hidden': 'true'},
      svg('rect', {x: 0, y: 0, width: 12, height: 12, fill: color, rx: 2}));
  }
  return svg('svg', {width: 26, height: 10, viewBox: '0 0 26 10', 'aria-hidden': 'true'},
    svg('line', {x1: 1, x2: 25, y1: 5, y2: 5, stroke: color, 'stroke-width': 2, 'stroke-dasharray': dash}),
    svg('circle', {cx: 13, cy: 5, r: 2.6, fill: color}));
}

// stackedBars draws one stacked bar per epoch of the parts (utensor
// strings), in TENSOR. Each segment is a <rect> with data-epoch and
// data-part.
//   parts: [{name, label, color, values: [utensor string per x]}]
export function stackedBars(el, legendEl, {xs, parts, yLabel = 'TENSOR', xLabel = 'epoch', height = 250, width: w}) {
  const width = chartWidth(el, w);
  setup(el, width, height);
  legendEl.replaceChildren();
  if (!xs.length) {
    el.innerHTML = emptyChart(width, height, 'no epochs recorded yet');
    return;
  }
  const totals = xs.map((_, i) => parts.reduce((sum, p) => sum + tensorNumber(p.values[i]), 0));
  const {markup, geo} = frame({width, height, yMax: Math.max(...totals) || 1, yLabel, xLabel, xs});
  const bw = geo.pw / xs.length;
  const band = (i) => geo.m.l + (i + 0.5) * bw;
  let out = markup + xAxis(geo, xs, {band});
  const gap = Math.min(2, bw * 0.2);
  for (let i = 0; i < xs.length; i++) {
    let acc = 0;
    for (const p of parts) {
      const v = tensorNumber(p.values[i]);
      const y0 = geo.y(acc), y1 = geo.y(acc + v);
      acc += v;
      out += tag('rect', {class: 'seg', x: (geo.m.l + i * bw + gap / 2).toFixed(1), y: y1.toFixed(1),
        width: Math.max(0.5, bw - gap).toFixed(1), height: Math.max(0, y0 - y1).toFixed(1), fill: p.color,
        'data-epoch': xs[i], 'data-part': p.name, 'data-tip': `epoch ${xs[i]} · ${p.label}: ${tensorExact(p.values[i])}`});
    }
  }
  el.innerHTML = out;
  for (const p of parts) legendEl.append(h('span', {class: 'item'}, legendSwatch(p.color, null, true), p.label));
}

// sparkline draws values (oldest first) as a line with an area under it.
export function sparkline(el, values, {width = 300, height = 64} = {}) {
  el.setAttribute('viewBox', `0 0 ${width} ${height}`);
  el.setAttribute('preserveAspectRatio', 'none');
  el.replaceChildren();
  if (values.length < 2) return;
  const max = Math.max(...values) * 1.1 || 1;
  const x = (i) => (i / (values.length - 1)) * width;
  const y = (v) => height - 2 - (v / max) * (height - 4);
  let d = '';
  values.forEach((v, i) => { d += `${i ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`; });
  el.append(svg('path', {class: 'area', d: `${d}L${width},${height}L0,${height}Z`}));
  el.append(svg('path', {class: 'line', d, 'vector-effect': 'non-scaling-stroke'}));
}

// ---- the weights heatmap -------------------------------------------------

// loadWeights reads a Weights document as a painted matrix: in the worker
// that preload.js started (taking over its first read), else here.
export async function loadWeights(path, signal) {
  const early = window.tcPrefetch && window.tcPrefetch.get(path);
  if (early) {
    window.tcPrefetch.delete(path);
    const r = await early;
    if (r.matrix && !r.matrix.workerFailed) return r.matrix;
  }
  if (window.tcWeights) {
    const r = await window.tcWeights(path);
    if (!r.workerFailed) return r;
  }
  const r = await api(path, {signal});
  if (!r.ok) return r;
  const m = weightsMatrix(r.data);
  return {ok: true, ...m, pixels: paintMatrix(m, VIRIDIS_LUT)};
}

// uidTicks returns at most about n column indexes of the sorted UIDs cols
// to label: every column when they are few, else the first column at or
// after each round UID (a step of 1, 2 or 5 × 10^k).
function uidTicks(cols, n) {
  if (cols.length <= n) return cols.map((_, i) => i);
  const raw = (cols[cols.length - 1] - cols[0]) / n;
  const mag = 10 ** Math.floor(Math.log10(Math.max(1, raw)));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((k) => k >= raw) || 10 * mag;
  const out = [];
  for (let u = Math.ceil(cols[0] / step) * step; u <= cols[cols.length - 1]; u += step) {
    let lo = 0, hi = cols.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cols[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    if (out[out.length - 1] !== lo) out.push(lo);
  }
  return out;
}

// Heatmap draws validators (rows) × miners (columns) on a canvas: the
// matrix is painted at one pixel per cell into ImageData, then scaled onto
// the plot, so thousands of columns cost one drawImage.
export class Heatmap {
  constructor(container) {
    this.canvas = h('canvas', {id: 'weights-heatmap', role: 'img', 'aria-label': 'weights heatmap: validators by miners'});
    this.tip = h('div', {class: 'tooltip', hidden: true, role: 'status'});
    this.wrap = h('div', {class: 'heatmap-wrap'}, this.canvas, this.tip);
    this.legendCanvas = h('canvas', {width: 200, height: 12, 'aria-hidden': 'true'});
    this.legendMax = h('span', {class: 'mono'});
    this.legend = h('div', {class: 'legend'},
      h('span', null, 'weight'), h('span', {class: 'mono'}, '0'), this.legendCanvas, this.legendMax,
      h('span', null, '· rows: validators · columns: miners (UIDs) · blank: no weight set'));
    this.note = h('p', {class: 'muted'});
    container.append(this.note, this.wrap, this.legend);
    this.data = null;
    const move = (ev) => this.hover(ev);
    this.canvas.addEventListener('pointermove', move);
    this.canvas.addEventListener('pointerdown', move);
    this.canvas.addEventListener('pointerleave', () => { this.tip.hidden = true; });
  }

  // setData takes a Weights document (parsed and painted here, on the main
  // thread); setMatrix the same already done (loadWeights).
  setData(doc) {
    const m = weightsMatrix(doc);
    this.setMatrix({...m, pixels: paintMatrix(m, VIRIDIS_LUT)});
  }

  setMatrix(m) {
    this.data = {rows: m.rows, cols: m.cols, cells: m.cells, max: m.max, height: m.height};
    this.pixels = m.pixels;
    this.image = null;
    this.draw();
  }

  // paint puts the matrix's pixels (one per cell) on an offscreen canvas.
  paint() {
    const {rows, cols} = this.data;
    const off = document.createElement('canvas');
    off.width = cols.length;
    off.height = rows.length;
    off.getContext('2d').putImageData(new ImageData(this.pixels, cols.length, rows.length), 0, 0);
    this.image = off;
  }

  // draw paints the heatmap width CSS pixels wide (default: as wide as
  // its container).
  draw(width) {
    if (width) this.width = width;
    if (!this.data) return;
    const {rows, cols, max} = this.data;
    if (!rows.length || !cols.length) {
      this.note.textContent = 'No validator has set weights yet.';
      this.wrap.hidden = true;
      this.legend.hidden = true;
      return;
    }
    this.wrap.hidden = false;
    this.legend.hidden = false;
    this.note.textContent = `${rows.length} validators × ${group(cols.length)} miners at height ${group(this.data.height)}` +
      (cols.length > 1000 ? ' (scaled down: several miners per pixel)' : '');
    if (!this.image) this.paint();
    const dpr = window.devicePixelRatio || 1;
    const cssW = Math.max(240, Math.floor(this.width || this.wrap.clientWidth || 600));
    const m = {l: 46, r: 8, t: 6, b: 34};
    const ch = Math.max(2, Math.min(16, Math.floor(320 / rows.length)));
    const pw = cssW - m.l - m.r, ph = ch * rows.length;
    const cssH = ph + m.t + m.b;
    const c = this.canvas;
    c.width = Math.round(cssW * dpr);
    c.height = Math.round(cssH * dpr);
    c.style.height = cssH + 'px';
    const ctx = c.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, cssW, cssH);
    if (!this.colors) {
      // read once per page (getComputedStyle recalculates the page's style)
      this.colors = {bg: cssVar('--surface-2', '#eef1f5'), muted: cssVar('--muted', '#545d68')};
    }
    ctx.fillStyle = this.colors.bg;
    ctx.fillRect(m.l, m.t, pw, ph);
    // downscaling averages the columns; upscaling keeps crisp cells
    ctx.imageSmoothingEnabled = cols.length > pw * dpr;
    ctx.imageSmoothingQuality = 'medium';
    ctx.drawImage(this.image, m.l, m.t, pw, ph);
    // axes
    const muted = this.colors.muted;
    ctx.fillStyle = muted;
    ctx.strokeStyle = muted;
    ctx.font = '11px system-ui, sans-serif';
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    const rowStep = Math.ceil(13 / ch);
    for (let i = 0; i < rows.length; i += rowStep) ctx.fillText(String(rows[i]), m.l - 5, m.t + (i + 0.5) * ch);
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    ctx.beginPath();
    for (const j of uidTicks(cols, Math.max(2, Math.floor(pw / 60)))) {
      const x = m.l + ((j + 0.5) / cols.length) * pw;
      ctx.moveTo(x, m.t + ph);
      ctx.lineTo(x, m.t + ph + 4);
      ctx.fillText(String(cols[j]), x, m.t + ph + 6);
    }
    ctx.stroke();
    ctx.textAlign = 'left';
    ctx.fillText('miner UID →', m.l, m.t + ph + 20);
    this.geo = {m, pw, ph, ch};
    // legend
    const lc = this.legendCanvas;
    const lctx = lc.getContext('2d');
    const lim = lctx.createImageData(lc.width, lc.height);
    for (let x = 0; x < lc.width; x++) {
      const k = Math.round((x / (lc.width - 1)) * 255) * 4;
      for (let y = 0; y < lc.height; y++) lim.data.set(VIRIDIS_LUT.subarray(k, k + 4), (y * lc.width + x) * 4);
    }
    lctx.putImageData(lim, 0, 0);
    this.legendMax.textContent = (max / 65535).toFixed(4);
    this.legendMax.title = `${max} / 65535`;
  }

  hover(ev) {
    if (!this.data || !this.geo) return;
    const rect = this.canvas.getBoundingClientRect();
    const x = ev.clientX - rect.left, y = ev.clientY - rect.top;
    const {m, pw, ph, ch} = this.geo;
    const {rows, cols, cells} = this.data;
    if (x < m.l || x >= m.l + pw || y < m.t || y >= m.t + ph) {
      this.tip.hidden = true;
      return;
    }
    const j = Math.min(cols.length - 1, Math.floor(((x - m.l) / pw) * cols.length));
    const i = Math.min(rows.length - 1, Math.floor((y - m.t) / ch));
    const v = cells[i * cols.length + j];
    this.tip.textContent = `validator ${rows[i]} → miner ${cols[j]}: ` + (v < 0 ? 'no weight' : `${(v / 65535).toFixed(4)} (${v})`);
    this.tip.hidden = false;
    const tw = this.tip.offsetWidth;
    const left = Math.min(Math.max(0, x + 12), rect.width - tw - 2);
    this.tip.style.left = Math.max(0, left) + 'px';
    this.tip.style.top = Math.max(0, y - 34) + 'px';
  }
}
