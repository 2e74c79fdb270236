// The metagraph table: sortable by every column, filtered, paginated.
// Only the current page's rows are in the DOM, so 4,096 neurons cost no
// more to show than 50. Every cell carries its column (data-col, the JSON
// field name) and its raw value (data-value).

import {h, fmtTensor, tensorExact, fmtU16, group, compareDecimal, short, copyClick} from './util.js';

// Column types: num (a JSON number), dec (a utensor decimal string), u16
// (a fraction 0..65535), key (a long key, shortened), hash (a hex hash,
// shortened), str, bool.
export const COLUMNS = [
  {key: 'uid', label: 'UID', type: 'num', first: 'ascending'},
  {key: 'hotkey', label: 'Hotkey', type: 'key'},
  {key: 'coldkey', label: 'Coldkey', type: 'key'},
  {key: 'stake', label: 'Stake (TENSOR)', type: 'dec'},
  {key: 'incentive', label: 'Incentive', type: 'u16'},
  {key: 'dividends', label: 'Dividends', type: 'u16'},
  {key: 'trust', label: 'Trust', type: 'u16'},
  {key: 'consensus', label: 'Consensus', type: 'u16'},
  {key: 'validator_trust', label: 'Validator trust', type: 'u16'},
  {key: 'emission', label: 'Emission (TENSOR)', type: 'dec'},
  {key: 'axon', label: 'Axon', type: 'str'},
  {key: 'model_sha256', label: 'Model SHA-256', type: 'hash'},
  {key: 'last_update', label: 'Last update', type: 'num'},
  {key: 'active', label: 'Active', type: 'bool'},
];

const NUMERIC = new Set(['num', 'dec', 'u16', 'bool']);
export const PAGE_SIZES = [50, 100, 250];

function comparator(col) {
  const k = col.key;
  switch (col.type) {
    case 'num':
    case 'u16':
      return (a, b) => a[k] - b[k];
    case 'dec':
      return (a, b) => compareDecimal(String(a[k]), String(b[k]));
    case 'bool':
      return (a, b) => (a[k] === b[k] ? 0 : a[k] ? 1 : -1);
    default:
      return (a, b) => {
        const x = a[k] || '', y = b[k] || '';
        return x < y ? -1 : x > y ? 1 : 0;
      };
  }
}

export class MetagraphTable {
  // state: {sort, dir, page, size, filter}; kept across data refreshes.
  constructor(container) {
    this.state = {sort: 'uid', dir: 'ascending', page: 0, size: PAGE_SIZES[0], filter: ''};
    this.neurons = [];
    this.view = [];
    this.height = 0;

    this.filterInput = h('input', {type: 'search', id: 'metagraph-filter', placeholder: 'UID, hotkey or coldkey',
      autocomplete: 'off', spellcheck: 'false'});
    let timer = 0;
    this.filterInput.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        this.state.filter = this.filterInput.value.trim().toLowerCase();
        this.state.page = 0;
        this.update();
      }, 120);
    });
    this.sizeSelect = h('select', {id: 'metagraph-size'}, PAGE_SIZES.map((n) => h('option', {value: n}, String(n))));
    this.sizeSelect.addEventListener('change', () => {
      const first = this.state.page * this.state.size;
      this.state.size = Number(this.sizeSelect.value);
      this.state.page = Math.floor(first / this.state.size);
      this.render();
    });

    this.headCells = new Map();
    const headRow = h('tr');
    for (const col of COLUMNS) {
      const btn = h('button', {type: 'button', class: 'sort', 'data-sort': col.key},
        col.label, h('span', {class: 'arrow', 'aria-hidden': 'true'}));
      btn.addEventListener('click', () => this.sortBy(col));
      const th = h('th', {scope: 'col', 'data-col': col.key, class: NUMERIC.has(col.type) && col.type !== 'bool' ? 'num' : null}, btn);
      this.headCells.set(col.key, th);
      headRow.append(th);
    }
    this.tbody = h('tbody');
    this.table = h('table', {id: 'metagraph', class: 'data'},
      h('caption', {class: 'muted', hidden: true}, 'Metagraph: one row per neuron'),
      h('thead', null, headRow), this.tbody);
    this.table.addEventListener('click', copyClick);

    const btn = (go, text, label) => h('button', {type: 'button', 'data-go': go, 'aria-label': label}, text);
    this.first = btn('first', '«', 'first page');
    this.prev = btn('prev', '‹ prev', 'previous page');
    this.next = btn('next', 'next ›', 'next page');
    this.last = btn('last', '»', 'last page');
    this.range = h('span', {class: 'range', 'aria-live': 'polite'});
    this.pager = h('div', {id: 'metagraph-pager', class: 'pager', role: 'navigation', 'aria-label': 'metagraph pages'},
      this.first, this.prev, this.range, this.next, this.last);
    this.pager.addEventListener('click', (ev) => {
      const b = ev.target.closest('button[data-go]');
      if (!b || b.disabled) return;
      const pages = this.pages();
      const go = {first: 0, prev: this.state.page - 1, next: this.state.page + 1, last: pages - 1}[b.dataset.go];
      this.state.page = Math.max(0, Math.min(pages - 1, go));
      this.render();
    });

    container.append(
      h('div', {class: 'toolbar'},
        h('div', {class: 'field'}, h('label', {for: 'metagraph-filter'}, 'Filter'), this.filterInput),
        h('div', {class: 'field'}, h('label', {for: 'metagraph-size'}, 'Rows per page'), this.sizeSelect)),
      h('div', {class: 'table-wrap'}, this.table),
      this.pager);
  }

  pages() {
    return Math.max(1, Math.ceil(this.view.length / this.state.size));
  }

  // setData replaces the neurons (a refresh keeps sort, filter and page).
  setData(mg) {
    this.neurons = mg.neurons || [];
    this.height = mg.height;
    this.table.dataset.height = String(mg.height);
    this.table.dataset.netuid = String(mg.netuid);
    this.update();
  }

  sortBy(col) {
    if (this.state.sort === col.key) {
      this.state.dir = this.state.dir === 'ascending' ? 'descending' : 'ascending';
    } else {
      this.state.sort = col.key;
      this.state.dir = col.first || (NUMERIC.has(col.type) ? 'descending' : 'ascending');
    }
    this.state.page = 0;
    this.update();
  }

  // update recomputes the filtered, sorted view and renders its page.
  update() {
    const f = this.state.filter;
    let rows = this.neurons;
    if (f) {
      rows = rows.filter((n) => String(n.uid).includes(f) || (n.hotkey || '').toLowerCase().includes(f) ||
        (n.coldkey || '').toLowerCase().includes(f));
    } else {
      rows = rows.slice();
    }
    const col = COLUMNS.find((c) => c.key === this.state.sort) || COLUMNS[0];
    const cmp = comparator(col);
    const sign = this.state.dir === 'descending' ? -1 : 1;
    rows.sort((a, b) => sign * cmp(a, b) || a.uid - b.uid);
    this.view = rows;
    this.render();
  }

  render() {
    const {page, size, sort, dir} = this.state;
    const pages = this.pages();
    if (page >= pages) this.state.page = pages - 1;
    const start = this.state.page * size;
    const slice = this.view.slice(start, start + size);
    // one HTML string for the page's rows: parsing it is several times
    // faster than building the cells one DOM call at a time
    let html = '';
    for (const n of slice) html += this.rowHTML(n);
    if (!slice.length) {
      html = `<tr><td colspan="${COLUMNS.length}" class="empty">${this.neurons.length ? 'No neuron matches the filter.' : 'No neurons registered.'}</td></tr>`;
    }
    this.tbody.innerHTML = html;
    for (const [key, th] of this.headCells) {
      if (key === sort) {
        th.setAttribute('aria-sort', dir);
        th.querySelector('.arrow').textContent = dir === 'ascending' ? '▲' : '▼';
      } else {
        th.removeAttribute('aria-sort');
        th.querySelector('.arrow').textContent = '';
      }
    }
    const n = this.view.length;
    this.range.textContent = n ? `rows ${group(start + 1)}–${group(start + slice.length)} of ${group(n)}` +
      (n !== this.neurons.length ? ` (filtered from ${group(this.neurons.length)})` : '') : 'no rows';
    this.pager.dataset.page = String(this.state.page);
    this.pager.dataset.pages = String(pages);
    this.first.disabled = this.prev.disabled = this.state.page === 0;
    this.next.disabled = this.last.disabled = this.state.page >= pages - 1;
    this.sizeSelect.value = String(size);
  }

  // rowHTML is one neuron's row; every value is escaped.
  rowHTML(n) {
    let out = `<tr data-uid="${esc(n.uid)}">`;
    for (const col of COLUMNS) {
      const v = n[col.key];
      const raw = v === undefined || v === null ? '' : String(v);
      let cls = '', title = '', body;
      switch (col.type) {
        case 'num':
          cls = 'num';
          if (col.key === 'last_update') {
            body = esc(group(v));
            if (this.height) title = `${group(this.height - v)} blocks before the metagraph's height`;
          } else {
            body = esc(raw);
            if (col.key === 'uid' && n.validator_permit) body += '<span class="badge" title="validator permit">V</span>';
          }
          break;
        case 'dec':
          cls = 'num';
          body = esc(fmtTensor(v, col.key === 'stake' ? 2 : 4));
          title = tensorExact(v);
          break;
        case 'u16':
          cls = 'num';
          body = esc(fmtU16(v));
          title = `${v} / 65535`;
          break;
        case 'key':
          body = keyHTML(raw, 14, 6);
          break;
        case 'hash':
          body = keyHTML(raw, 8, 6);
          break;
        case 'bool':
          body = v ? '<span class="yes">✓ yes</span>' : '<span class="no">✗ no</span>';
          break;
        default:
          if (raw) {
            body = esc(raw);
            if (col.key === 'axon' && n.tls) body += '<span class="badge" title="TLS (pinned certificate)">TLS</span>';
          } else {
            body = '<span class="muted">—</span>';
          }
      }
      out += `<td data-col="${col.key}" data-value="${esc(raw)}"${cls ? ` class="${cls}"` : ''}${title ? ` title="${esc(title)}"` : ''}>${body}</td>`;
    }
    return out + '</tr>';
  }
}

// esc escapes text for HTML content and attribute values.
export function esc(v) {
  return String(v).replace(/[&<>"']/g, (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'})[c]);
}

// keyHTML is keyCell (util.js) as HTML.
function keyHTML(full, head, tail) {
  if (!full) return '<span class="muted">—</span>';
  const f = esc(full);
  return `<span class="nowrap"><span class="mono" title="${f}">${esc(short(full, head, tail))}</span>` +
    `<button type="button" class="copy" data-copy="${f}" aria-label="copy ${f}" title="copy"></button></span>`;
}
