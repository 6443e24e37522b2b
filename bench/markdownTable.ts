/** A GitHub-flavoured markdown table; cells are escaped so a `|` in a value cannot break the layout. */
export function markdownTable(headers: string[], rows: string[][], align?: Array<'l' | 'r'>): string {
  const esc = (cell: string): string => cell.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const sep = headers.map((_, i) => ((align?.[i] ?? 'l') === 'r' ? '---:' : '---'));
  const line = (cells: string[]): string => `| ${cells.map(esc).join(' | ')} |`;
  return [line(headers), `|${sep.map((s) => ` ${s} `).join('|')}|`, ...rows.map(line)].join('\n');
}

/** Integers with thousands separators; other numbers to `digits` decimals. */
export function fmt(value: number | undefined, digits = 0): string {
  if (value === undefined || Number.isNaN(value)) return '—';
  if (!Number.isFinite(value)) return '∞';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** `a / b` as `12.3x`. */
export function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || b === 0) return '—';
  const r = a / b;
  return `${r >= 100 ? fmt(r, 0) : fmt(r, 1)}x`;
}

export function metMark(met: boolean | undefined): string {
  if (met === undefined) return 'n/a';
  return met ? 'met' : 'MISSED';
}
