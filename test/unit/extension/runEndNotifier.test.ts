/** When a run's end is told: once per run of this window, and not per run of a sweep or bench that this window runs (their job tells once). */
import './vscodeMock';
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunInfo } from '../../../src/protocol/lsp';
import type { RunState } from '../../../src/protocol/runDir';
import { RunEndNotifier } from '../../../src/extension/runs/runEndNotifier';
import { shownMessages } from './vscodeMock';

function run(dir: string, state: RunState): RunInfo {
  return { id: dir, dir, name: 'tiny', method: 'kd', status: { state, updated: '2026-01-01T14:10:00', started: '2026-01-01T14:05:00' } };
}

test('run end notices: a run that ends is told once; a run of a running bench is left to the bench', () => {
  shownMessages.length = 0;
  const actions = { openDashboard: () => undefined, exportStudent: () => undefined, resume: () => undefined };
  const notifier = new RunEndNotifier(actions, (dir) => dir.startsWith('/w/runs/bench-methods-1/'));
  for (const dir of ['/w/runs/tiny-1', '/w/runs/bench-methods-1/kd-s1']) {
    notifier.observe(run(dir, 'running'));
    notifier.observe(run(dir, 'done'));
    notifier.observe(run(dir, 'done'));
  }
  assert.equal(shownMessages.length, 1, JSON.stringify(shownMessages));
  assert.match(shownMessages[0]?.text ?? '', /tiny/);
});
