import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { loadIdxDir } from '../../../src/trainer/data/idx';
import { Rng } from '../../../src/trainer/util/rng';
import { drawStrokeDigit, makeStrokeDigits, STROKE_DIGIT_SIZE } from '../../../scripts/stroke-digits';

const SIZE = STROKE_DIGIT_SIZE * STROKE_DIGIT_SIZE;

test('the same seed and split give the same stroke digits; another split gives others', () => {
  const a = makeStrokeDigits(50, 1, 'train');
  const b = makeStrokeDigits(50, 1, 'train');
  const c = makeStrokeDigits(50, 1, 't10k');
  assert.deepEqual(a.x, b.x);
  assert.deepEqual(a.y, b.y);
  assert.notDeepEqual(a.x, c.x);
});

test('stroke digits have balanced labels and an image for each', () => {
  const { x, y } = makeStrokeDigits(100, 3, 'train');
  assert.equal(x.length, 100 * SIZE);
  const counts = new Array(10).fill(0);
  for (const v of y) counts[v]++;
  assert.deepEqual(counts, new Array(10).fill(10));
});

test('a stroke digit is ink on an empty background, centred', () => {
  const img = drawStrokeDigit(1, new Rng(5));
  let ink = 0;
  let border = 0;
  for (let r = 0; r < STROKE_DIGIT_SIZE; r++) {
    for (let c = 0; c < STROKE_DIGIT_SIZE; c++) {
      const v = img[r * STROKE_DIGIT_SIZE + c];
      if (v > 128) ink++;
      if ((r < 2 || r > 25 || c < 2 || c > 25) && v > 128) border++;
    }
  }
  // A pen stroke of a 1 covers a few dozen pixels; the frame stays (nearly) empty.
  assert.ok(ink >= 15 && ink <= 200, `ink pixels ${ink}`);
  assert.ok(border <= 4, `inked border pixels ${border}`);
});

test('make-stroke-digits writes an IDX directory that SKD Lab loads', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stroke-digits-'));
  try {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/make-stroke-digits.ts', 'stroke-digits', dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const ds = await loadIdxDir(dir, { name: 'stroke-digits' });
    assert.equal(ds.train.n, 4000);
    assert.equal(ds.test.n, 2000);
    assert.equal(ds.numClasses, 10);
    assert.deepEqual(ds.test.y, makeStrokeDigits(2000, 1, 't10k').y);
    const bad = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/make-stroke-digits.ts', 'no-such-set', dir], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown stroke-digits set "no-such-set"/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
