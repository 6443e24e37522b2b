#!/usr/bin/env node
'use strict';
// Thin launcher: the CLI is TypeScript compiled to dist/. A clear message beats a stack trace when it isn't built.
const path = require('node:path');
const fs = require('node:fs');
const entry = path.join(__dirname, '..', 'dist', 'devhost', 'cli', 'main.js');
if (!fs.existsSync(entry)) {
  process.stderr.write(
    `dispatcher: ${entry} is missing. Run "npm run build" first (npm run dev builds for you).\n`,
  );
  process.exit(1);
}
require(entry)
  .main(process.argv)
  .catch((err) => {
    process.stderr.write(`dispatcher: ${err && err.message ? err.message : String(err)}\n`);
    process.exit(1);
  });
