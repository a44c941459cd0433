/**
 * The run queue's edge cases against a stand-in command line (fixtures/fakeTrainerCli.js):
 * concurrency, queued stops, crashes, kills after the grace period, interrupted runs,
 * work-done progress and its cancel. realCli.test.ts runs the real trainer.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { WorkDoneProgressCancelNotification } from 'vscode-languageserver-protocol';
import {
  ListRunsRequest,
  ReadMetricsRequest,
  ResumeRunRequest,
  StartRunRequest,
  StopRunRequest,
} from '../../../src/protocol/lsp';
import { NotificationRecorder } from './notifications';
import { type TestConnection, connectServer } from './testConnection';

const FAKE_CLI = path.join(__dirname, 'fixtures', 'fakeTrainerCli.js');

describe('run manager (stand-in command line)', () => {
  let tmp: string;
  let c: TestConnection;
  let rec: NotificationRecorder;

  const experiment = (name: string, fake: Record<string, unknown> = {}) => {
    const file = path.join(tmp, `${name}.skd.json`);
    fs.writeFileSync(file, JSON.stringify({ name, method: { name: 'kd' }, fake }));
    return file;
  };
  const connect = async (settings = {}, grace = 2_000, checked = false) => {
    // The stand-in's experiments are not real ones; the validator is switched off unless asked for.
    const validate = checked ? undefined : () => [];
    c = await connectServer({ concurrentRuns: 1, ...settings }, { cliPath: FAKE_CLI, stopGraceMs: grace, pollMs: 50, validate });
    rec = new NotificationRecorder(c.client);
  };
  const start = (file: string, workDoneToken?: string) =>
    c.client.sendRequest(StartRunRequest.type, { experimentFile: file, outDir: path.join(tmp, 'runs'), workDoneToken });

  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skd-runs-'));
  });
  afterEach(async () => {
    await c?.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('runs to done, streaming only new metric events', async () => {
    await connect();
    const run = await start(experiment('alpha', { epochs: 5 }));
    assert.ok(['queued', 'running'].includes(run.status.state), run.status.state);
    assert.match(path.basename(run.dir), /^alpha-\d{8}-\d{6}$/);
    await rec.state(run.dir, 'done');
    const events = rec.eventsOf(run.dir);
    assert.deepEqual(events.map((e) => e.type), ['run', 'epoch', 'epoch', 'epoch', 'epoch', 'epoch', 'final']);
    // Incremental: each batch starts where the previous ended.
    let next = 0;
    for (const m of rec.seen.metrics.filter((x) => x.dir === run.dir)) {
      assert.equal(m.from, next);
      next += m.events.length;
    }
    const read = await c.client.sendRequest(ReadMetricsRequest.type, { dir: run.dir, from: 5 });
    assert.deepEqual(read.events.map((e) => e.type), ['epoch', 'final']);
    assert.equal(read.next, 7);
    assert.ok(rec.seen.logs.some((l) => l.message.includes('fake trainer: run')), 'stderr lines arrive as skd/log');
  });

  it('queues beyond the limit, and a stopped queued run never starts', async () => {
    await connect({ concurrentRuns: 1 });
    const first = await start(experiment('first', { epochs: 4, epochMs: 60 }));
    const second = await start(experiment('second', { epochs: 2 }));
    const third = await start(experiment('third', { epochs: 2 }));
    await rec.state(first.dir, 'running');
    assert.equal(rec.statusOf(second.dir)?.status.state, 'queued');
    const stopped = await c.client.sendRequest(StopRunRequest.type, { dir: second.dir });
    assert.equal(stopped.status.state, 'stopped');
    assert.ok(!fs.existsSync(second.dir), 'its reserved, empty folder is removed');
    await rec.state(first.dir, 'done');
    await rec.state(third.dir, 'done');
    assert.equal(rec.seen.statuses.filter((s) => s.dir === second.dir && s.status.state === 'running').length, 0);
  });

  it('stops a running run (it checkpoints) and resumes it to done', async () => {
    await connect();
    const run = await start(experiment('pause', { epochs: 6, epochMs: 80 }));
    await rec.waitFor('two epochs', () => rec.eventsOf(run.dir).filter((e) => e.type === 'epoch').length >= 2);
    await c.client.sendRequest(StopRunRequest.type, { dir: run.dir });
    await rec.state(run.dir, 'stopped');
    const before = rec.eventsOf(run.dir).length;
    const resumed = await c.client.sendRequest(ResumeRunRequest.type, { dir: run.dir });
    assert.ok(['queued', 'running'].includes(resumed.status.state), resumed.status.state);
    await rec.state(run.dir, 'done');
    const after = rec.seen.metrics.filter((m) => m.dir === run.dir && m.events.some((e) => e.type === 'run' && e.resumed));
    assert.equal(after.length, 1, 'the resumed run streams from its new lines only');
    assert.equal(after[0].from, before);
    const epochs = rec.eventsOf(run.dir).filter((e) => e.type === 'epoch').map((e) => (e.type === 'epoch' ? e.epoch : 0));
    assert.deepEqual(epochs, [1, 2, 3, 4, 5, 6]);
  });

  it('records a crash as failed with its reason, and the run stays resumable', async () => {
    await connect();
    const run = await start(experiment('crash', { epochs: 4, crashAt: 2 }));
    const failed = await rec.state(run.dir, 'failed');
    assert.match(failed.status.error ?? '', /exited with code 3: Error: out of memory/);
    const onDisk = JSON.parse(fs.readFileSync(path.join(run.dir, 'status.json'), 'utf8'));
    assert.equal(onDisk.state, 'failed');
    assert.match(onDisk.error, /out of memory/);
    // Without the crash switch the same run continues from its checkpoint.
    fs.writeFileSync(path.join(run.dir, 'experiment.json'), JSON.stringify({ name: 'crash', fake: { epochs: 4 } }));
    await c.client.sendRequest(ResumeRunRequest.type, { dir: run.dir });
    await rec.state(run.dir, 'done');
  });

  it('kills a run that ignores SIGTERM after the grace period, as stopped', async () => {
    await connect({}, 300);
    const run = await start(experiment('stubborn', { epochs: 1000, epochMs: 50, ignoreTerm: true }));
    await rec.waitFor('an epoch', () => rec.eventsOf(run.dir).some((e) => e.type === 'epoch'));
    await c.client.sendRequest(StopRunRequest.type, { dir: run.dir });
    const stopped = await rec.state(run.dir, 'stopped');
    assert.match(stopped.status.error ?? '', /killed after the stop grace period/);
  });

  it('lists runs, showing a run whose process died as interrupted', async () => {
    await connect();
    const done = await start(experiment('listed', { epochs: 1 }));
    await rec.state(done.dir, 'done');
    const ghost = path.join(tmp, 'runs', 'ghost-20240101-000000');
    fs.mkdirSync(ghost, { recursive: true });
    // A pid that cannot be alive: the trainer that wrote this was killed.
    fs.writeFileSync(path.join(ghost, 'status.json'), JSON.stringify({ state: 'running', pid: 2 ** 22 + 12345, updated: '2024-01-01T00:00:00Z' }));
    fs.writeFileSync(path.join(ghost, 'experiment.json'), JSON.stringify({ name: 'ghost', method: { name: 'skd' } }));
    const runs = await c.client.sendRequest(ListRunsRequest.type, { folders: [tmp] });
    const byId = new Map(runs.map((r) => [r.id, r]));
    assert.equal(byId.get(path.basename(done.dir))?.status.state, 'done');
    const g = byId.get('ghost-20240101-000000');
    assert.equal(g?.status.state, 'stopped');
    assert.equal(g?.status.error, 'interrupted');
    assert.equal(g?.method, 'skd');
  });

  it('follows and stops a run that outlived an earlier server', async () => {
    await connect();
    // A trainer started by a server that since crashed: not this server's child.
    const file = experiment('orphan', { epochs: 1000, epochMs: 40 });
    const dir = path.join(tmp, 'runs', 'orphan-20240101-000000');
    const orphan = spawn(process.execPath, [FAKE_CLI, 'run', file, '--run-dir', dir], { stdio: 'ignore' });
    try {
      await new Promise<void>((resolve) => {
        const t = setInterval(() => fs.existsSync(path.join(dir, 'status.json')) && (clearInterval(t), resolve()), 20);
      });
      const listed = await c.client.sendRequest(ListRunsRequest.type, { folders: [tmp] });
      assert.equal(listed.find((r) => r.dir === dir)?.status.state, 'running');
      await rec.waitFor('new metrics of the adopted run', () => rec.eventsOf(dir).some((e) => e.type === 'epoch'));
      await c.client.sendRequest(StopRunRequest.type, { dir });
      await rec.state(dir, 'stopped');
    } finally {
      orphan.kill('SIGKILL');
    }
  });

  it('lists from disk a run it followed to its end and another process took up since', async () => {
    await connect();
    // A bench's run: started outside this server, followed (adopted) while it trains, stopped.
    const file = experiment('benched', { epochs: 1000, epochMs: 40 });
    const dir = path.join(tmp, 'runs', 'bench-methods-1', 'kd-s1');
    const first = spawn(process.execPath, [FAKE_CLI, 'run', file, '--run-dir', dir], { stdio: 'ignore' });
    await new Promise<void>((resolve) => {
      const t = setInterval(() => fs.existsSync(path.join(dir, 'status.json')) && (clearInterval(t), resolve()), 20);
    });
    const list = async () => (await c.client.sendRequest(ListRunsRequest.type, { folders: [path.join(tmp, 'runs')] })).find((r) => r.dir === dir)?.status.state;
    assert.equal(await list(), 'running');
    first.kill('SIGTERM');
    await rec.state(dir, 'stopped');
    // The bench resumes it in a process of its own, to the end.
    const second = spawn(process.execPath, [FAKE_CLI, 'resume', dir], { stdio: 'ignore' });
    try {
      let state: string | undefined;
      for (let i = 0; i < 200 && state !== 'running'; i++) {
        await new Promise((r) => setTimeout(r, 50));
        state = await list();
      }
      assert.equal(state, 'running', 'the resumed run, not our record of its stop');
    } finally {
      second.kill('SIGKILL');
    }
  });

  it('reports work-done progress and stops the run when the client cancels it', async () => {
    await connect();
    const run = await start(experiment('progress', { epochs: 1000, epochMs: 30 }), 'token-1');
    await rec.waitFor('a progress report', () => rec.seen.progress.some((p) => p.token === 'token-1' && (p.value as { kind: string }).kind === 'report'));
    const begin = rec.seen.progress.find((p) => p.token === 'token-1');
    assert.deepEqual((begin?.value as { kind: string; cancellable: boolean }).kind, 'begin');
    assert.equal((begin?.value as { cancellable: boolean }).cancellable, true);
    await c.client.sendNotification(WorkDoneProgressCancelNotification.type, { token: 'token-1' });
    await rec.state(run.dir, 'stopped');
    await rec.waitFor('progress end', () => rec.seen.progress.some((p) => p.token === 'token-1' && (p.value as { kind: string }).kind === 'end'));
  });

  it('refuses unknown experiment files and resuming what is not a run', async () => {
    await connect();
    await assert.rejects(start(path.join(tmp, 'missing.skd.json')), /experiment file not found/);
    await assert.rejects(c.client.sendRequest(ResumeRunRequest.type, { dir: tmp }), /not a run directory/);
  });

  it('refuses an experiment with errors before queueing it, naming the problem', async () => {
    await connect({}, 2_000, true);
    const file = path.join(tmp, 'bad.skd.json');
    fs.writeFileSync(file, '{ "name": "bad", "data": { "format": "builtin", "name": "fashion-mnist-mini" }, // comment\n "teacher": { "model": "cnn", "epochs": 4 }, "student": { "model": "cnn", "epochs": 4 }, "method": { "name": "kdd" } }');
    await assert.rejects(start(file), /bad\.skd\.json: method\.name: unknown method "kdd"/);
    assert.ok(!fs.existsSync(path.join(tmp, 'runs')) || fs.readdirSync(path.join(tmp, 'runs')).length === 0, 'no run directory was made');
  });

  it('leaves its runs training when the server shuts down (they outlive the window)', async () => {
    await connect();
    const run = await start(experiment('shutdown', { epochs: 25, epochMs: 30 }));
    await rec.waitFor('an epoch', () => rec.eventsOf(run.dir).some((e) => e.type === 'epoch'));
    await c.client.sendRequest('shutdown');
    const onDisk = () => JSON.parse(fs.readFileSync(path.join(run.dir, 'status.json'), 'utf8')) as { state: string; pid: number };
    assert.equal(onDisk().state, 'running');
    process.kill(onDisk().pid, 0); // still alive: throws if not
    const t0 = Date.now();
    while (onDisk().state !== 'done' && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 50));
    assert.equal(onDisk().state, 'done', 'it trained to the end without the server');
  });
});
