import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatPooledTable, poolReports } from '../../../src/trainer/bench/pooledMethods';
import { benchRecord, benchReport } from '../../helpers/benchRecords';

const close = (a: number | null | undefined, b: number, eps = 1e-9) => assert.ok(a !== null && a !== undefined && Math.abs(a - b) < eps, `${a} != ${b}`);

const record = benchRecord;
const report = benchReport;

describe('bench methods --pool', () => {
  // Bench A: skd - kd on test by seed +.01, +.03; bench B: -.01, +.01, +.02 (seed 3 too).
  const a = report('/runs/a', [record('none', 1, 0.8, 0.8), record('none', 2, 0.8, 0.8), record('kd', 1, 0.82, 0.81), record('kd', 2, 0.81, 0.8), record('skd', 1, 0.83, 0.83), record('skd', 2, 0.84, 0.81)]);
  const b = report(
    '/runs/b',
    [record('kd', 1, 0.7, 0.7), record('kd', 2, 0.7, 0.71), record('kd', 3, 0.72, 0.7), record('skd', 1, 0.69, 0.71), record('skd', 2, 0.71, 0.71), record('skd', 3, 0.74, 0.72), record('at', 1, 0.6, 0.6)],
    ['kd', 'skd', 'at'],
  );
  const pooled = poolReports([a, b]);
  const row = (m: string) => pooled.rows.find((r) => r.method === m)!;

  it('pools every per-seed difference of every bench, each paired within its bench', () => {
    // Differences .01 .03 -.01 .01 .02: mean .012; deviations -.002 .018 -.022 -.002 .008,
    // sum of squares 8.8e-4, variance 2.2e-4, SE sqrt(2.2e-4 / 5).
    const d = row('skd').pooled.vsKd.test!;
    assert.equal(d.n, 5);
    close(d.mean, 0.012);
    close(d.se, Math.sqrt(2.2e-4 / 5));
    // Validation: .02 .01 .01 0 .02 -> mean .012.
    close(row('skd').pooled.vsKd.val!.mean, 0.012);
    // Only bench A has the student alone: skd - none there, .03 and .04.
    assert.equal(row('skd').pooled.vsNone.test!.n, 2);
    close(row('skd').pooled.vsNone.test!.mean, 0.035);
  });

  it('keeps each bench\'s own differences, and the methods of every bench', () => {
    assert.deepEqual(row('skd').benches.map((x) => x.benchDir), ['/runs/a', '/runs/b']);
    close(row('skd').benches[1].vsKd.test!.mean, (-0.01 + 0.01 + 0.02) / 3);
    assert.deepEqual(pooled.rows.map((r) => r.method), ['none', 'kd', 'skd', 'at']);
    assert.equal(row('kd').pooled.vsKd.test, undefined, 'no difference of a method to itself');
    // at has one run and no paired kd seed beyond seed 1: n 1, no standard error.
    assert.equal(row('at').pooled.vsKd.test!.n, 1);
    assert.equal(row('at').pooled.vsKd.test!.se, null);
  });

  it('prints the benches, each bench\'s row and the pooled row', () => {
    const text = formatPooledTable(pooled);
    assert.match(text, /^bench 1: \/runs\/a {2}\(data of \/runs\/a; teacher resnet; student cnn\)$/m);
    assert.match(text, /^\| skd \| 2 \| 3 \| \+0\.67 ± 0\.88 \(t 0\.8\) \|/m);
    assert.match(text, /^\| \*\*skd\*\* \| \*\*pooled\*\* \| 5 \| \+1\.20 ± 0\.66 \(t 1\.8\) \|/m);
    // A method in one bench only has no pooled row.
    assert.ok(!/\*\*at\*\*/.test(text));
    assert.ok(!/\| ablation \|/.test(text), 'no ablation table without ablations');
  });

  it('sets each SKD ablation against full SKD, pooled', () => {
    const withAblation = report('/runs/c', [record('kd', 1, 0.8, 0.8), record('skd', 1, 0.82, 0.81), record('skd', 2, 0.83, 0.8), record('skd-no-tbt', 1, 0.81, 0.8), record('skd-no-tbt', 2, 0.8, 0.8)], ['kd', 'skd', 'skd-no-tbt']);
    const p = poolReports([a, withAblation]);
    const ablation = p.rows.find((r) => r.method === 'skd-no-tbt')!;
    // -.01 and -.03 against skd: mean -.02.
    close(ablation.vsReference!.test!.mean, -0.02);
    assert.equal(p.rows.find((r) => r.method === 'skd')!.vsReference, undefined);
    assert.match(formatPooledTable(p), /^\| skd-no-tbt \| 2 \| -2\.00 ± 1\.00 \(t -2\.0\) \| -0\.50 ± 0\.50 \(t -1\.0\) \|$/m);
  });

  it('with a reference, sets every other method against it', () => {
    const p = poolReports([a, b], { reference: 'kd' });
    const skd = p.rows.find((r) => r.method === 'skd')!;
    assert.deepEqual(skd.vsReference, skd.pooled.vsKd);
    assert.equal(p.rows.find((r) => r.method === 'kd')!.vsReference, undefined);
    close(p.rows.find((r) => r.method === 'none')!.vsReference!.test!.mean, -0.015);
    const text = formatPooledTable(p);
    assert.match(text, /^\| method \| n \| Δ test vs kd \| Δ val vs kd \|$/m);
    assert.match(text, /^\| skd \| 5 \| \+1\.20 ± 0\.66 \(t 1\.8\) \|/m);
  });
});
