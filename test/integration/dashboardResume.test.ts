/**
 * A dashboard's sync through a crash and a resume, at the level between the engine's kill tests
 * and the end-to-end tests: the language server's run manager (its metrics tail and
 * `skd/readMetrics`), the dashboard panel's sync logic (DashboardSync) and the webview's model
 * (DashboardModel, with the page's rule: a batch that does not continue what it holds is
 * refused and the history read again). The real `skd` command line trains a tiny SKD run, is
 * killed with SIGKILL mid-epoch while a dashboard is open, leaves a torn last line, and is
 * resumed; every epoch and step point must then be in the model exactly once, both in the
 * dashboard that stayed open and in one opened afterwards.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { MetricsParams, RunInfo } from '../../src/protocol/lsp';
import type { EpochEvent, MetricEvent, Network } from '../../src/protocol/runDir';
import type { DashboardEventsMessage, DashboardInitMessage } from '../../src/protocol/webview';
import { DashboardSync } from '../../src/extension/dashboard/dashboardSync';
import { readMetricsFrom } from '../../src/trainer/runDir/metricsLog';
import { RunManager } from '../../src/trainer/server/runManager';
import { DashboardModel, type Point } from '../../webview/dashboardModel';
import { readStatus } from '../../src/trainer/runDir/runFiles';
import { CLI, ensureCli, tinySkdExperiment, waitUntil } from '../helpers/killHarness';

/** One open dashboard: the host's sync feeding the model the webview would hold. */
class OpenDashboard {
  model = new DashboardModel();
  /** `from` of each batch the page refused (it never should). */
  readonly refused: number[] = [];
  readonly warnings: string[] = [];
  readonly sync: DashboardSync;

  constructor(runs: RunManager, dir: string) {
    this.sync = new DashboardSync({
      read: async (from) => runs.readMetrics(dir, from),
      post: async (m: DashboardInitMessage | DashboardEventsMessage) => this.receive(m),
      warn: (message) => this.warnings.push(message),
    });
  }

  open(): Promise<void> {
    return this.sync.start(() => ({ dir: 'run', name: 'run', method: 'skd' }));
  }

  /** What webview/dashboard.ts does with each message (less the drawing). */
  private receive(m: DashboardInitMessage | DashboardEventsMessage): void {
    if (m.type === 'dashboard/init') {
      this.model = new DashboardModel();
      this.model.apply(m.events);
    } else if (!this.model.applyAt(m.from, m.events)) {
      this.refused.push(m.from);
      void this.open();
    }
  }
}

const NETWORKS: Network[] = ['teacher', 'alone', 'student'];

function xs(series: Point[]): number[] {
  return series.map((p) => p.x);
}

function distinctSorted(values: number[]): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}

/** Every series of the model, by name, for comparisons between two dashboards. */
function allSeries(m: DashboardModel): Record<string, Point[]> {
  const out: Record<string, Point[]> = {};
  for (const n of NETWORKS) {
    out[`batch ${n}`] = m.batchLoss[n];
    out[`epoch loss ${n}`] = m.epochLoss[n];
    out[`train acc ${n}`] = m.trainAcc[n];
    out[`val acc ${n}`] = m.valAcc[n];
  }
  for (const [k, v] of m.terms) out[`term ${k}`] = v;
  for (const [k, v] of m.tbt) {
    out[`tbt nmse ${k}`] = v.nmse;
    out[`tbt cosine ${k}`] = v.cosine;
  }
  for (const [k, v] of Object.entries(m.tet)) out[`tet ${k}`] = v;
  return out;
}

/** Each point exactly once, and exactly the points the run's log has. */
function assertEachPointOnce(m: DashboardModel, events: MetricEvent[], who: string): void {
  assert.equal(m.count, events.length, `${who}: holds ${m.count} events, the log has ${events.length}`);
  for (const [name, series] of Object.entries(allSeries(m))) {
    const x = xs(series);
    assert.deepEqual(x, distinctSorted(x), `${who}: ${name} has a point twice or out of order: ${x.join(' ')}`);
  }
  for (const n of NETWORKS) {
    const epochs = events.filter((e): e is EpochEvent => e.type === 'epoch' && e.network === n);
    const want = distinctSorted(epochs.map((e) => e.epoch + 1));
    for (const [name, series] of [['epoch loss', m.epochLoss[n]], ['train acc', m.trainAcc[n]], ['val acc', m.valAcc[n]]] as const) {
      assert.deepEqual(xs(series), want, `${who}: ${n} ${name}`);
    }
    const steps = events.filter((e) => e.type === 'batch' && e.network === n).map((e) => (e as { step: number }).step);
    assert.deepEqual(xs(m.batchLoss[n]), distinctSorted(steps), `${who}: ${n} batch steps`);
  }
}

describe('a dashboard through a SIGKILL mid-epoch and a resume', { timeout: 600_000 }, () => {
  let tmp: string;
  let runs: RunManager;
  const dashboards: OpenDashboard[] = [];
  const statuses: RunInfo[] = [];
  const notifications: MetricsParams[] = [];

  before(() => {
    ensureCli();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skd-dash-'));
    runs = new RunManager({
      cliPath: CLI,
      settings: () => ({ nodePath: process.execPath, concurrentRuns: 1, trusted: true, pluginModules: [] }),
      pollMs: 50,
      graceMs: 5_000,
      events: {
        status: (info) => statuses.push(info),
        // What the server sends as `skd/metrics`, to every open dashboard (each filters by dir).
        metrics: (dir, from, events) => {
          const p = { dir, from, events };
          notifications.push(p);
          for (const d of dashboards) d.sync.onMetrics(p);
        },
        log: () => undefined,
      },
    });
  });

  after(async () => {
    await runs?.dispose();
    if (tmp && !process.env.SKD_KEEP_TMP) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('shows every epoch and step point exactly once, open through it or opened afterwards', async () => {
    const file = path.join(tmp, 'dash.skd.json');
    fs.writeFileSync(file, JSON.stringify(tinySkdExperiment('dash'), null, 2));
    const { dir } = runs.start({ experimentFile: file, outDir: path.join(tmp, 'runs') });
    const stateOf = () => statuses.filter((s) => s.dir === dir).at(-1)?.status.state;

    // The dashboard opens while the teacher trains, before the kill.
    const during = new OpenDashboard(runs, dir);
    dashboards.push(during);
    await waitUntil('the first teacher batch', () => readMetricsFrom(dir).events.some((e) => e.type === 'batch'), 120_000);
    await during.open();

    // Killed mid-epoch: after a batch of the teacher's second epoch, before that epoch ends.
    const midEpoch = (e: MetricEvent) => e.type === 'batch' && e.network === 'teacher' && e.epoch === 1;
    await waitUntil('a batch of teacher epoch 2', () => readMetricsFrom(dir).events.some(midEpoch), 180_000, 5);
    const pid = readStatus(dir)?.pid;
    assert.ok(pid !== undefined && pid !== process.pid, 'status.json names the training process');
    process.kill(pid, 'SIGKILL');
    await waitUntil('the run to be recorded as failed', () => stateOf() === 'failed', 30_000);
    const before = readMetricsFrom(dir).events;
    assert.ok(
      !before.some((e) => e.type === 'epoch' && e.network === 'teacher' && e.epoch === 1),
      'the kill came after teacher epoch 2 ended: not mid-epoch; the test must kill earlier',
    );
    // A crash in the middle of a write leaves a torn last line; the resume closes it off as a bad line.
    fs.appendFileSync(path.join(dir, 'metrics.jsonl'), '{"time":"2026-01-01T00:00:00.000Z","type":"batch","netw');

    runs.resume(dir);
    await waitUntil('the resumed run to finish', () => stateOf() === 'done' || stateOf() === 'failed', 300_000, 50);
    assert.equal(stateOf(), 'done', `the resumed run ended ${stateOf()}`);
    // The last notifications and posts settle.
    await new Promise((r) => setTimeout(r, 200));

    const opened = new OpenDashboard(runs, dir);
    dashboards.push(opened);
    await opened.open();

    const events = readMetricsFrom(dir).events;
    const lines = fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.trim());
    assert.equal(lines.length, events.length + 1, 'the log holds the torn line, closed off as one bad line');
    assert.ok(events.some((e) => e.type === 'run' && e.resumed), 'the run was resumed');
    // The resumed run replayed some of what the killed one had logged: without care, points twice.
    const replayed = events.filter((e) => e.type === 'batch' && e.network === 'teacher' && e.epoch === 1).length;
    assert.ok(replayed > before.filter(midEpoch).length, 'the resumed run logged teacher epoch 2 again');

    for (const d of [during, opened]) {
      assert.deepEqual(d.refused, [], 'the page never got a batch that did not continue what it held');
      assert.deepEqual(d.warnings, []);
      assert.equal(d.sync.position, events.length);
    }
    assertEachPointOnce(during.model, events, 'the dashboard open through the kill');
    assertEachPointOnce(opened.model, events, 'the dashboard opened afterwards');
    assert.deepEqual(allSeries(during.model), allSeries(opened.model), 'both dashboards draw the same');
    const timeline = events.filter((e) => e.type === 'stage' || e.type === 'phase').length;
    assert.equal(during.model.timeline().length, timeline, 'the open dashboard lists each stage and phase event once');
    assert.equal(opened.model.timeline().length, timeline);
    // Each notification's `from` is the index of its first event in the log.
    for (const p of notifications) assert.deepEqual(p.events, events.slice(p.from, p.from + p.events.length), `notification from ${p.from}`);

    // What the charts stand on: accuracies are fractions, TBT events name their target stage.
    const accuracies = events.flatMap((e) => {
      switch (e.type) {
        case 'epoch':
          return [e.trainAcc, e.valAcc];
        case 'stage':
          return [e.bestValAcc];
        case 'tet':
          return [e.accuracy, e.teacherAccuracy];
        case 'final':
          return [e.teacherTestAcc, e.studentTestAcc, ...(e.studentAloneTestAcc === undefined ? [] : [e.studentAloneTestAcc])];
        default:
          return [];
      }
    });
    assert.ok(accuracies.length > 10);
    for (const a of accuracies) assert.ok(a >= 0 && a <= 1, `accuracy ${a} is not a fraction`);
    const tbt = events.filter((e) => e.type === 'tbt');
    assert.ok(tbt.length > 0, 'the run wrote TBT events');
    for (const e of tbt) assert.equal(e.target, e.stage + 1);
    assert.ok(during.model.points('tbt') > 0);
  });
});
