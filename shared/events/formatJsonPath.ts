/** Longest path shown in a message: a path 5,000 levels deep must not turn into a 20 KB error description. */
const MAX_SHOWN = 120;

/** `data.items[2]["odd key"]` from a JSON path (property names and array indexes). */
export function formatJsonPath(path: readonly (string | number)[]): string {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(part)) text += text === '' ? part : `.${part}`;
    else text += `[${JSON.stringify(part.length > 40 ? `${part.slice(0, 40)}…` : part)}]`;
  }
  return text.length > MAX_SHOWN ? `${text.slice(0, 50)}…${text.slice(-50)}` : text;
}
