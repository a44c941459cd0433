/** The sweep table: mean ± std per group over seeds, paired differences against the baseline. */
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatPaired, formatSweepCsv, formatSweepText, groupStats, type SweepReport, type SweepRunRecord } from '../../../src/trainer/sweep/report';

const rec = (group: string, seed: number, testAcc: number, valAcc: number | null = null): SweepRunRecord => ({ name: `${group}-s${seed}`, group, seed, testAcc, valAcc, heldOutValAcc: null, seconds: 10 });

const groups = [
  { name: 'kd', set: { 'method.name': 'kd' } },
  { name: 'skd', set: { 'method.name': 'skd' } },
  { name: 'empty', set: { 'method.name': 'at' } },
];
const records = [rec('kd', 1, 0.8, 0.7), rec('kd', 2, 0.82, 0.72), rec('kd', 3, 0.81, 0.71), rec('skd', 1, 0.81, 0.7), rec('skd', 2, 0.84, 0.74), rec('skd', 3, 0.82, 0.73)];

describe('groupStats', () => {
  const rows = groupStats(groups, records, 'kd');

  it('mean and sample std over seeds', () => {
    assert.equal(rows[0].runs, 3);
    assert.ok(Math.abs(rows[0].test.mean - 0.81) < 1e-12);
    assert.ok(Math.abs(rows[0].test.std - 0.01) < 1e-12);
    assert.deepEqual(rows[0].seeds, [1, 2, 3]);
    assert.equal(rows[0].vsBaseline, undefined, 'no difference for the baseline itself');
  });

  it('paired differences against the baseline, over common seeds', () => {
    const d = rows[1].vsBaseline!.test!;
    // Differences 0.01, 0.02, 0.01: mean 0.01333, std 0.00577, se 0.00333, t 4.
    assert.deepEqual(d.seeds, [1, 2, 3]);
    assert.ok(Math.abs(d.mean - 0.04 / 3) < 1e-12);
    assert.ok(Math.abs(d.se! - 0.01 / 3) < 1e-9);
    assert.ok(Math.abs(d.t! - 4) < 1e-6);
    // Only seed 1 and 2 in common: n 2.
    const partial = groupStats(groups, records.filter((r) => !(r.group === 'skd' && r.seed === 3)), 'kd');
    assert.equal(partial[1].vsBaseline!.test!.n, 2);
  });

  it('a group without finished runs has no statistics, never guessed ones', () => {
    assert.equal(rows[2].runs, 0);
    assert.ok(Number.isNaN(rows[2].test.mean));
    assert.equal(rows[2].vsBaseline!.test, undefined);
  });
});

describe('formats', () => {
  const report: SweepReport = {
    sweep: 's',
    dir: '/x/s',
    baseline: 'kd',
    seeds: [1, 2, 3],
    teacherSharing: 'shared',
    teachers: [{ name: 'teacher', state: 'done', testAcc: 0.9, seconds: 12 }],
    groups: groupStats(groups, records, 'kd'),
    runs: records,
    missing: ['at-s1 (not started)'],
  };

  it('text: one line per group with mean ± std and the paired Δ', () => {
    const text = formatSweepText(report);
    const skd = text.split('\n').find((l) => l.startsWith('skd '))!;
    assert.match(skd, /82\.33 ± 1\.53/);
    assert.match(skd, /\+1\.33 ± 0\.33 \(t 4\.0, n 3\)/);
    assert.match(text, /teacher: done, 90\.00% test, 12 s/);
    assert.match(text, /unfinished \(1\): at-s1 \(not started\)/);
    assert.equal(formatPaired(undefined), '—');
    assert.equal(formatPaired({ seeds: [1], n: 1, mean: 0.005, std: 0, se: null, t: null }), '+0.50 (n 1)');
  });

  it('text: the held-out validation columns only when some run has the figure', () => {
    assert.doesNotMatch(formatSweepText(report), /held-out/);
    // Held-out validation: kd .70 .72 .71, skd .72 .73 .73: differences .02 .01 .02.
    const held = records.map((r, i) => ({ ...r, heldOutValAcc: [0.7, 0.72, 0.71, 0.72, 0.73, 0.73][i] }));
    const withIt = { ...report, groups: groupStats(groups, held, 'kd'), runs: held };
    const d = withIt.groups[1].vsBaseline!.heldOutVal!;
    assert.ok(Math.abs(d.mean - 0.05 / 3) < 1e-12);
    const text = formatSweepText(withIt);
    assert.match(text, /held-out val %/);
    assert.match(text.split('\n').find((l) => l.startsWith('skd '))!, /72\.67\s+\+1\.67 ± 0\.33 \(t 5\.0, n 3\)/);
    assert.match(text, /held-out val: each half of the validation images/);
  });

  it('CSV: a header and one row per group, in percent points', () => {
    const lines = formatSweepCsv(report).trim().split('\n');
    assert.equal(lines.length, 4);
    const header = lines[0].split(',');
    const skd = lines[2].match(/("[^"]*(?:""[^"]*)*"|[^,]*)(,|$)/g)!.map((c) => c.replace(/,$/, ''));
    const col = (name: string) => skd[header.indexOf(name)];
    assert.equal(col('group'), 'skd');
    assert.equal(col('settings'), '"{""method.name"":""skd""}"');
    assert.equal(col('runs'), '3');
    assert.equal(col('test_mean_pct'), '82.3333');
    assert.equal(col('diff_test_mean_pts'), '1.3333');
    assert.equal(col('diff_test_t'), '4');
    assert.equal(col('diff_test_n'), '3');
  });

  it('JSON round-trips (NaN becomes null)', () => {
    const back = JSON.parse(JSON.stringify(report)) as SweepReport;
    assert.equal(back.groups[2].test.mean, null);
    assert.equal(back.groups[1].vsBaseline!.test!.n, 3);
  });
});
