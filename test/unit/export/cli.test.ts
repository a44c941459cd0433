import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { deviceCommand, exportCommand } from '../../../src/trainer/commands/exportCli';
import { isInputError } from '../../../src/trainer/errors';
import { addIdxExperiment, makeRunDir, makeStudent, shapesData, tmpDir } from './fixtures';

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return { stream, text: () => text };
}

test('skd export verifies on the experiment\'s test split and prints a summary; skd device copies and serves', async () => {
  const runDir = await makeRunDir(makeStudent('mobilenet'), 'mobilenet');
  addIdxExperiment(runDir, shapesData(50, 21));
  const out = tmpDir('cli-out');
  const target = path.join(out, 'student-web');
  const o = capture();
  assert.equal(await exportCommand([runDir, '--format', 'tfjs', '--quantize', 'float16', '--out', target], o.stream), 0);
  assert.match(o.text(), new RegExp(`exported ${target}`));
  // One accuracy figure per run: all of the run's test split, named, not a subset.
  assert.match(o.text(), /% on the .+ test split \(50 images\)/);
  const card = JSON.parse(fs.readFileSync(path.join(target, 'model-card.json'), 'utf8'));
  assert.equal(card.accuracy.testImages, 50);
  assert.match(card.accuracy.testSet, / test split$/);
  assert.match(fs.readFileSync(path.join(target, 'MODEL_CARD.md'), 'utf8'), /test split, 50 images\)/);

  const dest = tmpDir('cli-dest');
  const c = capture();
  assert.equal(await deviceCommand([target, '--copy', dest], c.stream), 0);
  assert.ok(fs.existsSync(path.join(dest, 'student-web', 'model.json')));

  const s = capture();
  let stop = (): void => undefined;
  const serving = deviceCommand([target, '--serve', '--port', '0'], s.stream, new Promise<void>((r) => (stop = r)));
  while (!s.text().includes('serving')) await new Promise((r) => setTimeout(r, 20));
  const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(s.text())?.[0];
  assert.ok(url, s.text());
  const page = await fetch(url);
  assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  assert.equal((await fetch(`${url}model/model.json`)).status, 200);
  assert.equal((await fetch(`${url}../package.json`)).status, 404);
  stop();
  assert.equal(await serving, 0);
  assert.match(s.text(), /scan with a phone on the same network:\n[▀▄█ ]+/, 'a QR code of the URL follows it');
});

test('usage errors name what is wrong', async () => {
  await assert.rejects(exportCommand(['somewhere']), (e: unknown) => isInputError(e) && e.field === '--format');
  await assert.rejects(exportCommand(['a', '--format', 'onnx', '--bogus', '1']), (e: unknown) => isInputError(e) && e.field === '--bogus');
  await assert.rejects(deviceCommand(['dir', '--copy', 'x', '--serve']), (e: unknown) => isInputError(e) && /usage/.test(e.message));
  await assert.rejects(deviceCommand(['/nonexistent', '--copy', '/tmp']), (e: unknown) => isInputError(e) && /not an export folder/.test(e.message));
});
