/**
 * The run manager driving the real trainer (dist/cli.js, built by `npm run build`) on a tiny
 * experiment: a run to done with live metrics, and a run stopped and resumed to done.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ExportStudentRequest, ListRunsRequest, ReadMetricsRequest, ResumeRunRequest, StartRunRequest, StopRunRequest } from '../../../src/protocol/lsp';
import { NotificationRecorder } from './notifications';
import { type TestConnection, connectServer } from './testConnection';

const CLI = path.resolve(__dirname, '..', '..', '..', 'dist', 'cli.js');
const missing = fs.existsSync(CLI) ? false : `dist/cli.js is missing: run "npm run build" first`;

/** Whether this build of the command line has `skd export` yet. */
function cliExports(): boolean {
  if (!fs.existsSync(CLI)) return false;
  const r = spawnSync(process.execPath, [CLI, 'export'], { encoding: 'utf8' });
  return !/unknown command "export"/.test(r.stderr ?? '');
}

const tiny = (name: string, teacherEpochs: number, train = 200) => ({
  name,
  seed: 1,
  data: { format: 'builtin', name: 'fashion-mnist-mini', limit: { train, test: 100 } },
  teacher: { model: 'cnn', width: 4, epochs: teacherEpochs },
  student: { model: 'cnn', width: 4, epochs: 1 },
  method: { name: 'kd', stages: 1 },
  training: { batchSize: 32 },
  backend: 'auto',
});

describe('run manager with the real trainer command line', { skip: missing }, () => {
  let tmp: string;
  let c: TestConnection;
  let rec: NotificationRecorder;
  const start = (file: string) => c.client.sendRequest(StartRunRequest.type, { experimentFile: file, outDir: path.join(tmp, 'runs') });
  const write = (name: string, value: unknown) => {
    const file = path.join(tmp, `${name}.skd.json`);
    fs.writeFileSync(file, JSON.stringify(value, null, 2));
    return file;
  };

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skd-real-'));
    c = await connectServer({ concurrentRuns: 2 }, { cliPath: CLI, stopGraceMs: 60_000, pollMs: 200 });
    rec = new NotificationRecorder(c.client);
  });
  after(async () => {
    await c?.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  let doneDir = '';

  it('runs a tiny experiment to done, streaming its metrics', async () => {
    const run = await start(write('tiny', tiny('tiny', 1)));
    doneDir = run.dir;
    const done = await rec.state(run.dir, 'done', 180_000);
    const types = new Set(rec.eventsOf(run.dir).map((e) => e.type));
    for (const t of ['run', 'epoch', 'final']) assert.ok(types.has(t as never), `no ${t} event among ${[...types].join(', ')}`);
    assert.ok(rec.seen.statuses.some((s) => s.dir === run.dir && s.status.state === 'running'));
    assert.ok(done.summary, 'a done run carries its summary');
    // What was streamed is what the run directory holds.
    const read = await c.client.sendRequest(ReadMetricsRequest.type, { dir: run.dir, from: 0 });
    assert.equal(read.events.length, rec.eventsOf(run.dir).length);
  });

  it('exports the student of the done run in a child process', { skip: cliExports() ? false : 'this dist/cli.js has no export command yet' }, async () => {
    assert.ok(doneDir, 'the run of the first test');
    const result = await c.client.sendRequest(ExportStudentRequest.type, { dir: doneDir, format: 'tfjs', quantize: 'uint8' });
    assert.equal(result.outDir, path.join(doneDir, 'exports', 'tfjs-uint8'));
    assert.ok(result.files.includes('model.json'), result.files.join(', '));
    for (const f of result.files) assert.ok(fs.existsSync(path.join(result.outDir, f)), `${f} was written`);
    assert.ok(result.bytes > 0 && Number.isFinite(result.maxAbsLogitDiff) && result.accuracy >= 0);
    assert.ok(fs.existsSync(result.card));
  });

  it('stops a run, which ends as stopped, and resumes it to done', async () => {
    // Long enough (some seconds) that the stop lands while it trains.
    const run = await start(write('paused', tiny('paused', 4, 1500)));
    await rec.waitFor('the first training batch', () => {
      const ended = rec.statusOf(run.dir)?.status;
      if (ended && ['done', 'failed', 'stopped'].includes(ended.state)) throw new Error(`ended ${ended.state} before it could be stopped: ${ended.error ?? ''}`);
      return rec.eventsOf(run.dir).some((e) => e.type === 'epoch' || e.type === 'batch');
    }, 180_000);
    await c.client.sendRequest(StopRunRequest.type, { dir: run.dir });
    const stopped = await rec.state(run.dir, 'stopped', 120_000);
    assert.notEqual(stopped.status.state, 'failed');
    const listed = await c.client.sendRequest(ListRunsRequest.type, { folders: [tmp] });
    assert.equal(listed.find((r) => r.dir === run.dir)?.status.state, 'stopped');
    await c.client.sendRequest(ResumeRunRequest.type, { dir: run.dir });
    await rec.state(run.dir, 'done', 240_000);
    const resumed = rec.eventsOf(run.dir).filter((e) => e.type === 'run');
    assert.ok(resumed.some((e) => e.type === 'run' && e.resumed), 'the resumed part of the log was streamed');
  });
});
