// DOM helpers the dashboard's modules share. Every value is written with textContent (event data never
// becomes markup).

export const $ = (id) => document.getElementById(id);

export function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

export function row(cells, onClick) {
  const tr = document.createElement('tr');
  for (const cell of cells) tr.append(cell instanceof Node ? wrapTd(cell) : el('td', cell ?? ''));
  if (onClick) {
    tr.className = 'clickable';
    tr.addEventListener('click', onClick);
  }
  return tr;
}

function wrapTd(node) {
  const td = document.createElement('td');
  if (node.dataset && node.dataset.cell) td.className = node.dataset.cell;
  td.append(node);
  return td;
}

export const phase = (name) => el('span', name, `phase phase-${name}`);

export const time = (iso) => (iso ? new Date(iso).toLocaleTimeString() : '');

export const short = (id) => (id && id.length > 13 ? `${id.slice(0, 8)}…` : (id ?? ''));

export function duration(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 90 ? `${m}m ${s % 60}s` : `${Math.floor(m / 60)}h ${m % 60}m`;
}

export function wrapText(text) {
  const span = el('span', text);
  span.dataset.cell = 'wrap';
  span.title = text ?? '';
  return span;
}

export function fill(tbody, rows) {
  tbody.replaceChildren(...rows);
}

// Every destructive action asks first, in a modal <dialog> naming exactly what will happen.
export function confirmAction(text, yesLabel) {
  const dialog = $('confirm');
  $('confirm-text').textContent = text;
  $('confirm-yes').textContent = yesLabel;
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) =>
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'yes'), { once: true }),
  );
}

export function showResult(id, ok, text) {
  $(id).textContent = text;
  $(id).className = `result ${ok ? 'ok' : 'bad'}`;
}

// Tables declare their columns in data-columns (`name#` is a number column); the head is built once here.
export function setHead(table, columns) {
  const tr = document.createElement('tr');
  for (const column of columns)
    tr.append(el('th', column.replace(/#$/, ''), column.endsWith('#') ? 'num' : undefined));
  (table.tHead ?? table.createTHead()).replaceChildren(tr);
}

export function buildTables() {
  for (const table of document.querySelectorAll('table[data-columns]')) {
    setHead(table, table.dataset.columns.split(','));
    table.append(document.createElement('tbody'));
  }
}
