#!/usr/bin/env node
'use strict';
// `npm start`: the Azure Functions Core Tools path. Needs `func` on PATH; says so plainly when it is not.
const { spawnSync, spawn } = require('node:child_process');
const probe = spawnSync(process.platform === 'win32' ? 'where' : 'which', ['func'], { stdio: 'ignore' });
if (probe.status !== 0) {
  process.stderr.write(
    'npm start runs "func start", but Azure Functions Core Tools (func) is not on PATH.\n' +
      'Install Core Tools v4 (https://learn.microsoft.com/azure/azure-functions/functions-run-local), or run the\n' +
      'whole dispatcher offline without it: npm run dev\n',
  );
  process.exit(1);
}
const build = spawnSync('npm', ['run', 'build'], { stdio: 'inherit', shell: process.platform === 'win32' });
if (build.status !== 0) process.exit(build.status ?? 1);
const child = spawn('func', ['start', ...process.argv.slice(2)], {
  stdio: 'inherit',
  shell: process.platform === 'win32',
});
child.on('exit', (code) => process.exit(code ?? 0));
