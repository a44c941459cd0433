/**
 * DashboardSync, the one place where a dashboard's events are de-duplicated: fed by hand here
 * (the real trainer feeds it in test/integration/dashboardResume.test.ts).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { MetricEvent } from '../../../src/protocol/runDir';
import type { DashboardEventsMessage, DashboardInitMessage } from '../../../src/protocol/webview';
import { DashboardSync } from '../../../src/extension/dashboard/dashboardSync';
import { DashboardModel } from '../../../webview/dashboardModel';

const ev = (i: number): MetricEvent => ({ type: 'log', time: 't', level: 'info', message: `m${i}` });
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => ev(a + i));

function harness(log: MetricEvent[]) {
  const model = new DashboardModel();
  const refused: number[] = [];
  const sync = new DashboardSync({
    read: async (from) => ({ events: log.slice(from), next: Math.max(from, log.length) }),
    post: async (m: DashboardInitMessage | DashboardEventsMessage) => {
      if (m.type === 'dashboard/init') model.apply(m.events);
      else if (!model.applyAt(m.from, m.events)) refused.push(m.from);
    },
    warn: () => undefined,
  });
  const run = () => ({ dir: '/r', name: 'r', method: 'skd' });
  return { model, refused, sync, run };
}

const settle = () => new Promise((r) => setImmediate(r));

test('dashboard sync: each event once, whether notifications repeat, overlap or skip ahead', async () => {
  const log = range(0, 3);
  const h = harness(log);
  await h.sync.start(h.run);
  assert.equal(h.model.count, 3);
  log.push(...range(3, 6));
  h.sync.onMetrics({ dir: '/r', from: 3, events: range(3, 6) });
  h.sync.onMetrics({ dir: '/r', from: 2, events: range(2, 6) }); // overlap: stale
  await settle();
  log.push(...range(6, 10));
  h.sync.onMetrics({ dir: '/r', from: 8, events: range(8, 10) }); // 6, 7 were missed: read from the log
  await settle();
  await settle();
  assert.deepEqual(h.refused, []);
  assert.equal(h.model.count, 10);
  assert.deepEqual(h.model.logs.map((l) => l.message), range(0, 10).map((e) => (e as { message: string }).message));
});

test('dashboard sync: news that arrives while the history is read is planned against it', async () => {
  const log = range(0, 4);
  const h = harness(log);
  const started = h.sync.start(h.run);
  h.sync.onMetrics({ dir: '/r', from: 2, events: range(2, 4) }); // already in the history being read
  log.push(ev(4));
  h.sync.onMetrics({ dir: '/r', from: 4, events: [ev(4)] });
  await started;
  await settle();
  assert.deepEqual(h.refused, []);
  assert.equal(h.model.count, 5);
});
