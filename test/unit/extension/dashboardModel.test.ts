import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { MetricEvent } from '../../../src/protocol/runDir';
import { DashboardModel } from '../../../webview/dashboardModel';
import { planIncrement } from '../../../src/extension/dashboard/increments';
import { compareRunFromEvents } from '../../../src/extension/compare/compareModel';

const t = '2026-01-01T00:00:00Z';
// `e` counts from 1 here; events count epochs and stages from 0, as the engine writes them.
const epoch = (network: 'teacher' | 'student', e: number, valAcc: number): MetricEvent => ({
  type: 'epoch', time: t, network, epoch: e - 1, stage: 0, lr: 0.05, loss: 2 / e,
  terms: network === 'student' ? { ce: 1 / e, behaviour: 0.5 / e, experience: 0.2 / e } : { ce: 1 / e },
  trainAcc: valAcc + 0.05, valAcc, seconds: 1, imagesPerSec: 500,
});

const history: MetricEvent[] = [
  { type: 'run', time: t, name: 'fm', method: 'skd', backend: 'wasm', resumed: false, data: { name: 'fashion-mnist-mini', train: 900, validation: 100, test: 200, shape: [28, 28, 1], classes: 10 } },
  { type: 'phase', time: t, phase: 'teacher' },
  { type: 'batch', time: t, network: 'teacher', epoch: 1, step: 0.5, loss: 2.1, terms: { ce: 2.1 } },
  { type: 'batch', time: t, network: 'teacher', epoch: 1, step: 1, loss: 1.9, terms: { ce: 1.9 } },
  epoch('teacher', 1, 0.6),
  epoch('teacher', 2, 0.7),
  { type: 'stage', time: t, network: 'teacher', stage: 0, firstEpoch: 0, lastEpoch: 1, bestEpoch: 1, bestValAcc: 0.7 },
  { type: 'phase', time: t, phase: 'tbt' },
  { type: 'tbt', time: t, stage: 0, target: 1, layers: [{ layer: 'block1', nmse: 0.4, cosine: 0.8, baselineNmse: 1 }, { layer: 'block2', nmse: 0.5, cosine: 0.7, baselineNmse: 1 }] },
  { type: 'tet', time: t, stage: 0, accuracy: 0.62, ece: 0.05, entropy: 0.9, klToTeacher: 0.3, teacherAccuracy: 0.7, teacherEce: 0.04 },
  { type: 'phase', time: t, phase: 'student' },
  epoch('student', 1, 0.5),
  epoch('student', 2, 0.65),
  { type: 'stage', time: t, network: 'student', stage: 0, firstEpoch: 0, lastEpoch: 1, bestEpoch: 1, bestValAcc: 0.65 },
  { type: 'log', time: t, level: 'info', message: 'hello' },
  { type: 'final', time: t, teacherTestAcc: 0.71, studentTestAcc: 0.66, teacherParams: 120000, studentParams: 9000, seconds: 42 },
];

test('dashboard model: events become series, timeline and summary', () => {
  const m = new DashboardModel();
  const changed = m.apply(history);
  assert.equal(m.count, history.length);
  for (const s of ['loss', 'accuracy', 'terms', 'tbt', 'tet', 'timeline', 'summary', 'log']) assert.ok(changed.has(s as never), s);
  assert.equal(m.points('loss'), 2 + 2 + 2); // teacher batches, teacher epochs, student epochs
  assert.equal(m.points('accuracy'), 8);
  assert.equal(m.points('terms'), 2 + 6); // teacher ce, student ce/behaviour/experience
  assert.equal(m.points('tbt'), 4);
  assert.equal(m.points('tet'), 5);
  assert.deepEqual(m.timeline().map((i) => i.kind), ['teacher', 'teacher', 'meta', 'student', 'student']);
  assert.equal(m.timeline()[1]?.detail, 'epochs 1–2, best 2 (70.0% val)');
  assert.equal(m.timeline()[1]?.what, 'Teacher stage 1');
  assert.deepEqual(m.valAcc.teacher.map((p) => p.x), [1, 2], 'epoch n ends at x = n');
  assert.deepEqual([...m.tbt.values()][0]?.nmse.map((p) => p.x), [2], 'a prediction of stage 2 is drawn at stage 2');
  assert.equal(m.final?.studentTestAcc, 0.66);
  assert.equal(m.currentPhase(), 'student');
});

test('dashboard model: incremental events extend the series; a resumed epoch replaces its point', () => {
  const m = new DashboardModel();
  m.apply(history.slice(0, 6));
  assert.equal(m.points('accuracy'), 4);
  const changed = m.apply([epoch('teacher', 2, 0.72), { type: 'batch', time: t, network: 'teacher', epoch: 1, step: 0.75, loss: 2, terms: {} }]);
  assert.deepEqual([...changed].sort(), ['accuracy', 'loss', 'terms']);
  assert.deepEqual(m.valAcc.teacher.map((p) => p.y), [0.6, 0.72]);
  assert.deepEqual(m.batchLoss.teacher.map((p) => p.x), [0.5, 0.75], 'replayed batches replace the later ones');
});

test('dashboard model: unknown event types are counted, not drawn', () => {
  const m = new DashboardModel();
  const changed = m.apply([{ type: 'future', time: t } as unknown as MetricEvent]);
  assert.equal(m.count, 1);
  assert.equal(changed.size, 0);
});

test('increments: forward only what is new; stale and gaps are told apart', () => {
  assert.deepEqual(planIncrement(10, 10, 3), { kind: 'forward', skip: 0, next: 13 });
  assert.deepEqual(planIncrement(10, 8, 5), { kind: 'forward', skip: 2, next: 13 });
  assert.deepEqual(planIncrement(10, 5, 5), { kind: 'stale' });
  assert.deepEqual(planIncrement(10, 12, 2), { kind: 'gap' });
});

test('compare: a row and a student curve from a run', () => {
  const info = { id: 'x', dir: '/w/runs/fm-1', name: 'fm', method: 'skd', status: { state: 'done' as const, updated: t } };
  const row = compareRunFromEvents(info, info.dir, history);
  assert.equal(row.name, 'fm-1');
  assert.equal(row.method, 'skd');
  assert.equal(row.studentAcc, 0.66);
  assert.equal(row.teacherAcc, 0.71);
  assert.equal(row.studentParams, 9000);
  assert.equal(row.seconds, 42);
  assert.equal(row.backend, 'wasm');
  assert.deepEqual(row.curve, [{ epoch: 1, valAcc: 0.5 }, { epoch: 2, valAcc: 0.65 }]);
  const empty = compareRunFromEvents(undefined, '/w/runs/gone', []);
  assert.equal(empty.name, 'gone');
  assert.deepEqual(empty.curve, []);
});

test('dashboard model: a batch applies only where it continues the events held (no guessing at overlaps)', () => {
  const m = new DashboardModel();
  assert.ok(m.applyAt(0, history.slice(0, 3)));
  assert.equal(m.applyAt(2, history.slice(2, 5)), undefined, 'an overlap is refused, not trimmed');
  assert.equal(m.applyAt(4, history.slice(4, 5)), undefined, 'a gap is refused');
  assert.equal(m.count, 3);
  assert.ok(m.applyAt(3, history.slice(3)));
  assert.equal(m.count, history.length);
});

test('dashboard model: accuracies are drawn as written, TBT at the target stage its event names', () => {
  const m = new DashboardModel();
  m.apply([
    Object.assign(epoch('teacher', 1, 0.6), { trainAcc: 1 }),
    { type: 'tbt', time: t, stage: 1, target: 2, layers: [{ layer: 'block1', nmse: 0.4, cosine: 0.8, baselineNmse: 1 }] },
    { type: 'tbt', time: t, stage: 0, layers: [{ layer: 'block1', nmse: 0.4, cosine: 0.8, baselineNmse: 1 }] } as unknown as MetricEvent,
  ]);
  assert.deepEqual(m.trainAcc.teacher.map((p) => p.y), [1]);
  assert.deepEqual([...m.tbt.values()][0]?.nmse.map((p) => p.x), [3], 'target stage 2 (0-based) is stage 3; an event without a target is not drawn');
  assert.equal(m.count, 3);
});
