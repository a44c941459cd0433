import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { loadExperiment } from '../../../src/trainer/config/validate';
import { expandSweep, loadSweepFile } from '../../../src/trainer/sweep/plan';
import { STROKE_DIGIT_SETS, strokeDigitsDir, writeStrokeDigits } from '../../../scripts/stroke-digits';

const EXAMPLES = path.join(__dirname, '..', '..', '..', 'examples');

function filesUnder(dir: string, suffix: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p, suffix) : p.endsWith(suffix) ? [p] : [];
  });
}

// The README and docs/method.md tell users to run these files; each must load as it is (the
// stroke-digits studies once `scripts/make-stroke-digits.ts` has made their data, as they say).
test('every experiment file under examples/ is valid', () => {
  for (const name of Object.keys(STROKE_DIGIT_SETS)) if (!fs.existsSync(strokeDigitsDir(name))) writeStrokeDigits(name);
  const files = filesUnder(EXAMPLES, '.skd.json').filter((f) => !f.endsWith('.sweep.skd.json'));
  assert.ok(files.length >= 10, `found ${files.length}`);
  for (const file of files) assert.doesNotThrow(() => loadExperiment(file), `${path.relative(EXAMPLES, file)}`);
});

test('every sweep file under examples/ expands', () => {
  const files = filesUnder(EXAMPLES, '.sweep.skd.json');
  assert.ok(files.length >= 5, `found ${files.length}`);
  for (const file of files) {
    const expanded = expandSweep(file, loadSweepFile(file));
    assert.ok(expanded.experiments.size > 0, `${path.relative(EXAMPLES, file)} expands to no runs`);
  }
});
