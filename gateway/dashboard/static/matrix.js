// The weights heatmap's numbers: the Weights document as a dense matrix
// and its pixels. Used by weights-worker.js (off the main thread) and by
// charts.js when no worker is available. No DOM here.

// Viridis (matplotlib), sampled at ten equal steps from 0 to 1; colours in
// between are interpolated linearly in sRGB.
export const VIRIDIS = ['#440154', '#482878', '#3e4989', '#31688e', '#26828e', '#1f9e89', '#35b779', '#6ece58', '#b5de2b', '#fde725'];

function hexRGB(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

// colormap returns f(t) -> [r, g, b] for t in [0, 1] over the stops.
export function colormap(stops = VIRIDIS) {
  const rgb = stops.map(hexRGB);
  return (t) => {
    t = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0));
    const x = t * (rgb.length - 1);
    const i = Math.min(rgb.length - 2, Math.floor(x));
    const f = x - i;
    const a = rgb[i], b = rgb[i + 1];
    return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f)];
  };
}

// lut is a 256-entry table of the colormap, as RGBA bytes.
export function lut(stops = VIRIDIS) {
  const cm = colormap(stops);
  const out = new Uint8ClampedArray(256 * 4);
  for (let i = 0; i < 256; i++) {
    const [r, g, b] = cm(i / 255);
    out.set([r, g, b, 255], i * 4);
  }
  return out;
}

// weightsMatrix turns a Weights document into rows (validator UIDs, by
// UID), cols (every UID weighted by any of them, by UID) and cells
// (rows x cols, the u16 weight, -1 where none was set).
export function weightsMatrix(doc) {
  const src = [...(doc.rows || [])].sort((a, b) => a.uid - b.uid);
  let maxUID = -1;
  for (const r of src) for (let j = 0; j < r.uids.length; j++) if (r.uids[j] > maxUID) maxUID = r.uids[j];
  const seen = new Uint8Array(maxUID + 1);
  for (const r of src) for (let j = 0; j < r.uids.length; j++) seen[r.uids[j]] = 1;
  let nc = 0;
  for (let u = 0; u <= maxUID; u++) nc += seen[u];
  const cols = new Uint32Array(nc);
  const colIndex = new Int32Array(maxUID + 1);
  for (let u = 0, i = 0; u <= maxUID; u++) {
    if (seen[u]) {
      cols[i] = u;
      colIndex[u] = i++;
    }
  }
  const nr = src.length;
  const rows = new Uint32Array(nr);
  const cells = new Int32Array(nr * nc).fill(-1);
  let max = 0;
  for (let ri = 0; ri < nr; ri++) {
    const {uid, uids, weights} = src[ri];
    rows[ri] = uid;
    const off = ri * nc;
    for (let j = 0; j < uids.length; j++) {
      const v = weights[j];
      cells[off + colIndex[uids[j]]] = v;
      if (v > max) max = v;
    }
  }
  return {netuid: doc.netuid, height: doc.height, rows, cols, cells, max};
}

// paintMatrix paints the cells at one pixel each (cols wide, rows high),
// scaled to the largest weight; cells without a weight stay transparent.
export function paintMatrix(m, table) {
  const {cells, max} = m;
  const px = new Uint8ClampedArray(cells.length * 4);
  const scale = max > 0 ? 255 / max : 0;
  for (let i = 0; i < cells.length; i++) {
    const v = cells[i];
    if (v < 0) continue;
    const k = Math.round(v * scale) * 4, o = i * 4;
    px[o] = table[k];
    px[o + 1] = table[k + 1];
    px[o + 2] = table[k + 2];
    px[o + 3] = 255;
  }
  return px;
}
