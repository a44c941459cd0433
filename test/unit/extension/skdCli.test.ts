import './vscodeMock';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { runCli, runCliJson } from '../../../src/extension/cli/skdCli';

// The extension runs the `skd` it ships (dist/cli.js, built by `npm test` before the unit tests).
const ROOT = path.resolve(__dirname, '..', '..', '..');
const pkg = require(path.join(ROOT, 'package.json')) as { version: string };

test('runCli resolves with the last line of skd\'s output, runCliJson parses JSON, both reject with skd\'s own error line', async () => {
  assert.match(await runCli(ROOT, ['--version'], ROOT), new RegExp(pkg.version.replace(/\./g, '\\.')));
  await assert.rejects(runCliJson(ROOT, ['--version'], ROOT), /^Error: skd --version: the output is not JSON$/);
  const missing = path.join(ROOT, 'no-such-sweep-folder');
  await assert.rejects(runCli(ROOT, ['sweep', 'status', missing], ROOT), (e: Error) => e.message.startsWith(`skd sweep status ${missing}: `) && e.message.includes('no-such-sweep-folder'));
});
