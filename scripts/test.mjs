// The test command: unit tests, trainer integration tests (node's test runner, TypeScript
// through tsx), then the end-to-end tests inside a real VS Code (test/e2e).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const only = process.argv.slice(2);

function testFiles(dir) {
  if (!fs.existsSync(dir)) return [];
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...testFiles(p));
    else if (e.name.endsWith('.test.ts')) out.push(p);
  }
  return out.sort();
}

function run(label, cmd, args) {
  console.log(`\n== ${label}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: process.env });
  return r.status ?? 1;
}

const suites = [
  ['unit', 'test/unit'],
  ['integration', 'test/integration'],
].filter(([name]) => only.length === 0 || only.includes(name));

let failed = 0;
for (const [name, dir] of suites) {
  const files = testFiles(dir);
  if (files.length === 0) continue;
  failed |= run(name, process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...files]);
}
if ((only.length === 0 || only.includes('e2e')) && fs.existsSync('test/e2e/run.mjs')) {
  failed |= run('e2e', process.execPath, ['test/e2e/run.mjs']);
}
process.exit(failed ? 1 : 0);
