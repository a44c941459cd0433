#!/usr/bin/env node
// The `skd` command line: the bundled trainer CLI (built by `npm run build`).
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const cli = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(cli)) {
  process.stderr.write(`skd: ${cli} is missing; run "npm run build" first\n`);
  process.exit(2);
}
require(cli);
