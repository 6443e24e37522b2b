import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * A port that was free a moment ago on 127.0.0.1 (for URLs that must be known before the server starts).
 *
 * It is taken from below the kernel's ephemeral range: a port handed out by `listen(0)` would be in that range,
 * where any other process's `listen(0)` or outgoing connection may take it between this check and the real
 * bind ("already in use" under parallel test runs). Below the range only another explicit choice can collide,
 * so a few random tries there make a collision unlikely; if none is free, the kernel's own pick is the fallback.
 */
export async function freePort(): Promise<number> {
  const below = ephemeralRangeStart();
  const low = 20_000;
  if (below > low + 1_000) {
    for (let tryNo = 0; tryNo < 20; tryNo++) {
      const port = low + Math.floor(Math.random() * (below - low));
      if (await isFree(port)) return port;
    }
  }
  return listenOn(0);
}

/** The first ephemeral port (Linux: /proc/sys/net/ipv4/ip_local_port_range; 32768 elsewhere, as Linux's default). */
function ephemeralRangeStart(): number {
  try {
    const [first] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    const start = Number(first);
    return Number.isInteger(start) && start > 0 ? start : 32_768;
  } catch {
    return 32_768;
  }
}

async function isFree(port: number): Promise<boolean> {
  try {
    await listenOn(port);
    return true;
  } catch {
    return false;
  }
}

function listenOn(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(bound));
    });
  });
}
