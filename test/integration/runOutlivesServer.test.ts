/**
 * SKD Lab runs outlive the editor window: a run started through the language server's run
 * manager keeps training, detached, when the server shuts down (the window closed), finishes
 * on its own, and the next server adopts it live (pid + start time + host + boot id, not a bare
 * pid): it lists it as running, streams its new metrics, and its Stop ends it.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ListRunsRequest, StartRunRequest, StopRunRequest } from '../../src/protocol/lsp';
import type { RunStatus } from '../../src/protocol/runDir';
import { isTrainerAlive } from '../../src/trainer/runDir/trainerIdentity';
import { CLI, ensureCli, readLog, runSkd, tinySkdExperiment, waitUntil } from '../helpers/killHarness';
import { NotificationRecorder } from '../unit/server/notifications';
import { type TestConnection, connectServer } from '../unit/server/testConnection';

function statusOf(dir: string): RunStatus {
  return JSON.parse(fs.readFileSync(path.join(dir, 'status.json'), 'utf8')) as RunStatus;
}

/** Field 5 of /proc/<pid>/stat: the process group. */
function processGroup(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

describe('SKD Lab: runs outlive the editor window', { timeout: 600_000, skip: fs.existsSync('/proc/self/stat') ? false : 'needs /proc' }, () => {
  let tmp: string;
  let outDir: string;
  const dirs: string[] = [];
  let second: TestConnection | undefined;

  before(() => {
    ensureCli();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skd-outlive-'));
    outDir = path.join(tmp, 'runs');
  });
  after(async () => {
    await second?.dispose();
    // Whatever still trains here is this test's: end it.
    for (const dir of dirs) {
      const s = fs.existsSync(path.join(dir, 'status.json')) ? statusOf(dir) : undefined;
      if (s?.state === 'running' && isTrainerAlive(s)) process.kill(s.pid as number, 'SIGKILL');
    }
    if (!process.env.SKD_KEEP_TMP) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('keeps training after the server stops, finishes, and is adopted and stopped by the next server', async () => {
    const write = (name: string, value: unknown) => {
      const file = path.join(tmp, `${name}.skd.json`);
      fs.writeFileSync(file, JSON.stringify(value, null, 2));
      return file;
    };
    const longFile = write('long', tinySkdExperiment('long', { teacher: { model: 'cnn', width: 4, epochs: 40 } }));
    const shortFile = write('short', tinySkdExperiment('short'));

    // The first window's server starts both runs.
    const first = await connectServer({ concurrentRuns: 2 }, { cliPath: CLI, stopGraceMs: 60_000, pollMs: 100 });
    const rec1 = new NotificationRecorder(first.client);
    const long = await first.client.sendRequest(StartRunRequest.type, { experimentFile: longFile, outDir });
    const short = await first.client.sendRequest(StartRunRequest.type, { experimentFile: shortFile, outDir });
    dirs.push(long.dir, short.dir);
    await rec1.waitFor('a teacher epoch of the long run', () => rec1.eventsOf(long.dir).some((e) => e.type === 'epoch'), 120_000);
    // The short run's trainer writes its run directory once it is up, which on a loaded machine
    // can come after the long run's first epoch: wait for it rather than race it.
    await waitUntil('the short run to start', () => fs.existsSync(path.join(short.dir, 'status.json')), 120_000, 50);
    assert.equal(statusOf(short.dir).state, 'running', 'the short run is still training when the window closes');

    // The window closes: the server shuts down (no Stop was asked for).
    await first.client.sendRequest('shutdown');
    first.client.dispose();
    const trainer = statusOf(long.dir);
    assert.equal(trainer.state, 'running');
    assert.ok(isTrainerAlive(trainer), 'the long run is still training');
    assert.notEqual(trainer.pid, process.pid);
    assert.equal(processGroup(trainer.pid as number), trainer.pid, 'in its own process group (detached)');
    const linesThen = readLog(path.join(long.dir, 'metrics.jsonl')).lines;
    await waitUntil('the long run to log more', () => readLog(path.join(long.dir, 'metrics.jsonl')).lines > linesThen, 60_000, 100);
    // Its output goes to files in its run directory, not to the server that is gone.
    assert.ok(fs.existsSync(path.join(long.dir, 'trainer-stderr.log')));

    // A second trainer on the same run directory is refused while it trains.
    const refused = await runSkd(['resume', long.dir, '--quiet']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, new RegExp(`still training in process ${trainer.pid}`));

    // The next window's server adopts it live.
    second = await connectServer({ concurrentRuns: 2 }, { cliPath: CLI, stopGraceMs: 60_000, pollMs: 100 });
    const rec2 = new NotificationRecorder(second.client);
    const listed = await second.client.sendRequest(ListRunsRequest.type, { folders: [outDir] });
    assert.equal(listed.find((r) => r.dir === long.dir)?.status.state, 'running');
    await rec2.waitFor('new metrics of the adopted run', () => rec2.eventsOf(long.dir).length > 0, 60_000);
    assert.ok(rec2.seen.logs.some((l) => l.dir === long.dir && /following long/.test(l.message)));

    // Stop stays explicit: through the new server, checked against the recorded identity.
    await second.client.sendRequest(StopRunRequest.type, { dir: long.dir });
    await rec2.state(long.dir, 'stopped', 60_000);
    assert.equal(statusOf(long.dir).state, 'stopped');
    await waitUntil('the long run to exit', () => !isTrainerAlive(trainer), 10_000, 50);

    // The short run finished on its own, no server needed.
    await waitUntil('the short run to finish', () => statusOf(short.dir).state === 'done', 300_000, 200);
    assert.ok(fs.existsSync(path.join(short.dir, 'summary.json')));
    assert.ok(fs.existsSync(path.join(short.dir, 'student', 'model.json')));
  });
});
