const LOOPBACK_HOSTS = new Set(['localhost', '[::1]', '::1']);

/**
 * True for an https URL on this machine (localhost, 127.0.0.0/8, ::1): the only place a dummy emulator token may
 * be sent.
 */
export function isLoopbackHttpsEndpoint(endpoint: string | undefined): boolean {
  let url: URL;
  try {
    if (endpoint === undefined) return false;
    url = new URL(endpoint);
  } catch {
    return false;
  }
  const loopback = LOOPBACK_HOSTS.has(url.hostname) || /^127(\.\d{1,3}){3}$/.test(url.hostname);
  return url.protocol === 'https:' && loopback;
}
