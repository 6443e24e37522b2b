'use strict';
// Plain JavaScript on purpose: `npm run dev` (bin/dev.js) checks the stack's ports with it BEFORE building,
// so a busy port is reported in a second instead of after a full `tsc` run; `dispatcher dev` uses it too.
const fs = require('node:fs');
const net = require('node:net');

/** The ports `dispatcher dev` will listen on, from its command line (same flags and defaults as devCommand). */
function devPorts(args) {
  const ports = [
    { flag: '--port', what: 'HTTP (Functions host)', port: 7071 },
    { flag: '--servicebus-port', what: 'AMQP (Service Bus emulator)', port: 5672 },
    { flag: '--aci-port', what: 'HTTPS (ACI emulator)', port: 0 },
    { flag: '--blob-port', what: 'Blob (Azurite)', port: 0 },
    { flag: '--table-port', what: 'Table (Azurite)', port: 0 },
  ];
  for (let i = 0; i < args.length; i++) {
    const [name, inline] = args[i].split('=', 2);
    const entry = ports.find((p) => p.flag === name);
    if (!entry) continue;
    const value = inline !== undefined ? inline : args[++i];
    // A bad value is left for the CLI to report with its own message.
    if (/^\d+$/.test(value || '')) entry.port = Number(value);
  }
  return ports.filter((p) => p.port !== 0);
}

function isFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Linux: the process listening on `port` (from /proc/net/tcp* and /proc/<pid>/fd), if this user may see it. */
function portOwner(port) {
  const inodes = new Set();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = fs.readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local_address is HEXIP:HEXPORT; state 0A is LISTEN; column 9 is the socket inode.
      if (cols.length > 9 && cols[3] === '0A' && parseInt(cols[1].split(':')[1], 16) === port)
        inodes.add(cols[9]);
    }
  }
  if (inodes.size === 0) return undefined;
  let pids = [];
  try {
    pids = fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    let fds = [];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target = '';
      try {
        target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(target);
      if (inode && inodes.has(inode[1])) {
        let command = '';
        try {
          command = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
        } catch {
          // ended meanwhile
        }
        return { pid: Number(pid), command };
      }
    }
  }
  return undefined;
}

function parentOf(pid) {
  try {
    // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after the last ')'.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Resolves to undefined when every port the stack needs is free, else to a message that names each busy port,
 * who holds it when the OS says so, and what to do.
 */
async function describeBusyPorts(args) {
  const busy = [];
  for (const entry of devPorts(args)) if (!(await isFree(entry.port))) busy.push(entry);
  if (busy.length === 0) return undefined;
  const lines = busy.map((entry) => {
    const owner = portOwner(entry.port);
    const who = owner
      ? ` by pid ${owner.pid}${owner.command ? ` (${owner.command.slice(0, 120)})` : ''}`
      : '';
    return `port ${entry.port} (${entry.what}, ${entry.flag}) is already in use${who}`;
  });
  const owners = busy.map((entry) => portOwner(entry.port)).filter(Boolean);
  const stack = owners
    // An emulator child holds the AMQP port: the stack to stop is its parent.
    .map((o) => (/emulatorProcess\.js/.test(o.command) ? { pid: parentOf(o.pid), command: 'stack' } : o))
    .find((o) => o.pid && /^stack$|dispatcher(\.js)? dev|dev\.js|devStackProcess/.test(o.command));
  return [
    ...lines,
    stack
      ? `A dev stack seems to be running already (pid ${stack.pid}): use it, or stop it (Ctrl-C in its terminal, or kill ${stack.pid}).`
      : 'Stop the process that holds it.',
    'Or run this stack on free ports: npm run dev -- --port 0 --servicebus-port 0 (then pass the printed --connection and --api to send and watch).',
  ].join('\n');
}

module.exports = { devPorts, describeBusyPorts, portOwner };
