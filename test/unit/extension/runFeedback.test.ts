import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunInfo } from '../../../src/protocol/lsp';
import type { RunState } from '../../../src/protocol/runDir';
import { runLabel, runStarted, shortTime } from '../../../src/extension/runs/format';
import { isRunEnd, runEndNotice } from '../../../src/extension/runs/runEndText';

function run(state: RunState, extra: Partial<RunInfo> = {}): RunInfo {
  return {
    id: 'skd-default-20260101-140500',
    dir: '/w/runs/skd-default-20260101-140500',
    name: 'skd-default',
    method: 'skd',
    seed: 3,
    status: { state, updated: '2026-01-01T14:10:00', started: '2026-01-01T14:05:00' },
    ...extra,
  };
}

const summary = (extra: Partial<NonNullable<RunInfo['summary']>> = {}): RunInfo['summary'] => ({
  name: 'skd-default',
  method: 'skd',
  seed: 3,
  backend: 'wasm',
  data: 'fashion-mnist-mini',
  teacher: { model: 'resnet', testAcc: 0.859, params: 19810 },
  student: { model: 'cnn', testAcc: 0.83, params: 1702 },
  seconds: 184.2,
  runDir: '/w/runs/skd-default-20260101-140500',
  finished: 'now',
  ...extra,
});

test('run labels tell runs apart: name, method, seed, short start time', () => {
  const today = new Date(2026, 0, 1, 18, 0);
  assert.equal(runLabel(run('done'), { now: today }), 'skd-default · SKD · seed 3 · 14:05');
  assert.equal(runLabel(run('done', { method: 'kd', seed: 4 }), { now: today }), 'skd-default · KD · seed 4 · 14:05');
  assert.equal(runLabel(run('done'), { now: today, withName: false }), 'SKD · seed 3 · 14:05');
  assert.equal(runLabel(run('done'), { now: new Date(2026, 0, 3) }), 'skd-default · SKD · seed 3 · Jan 1 14:05');
  // No start time in the status: the folder's timestamp; no seed known: left out.
  const bare = run('done', { seed: undefined, status: { state: 'done', updated: 'x' } });
  assert.deepEqual(runStarted(bare), new Date(2026, 0, 1, 14, 5, 0));
  assert.equal(runLabel(bare, { now: today }), 'skd-default · SKD · 14:05');
  assert.equal(shortTime(new Date(2026, 10, 28, 9, 7), new Date(2026, 10, 30)), 'Nov 28 09:07');
});

test('a run end is news only for a run this window saw training', () => {
  assert.ok(isRunEnd('running', 'done'));
  assert.ok(isRunEnd('queued', 'failed'));
  assert.ok(!isRunEnd(undefined, 'done'), 'the first listing of an old run is no news');
  assert.ok(!isRunEnd('running', 'stopped'), 'the user stopped it themselves');
  assert.ok(!isRunEnd('done', 'done'));
});

test('the end notice: the gain over the student alone when the summary has it', () => {
  const withGain = runEndNotice(run('done', { summary: summary({ studentAlone: { testAcc: 0.812 }, gain: 0.018 }) }));
  assert.equal(withGain?.severity, 'info');
  assert.match(withGain?.text ?? '', /^SKD: skd-default · SKD · seed 3 · .+ finished in 3 min 4 s: student alone 81\.2%, with SKD 83\.0% \(\+1\.8 points\)\.$/);
  const plain = runEndNotice(run('done', { summary: summary() }));
  assert.match(plain?.text ?? '', /finished in 3 min 4 s: student 83\.0%, teacher 85\.9% test accuracy\.$/);
  const failed = runEndNotice(run('failed', { status: { state: 'failed', updated: 'x', error: 'out of memory' } }));
  assert.equal(failed?.severity, 'error');
  assert.match(failed?.text ?? '', /failed: out of memory\. It can be resumed/);
  assert.equal(runEndNotice(run('stopped')), undefined);
});
