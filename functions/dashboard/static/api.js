// The app's HTTP API, relative to the page (it lives at <prefix>/dashboard/), with the function key from ?code=.

const base = new URL('../', document.baseURI);
const key = new URLSearchParams(location.search).get('code');

export async function get(path) {
  const response = await fetch(new URL(path, base), { headers: key ? { 'x-functions-key': key } : {} });
  if (response.status === 404 && !path.startsWith('events/')) return { missing: true };
  const body = await response.json().catch(() => ({}));
  if (!response.ok && response.status !== 404)
    throw new Error(`${path}: HTTP ${response.status} ${body.error ?? ''}`);
  return { status: response.status, body };
}

export async function post(path, body) {
  const headers = { 'content-type': 'application/json', ...(key ? { 'x-functions-key': key } : {}) };
  const response = await fetch(new URL(path, base), { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: response.status, body: await response.json().catch(() => ({})) };
}
