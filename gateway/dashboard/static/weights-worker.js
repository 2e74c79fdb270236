// The weights heatmap's worker: fetches a Weights document, parses it and
// paints its matrix off the main thread (a subnet of 4,096 neurons has a
// document of megabytes). Messages: {id, url} in; {id, ok: true, netuid,
// height, rows, cols, cells, max, pixels} (typed arrays, transferred) or
// {id, ok: false, status, error} out.

import {lut, paintMatrix, weightsMatrix} from './matrix.js';

const table = lut();

self.onmessage = async (ev) => {
  const {id, url} = ev.data || {};
  let res, text;
  try {
    res = await fetch(url, {cache: 'no-store', credentials: 'same-origin'});
    text = await res.text();
  } catch (e) {
    self.postMessage({id, ok: false, status: 0, error: `network error: ${e && e.message ? e.message : e}`});
    return;
  }
  if (!res.ok) {
    let msg = '';
    try {
      msg = JSON.parse(text).error || '';
    } catch {
      msg = text.trim().slice(0, 300);
    }
    self.postMessage({id, ok: false, status: res.status, error: `${res.status} ${res.statusText || ''}`.trim() + (msg ? `: ${msg}` : '')});
    return;
  }
  let m;
  try {
    m = weightsMatrix(JSON.parse(text));
  } catch (e) {
    self.postMessage({id, ok: false, status: res.status, error: `${url}: not a weights document (${e && e.message ? e.message : e})`});
    return;
  }
  const pixels = paintMatrix(m, table);
  self.postMessage({id, ok: true, ...m, pixels}, [m.rows.buffer, m.cols.buffer, m.cells.buffer, pixels.buffer]);
};
