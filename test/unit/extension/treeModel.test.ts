import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { RunInfo } from '../../../src/protocol/lsp';
import type { RunState } from '../../../src/protocol/runDir';
import { buildTree, childrenOf, runContextValue, runDescription, runNode } from '../../../src/extension/runs/treeModel';
import { formatAccuracy, formatProgress, shortTime } from '../../../src/extension/runs/format';
import { pickActiveRun, statusBarContent } from '../../../src/extension/runs/statusBarText';
import { RunStore } from '../../../src/extension/runs/runStore';
import { experimentFileFromArg, runDirFromArg, runDirsFromArgs } from '../../../src/extension/runs/commandArgs';

function run(name: string, stamp: string, state: RunState, extra: Partial<RunInfo> = {}, status: Partial<RunInfo['status']> = {}): RunInfo {
  return {
    id: `${name}-${stamp}`,
    dir: `/w/runs/${name}-${stamp}`,
    name,
    method: 'skd',
    status: { state, updated: '2026-01-01T00:00:00Z', started: `2026-01-01T${stamp}Z`, ...status },
    ...extra,
  };
}

const summary = (acc: number): RunInfo['summary'] => ({
  name: 'x',
  method: 'skd',
  seed: 1,
  backend: 'wasm',
  data: 'fashion-mnist-mini',
  teacher: { model: 'resnet', testAcc: 0.9, params: 100000 },
  student: { model: 'cnn', testAcc: acc, params: 5000 },
  seconds: 10,
  runDir: '/w/runs/x',
  finished: 'now',
});

test('tree: runs are grouped under their experiment files, newest first', () => {
  const experiments = [
    { file: '/w/b/kd.skd.json', name: 'kd' },
    { file: '/w/a.skd.json', name: 'skd' },
  ];
  const runs = [
    run('skd', '10:00:00', 'done', { experimentFile: '/w/a.skd.json', summary: summary(0.8512) }),
    run('skd', '11:00:00', 'running', { experimentFile: '/w/a.skd.json' }, { phase: 'student', progress: 0.426 }),
    run('kd', '09:00:00', 'stopped', {}, { progress: 0.5 }), // no experimentFile: matched by name
    run('orphan', '08:00:00', 'failed', {}, { error: 'out of memory' }),
  ];
  const roots = buildTree(experiments, runs, '/w');
  assert.deepEqual(
    roots.map((r) => r.label),
    ['a.skd.json', 'kd.skd.json', 'Other runs'],
  );
  const [a, kd, other] = roots;
  assert.ok(a && kd && other);
  assert.equal(a.kind, 'experiment');
  // Under their experiment file the name is said already: method and start time tell them apart.
  const at = (iso: string) => shortTime(new Date(iso));
  assert.deepEqual(a.runs.map((n) => n.label), [`SKD · ${at('2026-01-01T11:00:00Z')}`, `SKD · ${at('2026-01-01T10:00:00Z')}`]);
  assert.equal(other.runs[0]?.label, `orphan · SKD · ${at('2026-01-01T08:00:00Z')}`);
  assert.equal(a.description, '2 runs');
  assert.equal(kd.description, 'b · 1 run');
  assert.equal(kd.runs[0]?.run.name, 'kd');
  assert.equal(other.kind, 'otherRuns');
  assert.equal(other.runs[0]?.run.name, 'orphan');
  assert.deepEqual(childrenOf(undefined, roots), roots);
  assert.deepEqual(childrenOf(a, roots), a.runs);
  assert.deepEqual(childrenOf(a.runs[0], roots), []);
});

test('tree: labels, progress and final accuracy', () => {
  assert.equal(runDescription(run('s', '1', 'running', {}, { phase: 'teacher', progress: 0.426 })), 'running · teacher · 42%');
  assert.equal(runDescription(run('s', '1', 'done', { summary: summary(0.8512) })), 'done · student 85.1%');
  assert.equal(runDescription(run('s', '1', 'queued')), 'queued');
  assert.equal(runDescription(run('s', '1', 'stopped', {}, { progress: 0.3 })), 'stopped at 30% · resumable');
  assert.match(runDescription(run('s', '1', 'failed', {}, { error: 'boom' })), /^failed: boom · resumable$/);
  assert.equal(formatProgress(1.2), '100%');
  assert.equal(formatProgress(undefined), '0%');
  assert.equal(formatAccuracy(0.9125), '91.3%');
  assert.equal(formatAccuracy(undefined), '–');
});

test('tree: context values drive the menus (stop on active, resume on stopped/failed, export on done)', () => {
  assert.equal(runContextValue(run('s', '1', 'running')), 'skdRun.running');
  assert.equal(runContextValue(run('s', '1', 'stopped')), 'skdRun.stopped.resumable');
  assert.equal(runContextValue(run('s', '1', 'failed')), 'skdRun.failed.resumable');
  assert.equal(runContextValue(run('s', '1', 'done')), 'skdRun.done');
  assert.equal(runNode(run('s', '1', 'running')).icon.id, 'sync~spin');
  assert.equal(runNode(run('s', '1', 'done')).icon.id, 'pass');
});

test('tree: an empty workspace has no roots (the welcome view shows)', () => {
  assert.deepEqual(buildTree([], []), []);
});

test('status bar: active run with stage, epoch and percent', () => {
  const r = run('fmnist', '1', 'running', {}, { phase: 'student', progress: 0.61 });
  const c = statusBarContent(r, { phase: 'student', stage: 2, epoch: 5, network: 'student' }, 2);
  // Events count from 0; the status bar counts from 1, as the dashboard and the CLI do.
  assert.equal(c.text, '$(sync~spin) SKD: fmnist · student · stage 3 · epoch 6 · 61% (+1)');
  assert.match(statusBarContent(r, { phase: 'teacher', stage: 0, epoch: 0, network: 'teacher' }, 1).text, /stage 1 · epoch 1 ·/);
  const q = run('q', '2', 'queued');
  assert.equal(pickActiveRun([q, r]), r);
  assert.equal(statusBarContent(q, undefined, 1).text, '$(clock) SKD: q · queued');
});

test('run store: listing, status updates and live epoch', () => {
  const store = new RunStore();
  let changes = 0;
  store.onDidChange(() => changes++);
  const a = run('a', '1', 'running', { experimentFile: '/w/a.skd.json' });
  store.setAll([a]);
  store.update({ ...a, experimentFile: undefined, status: { ...a.status, state: 'stopped' } });
  assert.equal(store.get(a.dir)?.experimentFile, '/w/a.skd.json', 'keeps what the server left out');
  assert.equal(store.active().length, 0);
  store.addEvents(a.dir, [{ type: 'epoch', time: 't', network: 'teacher', epoch: 3, stage: 2, lr: 0.1, loss: 1, terms: {}, trainAcc: 0.5, valAcc: 0.5, seconds: 1, imagesPerSec: 100 }]);
  assert.deepEqual(store.liveOf(a.dir), { network: 'teacher', epoch: 3, stage: 2 });
  store.addEvents(a.dir, [{ type: 'log', time: 't', level: 'info', message: 'no change' }]);
  assert.equal(changes, 3);
});

test('run store: a student alone trained beside the teacher does not take over the live epoch until its phase', () => {
  const store = new RunStore();
  const a = run('a', '1', 'running');
  store.setAll([a]);
  const epoch = (network: 'teacher' | 'alone', n: number) => ({ type: 'epoch' as const, time: 't', network, epoch: n, stage: 0, lr: 0.1, loss: 1, terms: {}, trainAcc: 0.5, valAcc: 0.5, seconds: 1, imagesPerSec: 100 });
  store.addEvents(a.dir, [
    { type: 'phase', time: 't', phase: 'alone', detail: 'on a second thread, beside the teacher' },
    { type: 'phase', time: 't', phase: 'teacher' },
    epoch('teacher', 0),
    epoch('alone', 5),
    { type: 'stage', time: 't', network: 'alone', stage: 1, firstEpoch: 3, lastEpoch: 5, bestEpoch: 5, bestValAcc: 0.5 },
  ]);
  assert.deepEqual(store.liveOf(a.dir), { phase: 'teacher', network: 'teacher', epoch: 0, stage: 0 });
  // The teacher done, the run waits on the student alone: now its epochs are the news.
  store.addEvents(a.dir, [{ type: 'phase', time: 't', phase: 'alone' }, epoch('alone', 7)]);
  assert.deepEqual(store.liveOf(a.dir), { phase: 'alone', network: 'alone', epoch: 7, stage: 0 });
  // A `none` run's student beside its teacher, the same way.
  const b = run('b', '2', 'running');
  store.setAll([a, b]);
  store.addEvents(b.dir, [{ type: 'phase', time: 't', phase: 'student', detail: 'beside' }, { type: 'phase', time: 't', phase: 'teacher' }, epoch('teacher', 1), { ...epoch('teacher', 0), network: 'student' as const }]);
  assert.deepEqual(store.liveOf(b.dir), { phase: 'teacher', network: 'teacher', epoch: 1, stage: 0 });
});

test('command arguments: tree nodes, uris, paths and multi-selection', () => {
  const r = run('a', '1', 'done');
  const node = runNode(r);
  assert.equal(runDirFromArg(node), r.dir);
  assert.equal(runDirFromArg(r.dir), r.dir);
  assert.equal(runDirFromArg({ dir: '/x' }), '/x');
  assert.equal(runDirFromArg({ scheme: 'file', fsPath: '/y' }), '/y');
  assert.equal(runDirFromArg(undefined), undefined);
  assert.equal(runDirFromArg(''), undefined);
  assert.equal(experimentFileFromArg({ kind: 'experiment', file: '/w/a.skd.json' }), '/w/a.skd.json');
  assert.equal(experimentFileFromArg({ scheme: 'file', fsPath: '/w/b.skd.json' }), '/w/b.skd.json');
  const other = runNode(run('b', '2', 'done'));
  assert.deepEqual(runDirsFromArgs(node, [node, other]), [r.dir, other.run.dir]);
  assert.deepEqual(runDirsFromArgs([r.dir, '/z', r.dir], undefined), [r.dir, '/z']);
  assert.deepEqual(runDirsFromArgs(undefined, undefined), []);
});
