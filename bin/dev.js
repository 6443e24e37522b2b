#!/usr/bin/env node
'use strict';
// `npm run dev [-- <dispatcher dev options>]`: checks the stack's ports BEFORE building (a busy port is reported
// at once, with who holds it), builds, then runs `dispatcher dev` in THIS process. package.json runs it with
// `exec`, so npm's child is this process: SIGINT/SIGTERM that npm forwards reach the stack itself instead of an
// intermediate shell that would die (SIGTERM) or wait (SIGINT) and leave the stack orphaned on its ports.
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { describeBusyPorts } = require('./devPorts');

const root = path.join(__dirname, '..');
const args = process.argv.slice(2);

/** `npm run build` in a process group of its own, so that a signal now stops all of it (npm, sh and tsc). */
function build() {
  const npm = process.env.npm_execpath;
  const [command, argv] = npm
    ? [process.execPath, [npm, 'run', 'build']]
    : [process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json']];
  const child = spawn(command, argv, { cwd: root, stdio: 'inherit', detached: process.platform !== 'win32' });
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const forward = (signal) => {
    try {
      process.kill(process.platform === 'win32' ? child.pid : -child.pid, signal);
    } catch {
      // already gone
    }
  };
  for (const signal of signals) process.on(signal, forward);
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      for (const s of signals) process.removeListener(s, forward);
      resolve(signal ? 128 + (os.constants.signals[signal] ?? 0) : (code ?? 1));
    });
  });
}

(async () => {
  const busy = await describeBusyPorts(args);
  if (busy) {
    process.stderr.write(`dispatcher dev: cannot start.\n${busy}\n`);
    process.exit(1);
  }
  const code = await build();
  if (code !== 0) process.exit(code);
  const { main } = require(path.join(root, 'dist', 'devhost', 'cli', 'main.js'));
  await main([process.argv[0], path.join(__dirname, 'dispatcher.js'), 'dev', ...args]);
})().catch((err) => {
  process.stderr.write(`dispatcher: ${err && err.message ? err.message : String(err)}\n`);
  process.exit(1);
});
