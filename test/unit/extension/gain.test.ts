/**
 * "student alone X%, with <method> Y% (+Z points)": the shared wording, and where the command
 * line, the Experiments tree and the dashboard show it.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { aloneAccuracyOf, formatGainPoints, gainLine, methodLabel } from '../../../src/protocol/gain';
import type { RunInfo } from '../../../src/protocol/lsp';
import type { MetricEvent, Summary } from '../../../src/protocol/runDir';
import { runDescription, runTooltip } from '../../../src/extension/runs/treeModel';
import { gainLines } from '../../../src/trainer/commands/run';
import { formatEvent } from '../../../src/trainer/commands/progress';
import { DashboardModel } from '../../../webview/dashboardModel';

const t = '2026-01-01T00:00:00Z';

test('gain line: one decimal, signed points from the rounded accuracies', () => {
  assert.equal(gainLine(0.812, 0.83, 'skd'), 'student alone 81.2%, with skd 83.0% (+1.8 points)');
  assert.equal(gainLine(0.8, 0.7949, 'kd'), 'student alone 80.0%, with kd 79.5% (-0.5 points)');
  assert.equal(gainLine(0.5, 0.5, 'kd'), 'student alone 50.0%, with kd 50.0% (±0.0 points)');
  // 81.24% -> 81.2, 83.05% -> 83.1 (half up): the shown gain is the difference of the shown numbers.
  assert.equal(formatGainPoints(0.8124, 0.8305), '+1.9');
  assert.equal(formatGainPoints(0.9, 0.9004), '±0.0');
  // Accuracies are fractions: a figure in percent is not one (no guessing of units).
  for (const bad of [undefined, null, NaN, Infinity, -0.1, '0.8', 1.5, 81.2, 150]) {
    assert.equal(gainLine(bad, 0.8, 'kd'), undefined, String(bad));
    assert.equal(gainLine(0.8, bad, 'kd'), undefined, String(bad));
  }
  assert.equal(methodLabel('skd'), 'SKD');
  assert.equal(methodLabel('fitnet'), 'FitNet');
  assert.equal(methodLabel('my-plugin'), 'my-plugin');
  assert.equal(aloneAccuracyOf({ studentAlone: { testAcc: 0.5 } }), 0.5);
  for (const bad of [undefined, {}, { studentAlone: null }, { studentAlone: 0.5 }, { studentAlone: { testAcc: 'x' } }]) assert.equal(aloneAccuracyOf(bad), undefined);
});

const summary = (over: Partial<Summary> = {}): Summary => ({
  name: 'fm',
  method: 'skd',
  seed: 1,
  backend: 'wasm',
  data: 'fashion-mnist-mini',
  teacher: { model: 'resnet', testAcc: 0.9, params: 100000 },
  student: { model: 'cnn', testAcc: 0.83, params: 5000 },
  seconds: 10,
  runDir: '/w/runs/fm-1',
  finished: t,
  ...over,
});

const doneRun = (s: Summary): RunInfo => ({ id: 'fm-1', dir: '/w/runs/fm-1', name: 'fm', method: 'skd', status: { state: 'done', updated: t }, summary: s });

test('tree: a done run shows its gain over the student alone; runs without one as before', () => {
  const withAlone = doneRun(summary({ studentAlone: { testAcc: 0.812, fromRun: '/w/runs/teacher-1' }, gain: 0.018 }));
  assert.equal(runDescription(withAlone), 'done · student 83.0% (+1.8 over alone)');
  const tip = runTooltip(withAlone).split('\n');
  assert.ok(tip.includes('student alone 81.2%, with SKD 83.0% (+1.8 points) (student alone from /w/runs/teacher-1)'), tip.join(' | '));
  const without = doneRun(summary());
  assert.equal(runDescription(without), 'done · student 83.0%');
  assert.ok(!runTooltip(without).includes('student alone'));
  // A hand-edited or foreign summary is shown without the gain, not as "NaN".
  const odd = doneRun(summary({ studentAlone: { testAcc: 'high' as unknown as number } }));
  assert.equal(runDescription(odd), 'done · student 83.0%');
});

test('command line: the gain line after the student, and where a reused student alone came from', () => {
  assert.deepEqual(gainLines(summary({ studentAlone: { testAcc: 0.812 }, gain: 0.018 })), ['  student alone 81.2%, with skd 83.0% (+1.8 points)']);
  assert.deepEqual(gainLines(summary({ studentAlone: { testAcc: 0.812, fromRun: '/runs/t' } })), [
    '  student alone 81.2%, with skd 83.0% (+1.8 points)',
    '  (student alone reused from /runs/t)',
  ]);
  assert.deepEqual(gainLines(summary()), []);
  const epochs = { teacher: 3, alone: 2, student: 2 };
  const line = formatEvent({ type: 'epoch', time: t, network: 'alone', epoch: 0, stage: 0, lr: 0.05, loss: 1, terms: { ce: 1 }, trainAcc: 0.5, valAcc: 0.5, seconds: 1, imagesPerSec: 100 }, epochs);
  assert.match(line ?? '', /^student alone epoch 1\/2 stage 1: loss 1\.0000/);
});

test('dashboard: student-alone epochs are their own series and timeline items; the summary gets the gain line', () => {
  const epoch = (network: 'teacher' | 'alone' | 'student', e: number, valAcc: number): MetricEvent => ({
    type: 'epoch', time: t, network, epoch: e, stage: 0, lr: 0.05, loss: 1, terms: { ce: 1 }, trainAcc: valAcc, valAcc, seconds: 1, imagesPerSec: 100,
  });
  const events: MetricEvent[] = [
    { type: 'run', time: t, name: 'fm', method: 'skd', backend: 'wasm', resumed: false, data: { name: 'x', train: 9, validation: 1, test: 2, shape: [28, 28, 1], classes: 10 } },
    { type: 'phase', time: t, phase: 'teacher' },
    epoch('teacher', 0, 0.6),
    { type: 'phase', time: t, phase: 'alone' },
    { type: 'batch', time: t, network: 'alone', epoch: 0, step: 1, loss: 1.5, terms: { ce: 1.5 } },
    epoch('alone', 0, 0.5),
    { type: 'stage', time: t, network: 'alone', stage: 0, firstEpoch: 0, lastEpoch: 0, bestEpoch: 0, bestValAcc: 0.5 },
    { type: 'phase', time: t, phase: 'student' },
    epoch('student', 0, 0.55),
    { type: 'final', time: t, teacherTestAcc: 0.7, studentTestAcc: 0.83, teacherParams: 10, studentParams: 5, seconds: 3, studentAloneTestAcc: 0.812, gain: 0.018 },
  ];
  const m = new DashboardModel();
  m.apply(events);
  assert.deepEqual(m.valAcc.student.map((p) => p.y), [0.55], 'the student curve holds only the distilled student');
  assert.deepEqual(m.valAcc.alone.map((p) => p.y), [0.5]);
  assert.deepEqual(m.valAcc.teacher.map((p) => p.y), [0.6]);
  assert.equal(m.batchLoss.alone.length, 1);
  assert.deepEqual(m.timeline().map((i) => i.kind), ['teacher', 'alone', 'alone', 'student']);
  assert.equal(m.timeline()[1]?.what, 'Student alone (baseline)');
  assert.equal(m.timeline()[2]?.what, 'Student alone stage 1');
  assert.equal(m.gainLine(), 'student alone 81.2%, with SKD 83.0% (+1.8 points)');

  // A run without a student alone, and an event from a file with a network this page does not know.
  const plain = new DashboardModel();
  plain.apply([events[0]!, { type: 'final', time: t, teacherTestAcc: 0.7, studentTestAcc: 0.8, teacherParams: 1, studentParams: 1, seconds: 1 }]);
  assert.equal(plain.gainLine(), undefined);
  const changed = plain.apply([{ ...(epoch('student', 0, 0.5) as object), network: 'mystery' } as unknown as MetricEvent]);
  assert.equal(changed.size, 0);
});
