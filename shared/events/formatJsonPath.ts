/** Path text kept at each end when a path is too long to show whole (5,000 levels must not make 20 KB). */
const KEEP = 50;

/** `data.items[2]["odd key"]` from a JSON path (property names and array indexes); long paths elided. */
export function formatJsonPath(path: readonly (string | number)[]): string {
  const parts = path.map((part, i) => {
    if (typeof part === 'number') return `[${part}]`;
    if (/^[A-Za-z_$][\w$]*$/.test(part)) return i === 0 ? part : `.${part}`;
    return `[${JSON.stringify(part.length > 40 ? `${part.slice(0, 40)}…` : part)}]`;
  });
  const whole = parts.join('');
  if (whole.length <= 2 * KEEP + 20) return whole;
  let head = '';
  for (let i = 0; head.length < KEEP; i++) head += parts[i];
  let tail = '';
  for (let i = parts.length - 1; tail.length < KEEP; i--) tail = parts[i]! + tail;
  return `${head}…${tail}`;
}
