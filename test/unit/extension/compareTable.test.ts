import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { CompareRun, CompareSweep } from '../../../src/protocol/webview';
import type { MetricEvent } from '../../../src/protocol/runDir';
import { compareRunFromEvents, hyperFromExperiment } from '../../../src/extension/compare/compareModel';
import {
  compareValues,
  formatCell,
  formatDelta,
  formatMeanStd,
  groupableColumns,
  groupKeyOf,
  groupAccuracySeries,
  groupRows,
  meanStd,
  metricOptions,
  metricSeries,
  nextSort,
  parseViewState,
  smooth,
  sortOrder,
  visibleColumns,
  DEFAULT_VIEW,
} from '../../../webview/compareTableModel';
import { filterHelp, filterNumber, filterRuns, parseFilter, tokenize } from '../../../webview/compareFilter';
import { meanStd as sharedMeanStd } from '../../../src/protocol/stats';
import { meanStd as benchMeanStd } from '../../../src/trainer/bench/pairedStats';

const run = (name: string, method: string, studentAcc: number | undefined, extra: Partial<CompareRun> = {}): CompareRun => ({
  name,
  method,
  state: 'done',
  studentAcc,
  curve: [],
  ...extra,
});

const runs: CompareRun[] = [
  run('kd-s1', 'kd', 0.8, { group: 'kd', seconds: 10 }),
  run('skd-s1', 'skd', 0.84, { group: 'skd', seconds: 30 }),
  run('kd-s2', 'kd', 0.82, { group: 'kd', seconds: 12 }),
  run('none-s1', 'none', undefined, { group: 'none', state: 'running' }),
  run('skd-s2', 'skd', 0.86, { group: 'skd', seconds: 34 }),
];

test('compare table: sorting by a metric, by text, missing values last either way, stable ties', () => {
  assert.deepEqual(sortOrder(runs, 'studentAcc', 'desc').map((i) => runs[i]?.name), ['skd-s2', 'skd-s1', 'kd-s2', 'kd-s1', 'none-s1']);
  assert.deepEqual(sortOrder(runs, 'studentAcc', 'asc').map((i) => runs[i]?.name), ['kd-s1', 'kd-s2', 'skd-s1', 'skd-s2', 'none-s1']);
  // Numbers inside names sort as numbers (s2 before s10).
  assert.deepEqual(sortOrder([run('a-s10', 'kd', 1), run('a-s2', 'kd', 1)], 'name', 'asc'), [1, 0]);
  // Equal values keep the host's order.
  assert.deepEqual(sortOrder(runs, 'method', 'asc').map((i) => runs[i]?.name), ['kd-s1', 'kd-s2', 'none-s1', 'skd-s1', 'skd-s2']);
  assert.equal(compareValues(undefined, 1, 'asc'), 1);
  assert.equal(compareValues(undefined, 1, 'desc'), 1);
  assert.equal(compareValues(NaN, 1, 'desc'), 1);
  // An unknown column leaves the order alone.
  assert.deepEqual(sortOrder(runs, 'nope', 'asc'), [0, 1, 2, 3, 4]);
});

test('compare table: a header click flips the direction; a new column starts where it makes sense', () => {
  assert.deepEqual(nextSort({ sortKey: 'studentAcc', sortDir: 'desc' }, 'studentAcc'), { sortKey: 'studentAcc', sortDir: 'asc' });
  assert.deepEqual(nextSort({ sortKey: 'studentAcc', sortDir: 'asc' }, 'name'), { sortKey: 'name', sortDir: 'asc' });
  assert.deepEqual(nextSort({ sortKey: 'name', sortDir: 'asc' }, 'seconds'), { sortKey: 'seconds', sortDir: 'desc' });
});

test('compare table: groups by method with mean ± sample std, ordered by the sorted metric', () => {
  const groups = groupRows(runs, { groupBy: 'method', sortKey: 'studentAcc', sortDir: 'desc' });
  assert.deepEqual(groups.map((g) => g.key), ['skd', 'kd', 'none']);
  const skd = groups[0];
  assert.ok(skd);
  assert.deepEqual(skd.rows.map((i) => runs[i]?.name), ['skd-s2', 'skd-s1']);
  assert.ok(Math.abs((skd.stats.studentAcc?.mean ?? 0) - 0.85) < 1e-12);
  // Sample std (n - 1) of 0.84 and 0.86: 0.01 * sqrt(2).
  assert.ok(Math.abs((skd.stats.studentAcc?.std ?? 0) - 0.01 * Math.SQRT2) < 1e-12);
  assert.equal(skd.stats.seconds?.mean, 32);
  assert.equal(groups[2]?.stats.studentAcc?.n, 0);
  assert.equal(formatMeanStd('pct', skd.stats.studentAcc), '85.0 ± 1.4%');
  assert.equal(formatMeanStd('pct', groups[2]?.stats.studentAcc), '–');
  assert.equal(formatMeanStd('pct', meanStd([0.5])), '50.0%');
  // The group chart: a mean and a ± std bar per group in the table's order; a group with no finished run is left out.
  const series = groupAccuracySeries(groups);
  assert.deepEqual(series.labels, ['skd', 'kd']);
  assert.deepEqual(series.means.map((p) => p.x), [0, 1]);
  assert.ok(Math.abs((series.means[0]?.y ?? 0) - 0.85) < 1e-12);
  const bar = series.bars[0] ?? [];
  assert.ok(Math.abs((bar[0]?.y ?? 0) - (0.85 - 0.01 * Math.SQRT2)) < 1e-12 && Math.abs((bar[1]?.y ?? 0) - (0.85 + 0.01 * Math.SQRT2)) < 1e-12);
  assert.deepEqual([bar[0]?.x, bar[1]?.x], [0, 0]);
  // Ascending puts the weakest group first; a text sort orders groups by name.
  assert.deepEqual(groupRows(runs, { groupBy: 'method', sortKey: 'studentAcc', sortDir: 'asc' }).map((g) => g.key), ['kd', 'skd', 'none']);
  assert.deepEqual(groupRows(runs, { groupBy: 'method', sortKey: 'method', sortDir: 'desc' }).map((g) => g.key), ['skd', 'none', 'kd']);
  // No grouping: one group of every row.
  const flat = groupRows(runs, { groupBy: 'none', sortKey: 'studentAcc', sortDir: 'desc' });
  assert.equal(flat.length, 1);
  assert.equal(flat[0]?.rows.length, 5);
});

test('compare table: grouped by sweep group, the report gives the paired Δ and names the baseline', () => {
  const sweep: CompareSweep = {
    source: 'sweep',
    name: 'methods',
    baseline: 'kd',
    groups: [
      { group: 'kd', runs: 2, testMean: 0.81, testStd: 0.014 },
      { group: 'skd', runs: 2, testMean: 0.85, testStd: 0.014, delta: { mean: 0.04, se: 0, n: 2 }, heldOutDelta: { mean: 0.01, se: 0.005, n: 2 } },
    ],
  };
  const groups = groupRows(runs, { groupBy: 'group', sortKey: 'studentAcc', sortDir: 'desc' }, sweep);
  const skd = groups.find((g) => g.key === 'skd');
  assert.deepEqual(skd?.delta, { mean: 0.04, se: 0, n: 2 });
  assert.deepEqual(skd?.heldOutDelta, { mean: 0.01, se: 0.005, n: 2 });
  assert.equal(groups.find((g) => g.key === 'kd')?.baseline, true);
  assert.equal(formatDelta({ mean: 0.0062, se: 0.0021, n: 3 }), 'Δ +0.62 ± 0.21 (n 3)');
  assert.equal(formatDelta({ mean: -0.01, se: null, n: 1 }), 'Δ −1.00 (n 1)');
  // Grouping by method never attaches the sweep's statistics.
  assert.equal(groupRows(runs, { groupBy: 'method', sortKey: 'name', sortDir: 'asc' }, sweep).some((g) => g.delta), false);
});

test('compare table: columns shown are those some run has; cells format by kind', () => {
  const keys = visibleColumns([run('a', 'kd', 0.5)]).map((c) => c.key);
  assert.deepEqual(keys, ['name', 'method', 'state', 'studentAcc']);
  const withHyper = visibleColumns([run('a', 'kd', 0.5, { hyper: { temperature: 4, seed: 2 }, gain: 0.01, group: 'kd' })]).map((c) => c.key);
  assert.ok(['group', 'temperature', 'seed', 'gain'].every((k) => withHyper.includes(k)));
  assert.equal(formatCell('pct', 0.8512), '85.1%');
  assert.equal(formatCell('points', -0.012), '−1.2');
  assert.equal(formatCell('time', 75), '1 min 15 s');
  assert.equal(formatCell('num', 0.05), '0.05');
  assert.equal(formatCell('num', undefined), '–');
});

test('compare chart: metric choices, series and smoothing', () => {
  const r = run('a', 'kd', 0.5, {
    curve: [{ epoch: 1, valAcc: 0.5 }],
    perEpoch: [
      { epoch: 1, values: { valAcc: 50, loss: 2, 'term.kd': 1 } },
      { epoch: 2, values: { valAcc: 60, loss: 1, 'term.kd': 0.5, lr: 0.1 } },
    ],
  });
  assert.deepEqual(metricOptions([r]).map((m) => m.key), ['valAcc', 'loss', 'lr', 'term.kd']);
  assert.equal(metricOptions([r]).at(-1)?.label, 'Loss term: kd');
  // Accuracies written in percent are drawn as fractions.
  assert.deepEqual(metricSeries(r, 'valAcc'), [{ x: 1, y: 0.5 }, { x: 2, y: 0.6 }]);
  assert.deepEqual(metricSeries(r, 'lr'), [{ x: 2, y: 0.1 }]);
  // A run from before per-epoch metrics still has its validation curve.
  assert.deepEqual(metricSeries(run('b', 'kd', 0.5, { curve: [{ epoch: 1, valAcc: 0.4 }] }), 'valAcc'), [{ x: 1, y: 0.4 }]);
  assert.deepEqual(metricOptions([run('b', 'kd', 0.5)]).map((m) => m.key), ['valAcc']);
  assert.deepEqual(smooth([1, 2, 3], 0), [1, 2, 3]);
  const s = smooth([1, 1, 1, 5], 0.5);
  assert.equal(s[0], 1); // debiased: a constant start stays put
  assert.ok(Math.abs((s[2] ?? 0) - 1) < 1e-12);
  assert.ok((s[3] ?? 0) > 1 && (s[3] ?? 0) < 5);
});

test('compare view state: a saved state comes back; bad fields fall back one by one', () => {
  const saved = { sortKey: 'seconds', sortDir: 'asc', groupBy: 'method', metric: 'term.kd', logScale: true, smoothing: 0.6, filter: 'skd seed:1' };
  assert.deepEqual(parseViewState(JSON.parse(JSON.stringify(saved))), saved);
  assert.deepEqual(parseViewState(undefined), DEFAULT_VIEW);
  assert.deepEqual(parseViewState({ ...saved, sortKey: 'x', smoothing: 3, metric: '<script>' }), { ...saved, sortKey: DEFAULT_VIEW.sortKey, smoothing: 0, metric: 'valAcc' });
  // Any groupable column and the per-stage metrics come back; a metric column, a run name's
  // column, an inherited property name or an over-long filter do not.
  assert.equal(parseViewState({ ...saved, groupBy: 'seed' }).groupBy, 'seed');
  assert.equal(parseViewState({ ...saved, groupBy: 'lr' }).groupBy, 'lr');
  assert.equal(parseViewState({ ...saved, groupBy: 'studentAcc' }).groupBy, 'none');
  assert.equal(parseViewState({ ...saved, groupBy: 'name' }).groupBy, 'none');
  assert.equal(parseViewState({ ...saved, metric: 'tet.accuracy' }).metric, 'tet.accuracy');
  assert.equal(parseViewState({ ...saved, metric: 'tbt.toString' }).metric, 'valAcc');
  assert.equal(parseViewState({ ...saved, metric: 'toString' }).metric, 'valAcc');
  assert.equal(parseViewState({ ...saved, filter: 'x'.repeat(501) }).filter, '');
  assert.equal(parseViewState({ ...saved, filter: 3 }).filter, '');
  // A state saved before the filter existed still restores, with no filter.
  const { filter: _f, ...older } = saved;
  assert.deepEqual(parseViewState(older), { ...saved, filter: '' });
});

// ---------------------------------------------------------------- filter, grouping by any column, per-stage series

const hyperRuns: CompareRun[] = [
  run('kd-s1', 'kd', 0.8, { hyper: { seed: 1, temperature: 4, lr: 0.05, student: 'cnn w6' }, seconds: 90, gain: 0.004 }),
  run('skd-s1', 'skd', 0.84, { hyper: { seed: 1, temperature: 4, lr: 0.1, student: 'cnn w6' }, seconds: 300, gain: 0.012 }),
  run('kd-s2', 'kd', 0.82, { hyper: { seed: 2, temperature: 2, lr: 0.05, student: 'cnn w8' }, seconds: 100, gain: 0.006 }),
  run('skd-no-tbt-s2', 'skd-no-tbt', 0.83, { hyper: { seed: 2, temperature: 4, lr: 0.1, student: 'cnn w8' }, seconds: 280 }),
  run('skd-s10', 'skd', 0.86, { hyper: { seed: 10, temperature: 4, lr: 0.1, student: 'resnet-8 w8' }, state: 'running' }),
];
const names = (rows: number[]): (string | undefined)[] => rows.map((i) => hyperRuns[i]?.name);
const pass = (text: string): (string | undefined)[] => {
  const { rows, errors } = filterRuns(hyperRuns, text);
  assert.deepEqual(errors, [], `no errors for ${text}`);
  return names(rows);
};

test('compare filter: tokens, quotes, terms by column, and one error line per term left out', () => {
  assert.deepEqual(tokenize('  method:skd   student:"cnn w6" -kd '), ['method:skd', 'student:cnn w6', '-kd']);
  const f = parseFilter('skd Method:skd seed>=2 student>80 -status:running nope:1 seed>x T:');
  assert.deepEqual(
    f.terms.map((t) => (t.kind === 'text' ? ['text', t.text, t.negate] : [t.column, t.op, t.number ?? t.value, t.negate])),
    [
      ['text', 'skd', false],
      ['method', ':', 'skd', false],
      ['seed', '>=', 2, false],
      // `student` with a comparison is the student's accuracy (the model column is text), in percent.
      ['studentAcc', '>', 0.8, false],
      ['state', ':', 'running', true],
    ],
  );
  assert.deepEqual(f.errors, ['"nope:1": no column "nope"', '"seed>x": seed takes a number, not "x"', '"T:": no value after :']);
  // Numbers in each column's unit: accuracies as a fraction or percent, gain in points, params and time with units.
  assert.equal(filterNumber('pct', '0.8'), 0.8);
  assert.equal(filterNumber('pct', '80'), 0.8);
  assert.equal(filterNumber('pct', '0.5%'), 0.005);
  assert.equal(filterNumber('points', '1'), 0.01);
  assert.equal(filterNumber('params', '1.5M'), 1.5e6);
  assert.equal(filterNumber('params', '20k'), 20000);
  assert.equal(filterNumber('time', '2min'), 120);
  assert.equal(filterNumber('int', '3x'), undefined);
  assert.equal(filterNumber('pct', '3k'), undefined);
  // The tooltip names the columns and how to compare.
  const help = filterHelp(visibleColumns(hyperRuns));
  assert.match(help, /seed/);
  assert.match(help, /temperature \(T, temp\)/);
  assert.match(help, /studentAcc \(student, acc\)/);
});

test('compare filter: text anywhere, exact and glob text columns, numeric comparisons, negation, all terms at once', () => {
  assert.deepEqual(pass(''), ['kd-s1', 'skd-s1', 'kd-s2', 'skd-no-tbt-s2', 'skd-s10']);
  // Plain text matches any cell: names, methods, models, formatted numbers.
  assert.deepEqual(pass('no-tbt'), ['skd-no-tbt-s2']);
  assert.deepEqual(pass('RESNET'), ['skd-s10']);
  assert.deepEqual(pass('86.0%'), ['skd-s10']);
  // column:value is exact for text (skd is not skd-no-tbt), `*` globs.
  assert.deepEqual(pass('method:skd'), ['skd-s1', 'skd-s10']);
  assert.deepEqual(pass('method:skd*'), ['skd-s1', 'skd-no-tbt-s2', 'skd-s10']);
  assert.deepEqual(pass('student:"cnn w8"'), ['kd-s2', 'skd-no-tbt-s2']);
  assert.deepEqual(pass('status:running'), ['skd-s10']);
  // Numbers are numbers: seed:1 is not seed 10; T is the temperature; lr compares as a float.
  assert.deepEqual(pass('method:skd seed:1'), ['skd-s1']);
  assert.deepEqual(pass('T:2'), ['kd-s2']);
  assert.deepEqual(pass('lr=0.1 seed!=10'), ['skd-s1', 'skd-no-tbt-s2']);
  assert.deepEqual(pass('seed>1'), ['kd-s2', 'skd-no-tbt-s2', 'skd-s10']);
  // Accuracy thresholds the same as a fraction or in percent; a boundary value is included by >= only.
  assert.deepEqual(pass('student>0.83'), ['skd-s1', 'skd-s10']);
  assert.deepEqual(pass('student>83'), ['skd-s1', 'skd-s10']);
  assert.deepEqual(pass('student>=83'), ['skd-s1', 'skd-no-tbt-s2', 'skd-s10']);
  assert.deepEqual(pass('acc<0.82'), ['kd-s1']);
  // Gain in points, time with units; a run without the value never passes a comparison.
  assert.deepEqual(pass('gain>0.5'), ['skd-s1', 'kd-s2']);
  assert.deepEqual(pass('time>=2min'), ['skd-s1', 'skd-no-tbt-s2']);
  // A leading - keeps what a term does not match.
  assert.deepEqual(pass('-method:kd -running'), ['skd-s1', 'skd-no-tbt-s2']);
  // A term in error is left out (the rest still filters) and reported.
  const bad = filterRuns(hyperRuns, 'method:kd bogus>1');
  assert.deepEqual(names(bad.rows), ['kd-s1', 'kd-s2']);
  assert.equal(bad.errors.length, 1);
  // Nothing matches: no rows (not every row).
  assert.deepEqual(pass('method:dkd'), []);
});

test('compare table: grouping by any settings column, numbers ordered as numbers, stats over the filtered rows', () => {
  const offered = groupableColumns(hyperRuns).map((c) => c.key);
  assert.deepEqual(offered, ['method', 'state', 'temperature', 'student', 'lr', 'seed']);
  // The sweep group is offered only when runs have one; metrics and names never.
  assert.ok(groupableColumns(runs).some((c) => c.key === 'group'));
  assert.ok(!groupableColumns(hyperRuns).some((c) => c.key === 'studentAcc' || c.key === 'name'));
  // By seed: groups 1, 2, 10 in numeric order (not 1, 10, 2), each with mean ± sample std.
  const bySeed = groupRows(hyperRuns, { groupBy: 'seed', sortKey: 'name', sortDir: 'asc' });
  assert.deepEqual(bySeed.map((g) => g.key), ['1', '2', '10']);
  assert.deepEqual(bySeed.map((g) => names(g.rows)), [['kd-s1', 'skd-s1'], ['kd-s2', 'skd-no-tbt-s2'], ['skd-s10']]);
  assert.ok(Math.abs((bySeed[0]?.stats.studentAcc?.mean ?? 0) - 0.82) < 1e-12);
  assert.ok(Math.abs((bySeed[0]?.stats.studentAcc?.std ?? 0) - 0.02 * Math.SQRT2) < 1e-12);
  assert.equal(formatMeanStd('pct', bySeed[1]?.stats.studentAcc), '82.5 ± 0.7%');
  // Sorting by the grouped column itself turns the group order around.
  assert.deepEqual(groupRows(hyperRuns, { groupBy: 'seed', sortKey: 'seed', sortDir: 'desc' }).map((g) => g.key), ['10', '2', '1']);
  // Sorting by a metric orders groups by their mean.
  assert.deepEqual(groupRows(hyperRuns, { groupBy: 'lr', sortKey: 'studentAcc', sortDir: 'desc' }).map((g) => g.key), ['0.1', '0.05']);
  // Only the rows the filter passes are grouped and counted.
  const filtered = groupRows(hyperRuns, { groupBy: 'temperature', sortKey: 'name', sortDir: 'asc' }, undefined, filterRuns(hyperRuns, 'method:kd').rows);
  assert.deepEqual(filtered.map((g) => [g.key, g.rows.length]), [['2', 1], ['4', 1]]);
  // A run without the value has its own group, last.
  const partial = [...hyperRuns, run('old', 'kd', 0.7)];
  const groups = groupRows(partial, { groupBy: 'seed', sortKey: 'name', sortDir: 'asc' });
  assert.equal(groups.at(-1)?.key, '(no seed)');
  assert.equal(groupKeyOf(run('x', '', 0.5), 'method'), '(no method)');
  assert.equal(groupKeyOf(run('x', 'kd', 0.5), 'group'), '(not in a sweep group)');
  // An unknown or non-groupable key groups nothing.
  assert.equal(groupRows(hyperRuns, { groupBy: 'studentAcc', sortKey: 'name', sortDir: 'asc' }).length, 1);
});

test('mean ± std: one definition for the table, the bench and the sweep report', () => {
  assert.equal(meanStd, sharedMeanStd);
  assert.equal(benchMeanStd, sharedMeanStd);
  // Runs without the value are left out, not counted as 0.
  assert.deepEqual(sharedMeanStd([0.5, NaN, 0.7]).n, 2);
  assert.ok(Math.abs(sharedMeanStd([0.5, NaN, 0.7]).mean - 0.6) < 1e-12);
});

test('compare chart: TBT and TET per stage from the run events, x = stage from 1', () => {
  const t = '2026-01-01T00:00:00Z';
  const events: MetricEvent[] = [
    { type: 'tbt', time: t, stage: 0, target: 1, layers: [{ layer: 'a', nmse: 0.4, cosine: 0.8, baselineNmse: 1 }, { layer: 'b', nmse: 0.2, cosine: 0.9, baselineNmse: 0.8 }] },
    { type: 'tbt', time: t, stage: 1, target: 2, layers: [{ layer: 'a', nmse: 0.5, cosine: 0.7, baselineNmse: 1 }] },
    // An event from before TBT named its target: counted, not drawn.
    { type: 'tbt', time: t, stage: 2, layers: [{ layer: 'a', nmse: 9, cosine: 0, baselineNmse: 1 }] } as unknown as MetricEvent,
    { type: 'tet', time: t, stage: 0, accuracy: 0.7, ece: 0.05, entropy: 1, klToTeacher: 0.1, teacherAccuracy: 0.72, teacherEce: 0.06, nll: 0.9, identity: false, addsToFinal: true, check: 'ahead', heldOutAccuracy: 0.78, aloneAccuracy: 0.75 },
    { type: 'tet', time: t, stage: 1, accuracy: 0.8, ece: 0.04, entropy: 1, klToTeacher: 0.1, teacherAccuracy: 0.81, teacherEce: 0.05, nll: 0.7, identity: true, addsToFinal: false, check: 'ahead', heldOutAccuracy: 0.7, aloneAccuracy: 0.75 },
  ];
  const row = compareRunFromEvents(undefined, '/w/runs/skd-s1', events);
  assert.deepEqual(row.perStage?.map((p) => p.stage), [1, 2, 3]);
  assert.ok(Math.abs((row.perStage?.[1]?.values['tbt.nmse'] ?? 0) - 0.3) < 1e-12); // mean over layers, at the target stage
  assert.deepEqual(metricSeries(row, 'tet.accuracy'), [{ x: 1, y: 0.7 }, { x: 2, y: 0.8 }]);
  assert.deepEqual(metricSeries(row, 'tet.addsToFinal'), [{ x: 1, y: 1 }, { x: 2, y: 0 }]);
  assert.deepEqual(metricSeries(row, 'tet.mixture'), [{ x: 1, y: 1 }, { x: 2, y: 0 }]);
  assert.deepEqual(metricSeries(row, 'tet.aloneAccuracy'), [{ x: 1, y: 0.75 }, { x: 2, y: 0.75 }]);
  assert.deepEqual(metricSeries(row, 'tet.nll'), [{ x: 1, y: 0.9 }, { x: 2, y: 0.7 }]);
  assert.deepEqual(metricSeries(row, 'tbt.nmse').map((p) => p.x), [2, 3]);
  assert.ok(!metricSeries(row, 'tbt.nmse').some((p) => p.y === 9));
  // The select offers them after the per-epoch metrics, only when some run has them.
  const keys = metricOptions([row]).map((m) => m.key);
  assert.deepEqual(keys, ['valAcc', 'tbt.nmse', 'tbt.baselineNmse', 'tbt.cosine', 'tet.accuracy', 'tet.nll', 'tet.ece', 'tet.addsToFinal', 'tet.aloneAccuracy', 'tet.mixture']);
  assert.match(metricOptions([row]).find((m) => m.key === 'tet.addsToFinal')?.label ?? '', /stage check/);
  assert.deepEqual(metricOptions([run('plain', 'kd', 0.5)]).map((m) => m.key), ['valAcc']);
  // A run without TBT/TET has no per-stage rows at all.
  assert.equal('perStage' in compareRunFromEvents(undefined, '/w/runs/kd', []), false);
});

test('compare rows: settings from the experiment copy, best validation, alone and gain, every per-epoch metric', () => {
  const exp = {
    seed: 3,
    teacher: { model: 'resnet', depth: 8, width: 8, epochs: 12 },
    student: { model: 'cnn', width: 6, epochs: 12 },
    method: { name: 'skd', stages: 4, temperature: 4 },
    training: { lr: 0.05 },
  };
  assert.deepEqual(hyperFromExperiment(exp), { temperature: 4, stages: 4, student: 'cnn w6', teacher: 'resnet-8 w8', epochs: 12, lr: 0.05, seed: 3 });
  assert.deepEqual(hyperFromExperiment({ teacher: { run: '/w/runs/t-1' } }), { teacher: 'from t-1' });
  assert.deepEqual(hyperFromExperiment('nonsense'), {});
  const t = '2026-01-01T00:00:00Z';
  const events: MetricEvent[] = [
    { type: 'epoch', time: t, network: 'student', epoch: 0, stage: 0, lr: 0.05, loss: 1.2, terms: { ce: 1, kd: 0.2 }, trainAcc: 0.5, valAcc: 0.62, seconds: 1, imagesPerSec: 800 },
    { type: 'epoch', time: t, network: 'alone', epoch: 0, stage: 0, lr: 0.05, loss: 1.3, terms: { ce: 1.3 }, trainAcc: 0.5, valAcc: 0.9, seconds: 1, imagesPerSec: 800 },
    { type: 'epoch', time: t, network: 'student', epoch: 1, stage: 0, lr: 0.01, loss: 0.9, terms: { ce: 0.8, kd: 0.1 }, trainAcc: 0.6, valAcc: 0.6, seconds: 1, imagesPerSec: 800 },
    { type: 'final', time: t, teacherTestAcc: 0.9, studentTestAcc: 0.66, teacherParams: 1, studentParams: 2, seconds: 9, studentAloneTestAcc: 0.64 },
  ];
  const row = compareRunFromEvents(undefined, '/w/runs/skd-s3', events, exp);
  assert.equal(row.method, 'skd');
  assert.equal(row.bestValAcc, 0.62);
  assert.equal(row.aloneAcc, 0.64);
  assert.ok(Math.abs((row.gain ?? 0) - 0.02) < 1e-12);
  assert.deepEqual(row.perEpoch?.[1], { epoch: 2, values: { valAcc: 0.6, trainAcc: 0.6, loss: 0.9, lr: 0.01, imagesPerSec: 800, 'term.ce': 0.8, 'term.kd': 0.1 } });
  assert.equal(row.hyper?.student, 'cnn w6');
  // Without a student alone there is no gain to show.
  const plain = compareRunFromEvents(undefined, '/w/runs/x', events.slice(0, 1));
  assert.equal('gain' in plain, false);
});
