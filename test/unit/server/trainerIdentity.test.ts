/**
 * A run's trainer is known by pid + start time + host + boot id (status.json): a live process
 * that merely has the recorded pid (after a crash or a reboot) is not taken for the trainer,
 * is not adopted, and is never signalled by Stop. Old status files without these fields are
 * believed only for a process whose command line is the trainer's.
 */
import * as assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { ListRunsRequest, StopRunRequest } from '../../../src/protocol/lsp';
import { currentBootId, currentTrainerIdentity, isTrainerAlive, processStartTicks } from '../../../src/trainer/runDir/trainerIdentity';
import { type TestConnection, connectServer } from './testConnection';

const FAKE_CLI = path.join(__dirname, 'fixtures', 'fakeTrainerCli.js');
const haveProc = fs.existsSync('/proc/self/stat');

function started(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', reject);
  });
}

/** The identity the process would have recorded had it been a trainer. */
function identityOf(pid: number) {
  return { pid, pidStart: processStartTicks(pid), host: os.hostname(), bootId: currentBootId() };
}

describe('trainer identity', { skip: haveProc ? false : 'needs /proc' }, () => {
  let tmp: string;
  let sleeper: ChildProcess;
  let signals: string[];
  let trainerLike: ChildProcess;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skd-identity-'));
    // An unrelated program, alive, at the pid a status.json names.
    sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    signals = [];
    sleeper.on('exit', (_code, signal) => signals.push(String(signal)));
    // A process whose command line is the trainer's (`node .../cli.js run ...`), for old status files.
    const cli = path.join(tmp, 'cli.js');
    fs.writeFileSync(cli, 'setTimeout(() => {}, 60_000);\n');
    trainerLike = spawn(process.execPath, [cli, 'run', 'x.skd.json'], { stdio: 'ignore' });
    await Promise.all([started(sleeper), started(trainerLike)]);
  });
  after(() => {
    sleeper.kill('SIGKILL');
    trainerLike.kill('SIGKILL');
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('records pid, start time, host and boot id of this process', () => {
    const id = currentTrainerIdentity();
    assert.equal(id.pid, process.pid);
    assert.equal(id.host, os.hostname());
    assert.ok(Number.isSafeInteger(id.pidStart) && (id.pidStart ?? 0) > 0, String(id.pidStart));
    assert.match(id.bootId ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(isTrainerAlive(id), true);
  });

  it('takes the recorded process for the trainer only when every recorded field matches', () => {
    const pid = sleeper.pid as number;
    const real = identityOf(pid);
    assert.equal(isTrainerAlive(real), true, 'the very process that was recorded');
    assert.equal(isTrainerAlive({ ...real, pidStart: (real.pidStart ?? 0) + 1 }), false, 'another start time: the pid was reused');
    assert.equal(isTrainerAlive({ ...real, bootId: '00000000-0000-0000-0000-000000000000' }), false, 'another boot');
    assert.equal(isTrainerAlive({ ...real, host: `${os.hostname()}-elsewhere` }), false, 'another host');
    assert.equal(isTrainerAlive({ pid: 2 ** 22 + 12345 }), false, 'no such process');
    assert.equal(isTrainerAlive({ pid: 0 }), false);
    assert.equal(isTrainerAlive(undefined), false);
  });

  it('an old status (pid only) is believed for a trainer command line, not for another program', () => {
    assert.equal(isTrainerAlive({ pid: sleeper.pid }), false, '`sleep 60` is not a trainer');
    assert.equal(isTrainerAlive({ pid: trainerLike.pid }), true, '`node cli.js run` is one');
    assert.equal(isTrainerAlive({ pid: trainerLike.pid, host: 'elsewhere' }), false);
  });

  describe('run manager', () => {
    let c: TestConnection;
    beforeEach(async () => {
      c = await connectServer({ concurrentRuns: 1 }, { cliPath: FAKE_CLI, stopGraceMs: 300, pollMs: 50, validate: () => [] });
    });
    afterEach(async () => {
      await c.dispose();
    });

    for (const [label, status] of [
      ['an old status.json with only its pid', () => ({ pid: sleeper.pid })],
      ['a status.json whose start time differs', () => ({ ...identityOf(sleeper.pid as number), pidStart: 1 })],
      ['a status.json of another boot', () => ({ ...identityOf(sleeper.pid as number), bootId: 'f'.repeat(8) + '-0000-0000-0000-' + '0'.repeat(12) })],
    ] as const) {
      it(`does not adopt or signal a live non-trainer at the pid of ${label}`, async () => {
        const dir = path.join(tmp, 'runs', label.replace(/[^a-z]+/g, '-'));
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, 'experiment.json'), JSON.stringify({ name: 'reused', method: { name: 'kd' } }));
        fs.writeFileSync(path.join(dir, 'status.json'), JSON.stringify({ state: 'running', ...status(), updated: '2024-01-01T00:00:00Z' }));
        const listed = await c.client.sendRequest(ListRunsRequest.type, { folders: [tmp] });
        const info = listed.find((r) => r.dir === dir);
        assert.equal(info?.status.state, 'stopped');
        assert.equal(info?.status.error, 'interrupted');
        const stopped = await c.client.sendRequest(StopRunRequest.type, { dir });
        assert.equal(stopped.status.state, 'stopped');
        // Longer than the stop grace period: no SIGTERM and no SIGKILL reached it.
        await new Promise((r) => setTimeout(r, 600));
        assert.deepEqual(signals, []);
        assert.equal(sleeper.exitCode, null);
        assert.equal(sleeper.signalCode, null);
      });
    }

    it('a run training on another host (a cluster node) is shown as it reports, and Stop refuses to signal it', async () => {
      const dir = path.join(tmp, 'runs', 'on-a-node');
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'experiment.json'), JSON.stringify({ name: 'on-a-node', method: { name: 'kd' } }));
      fs.writeFileSync(path.join(dir, 'status.json'), JSON.stringify({ state: 'running', ...identityOf(sleeper.pid as number), host: 'node-7', updated: '2024-01-01T00:00:00Z' }));
      const listed = await c.client.sendRequest(ListRunsRequest.type, { folders: [tmp] });
      assert.equal(listed.find((r) => r.dir === dir)?.status.state, 'running');
      await assert.rejects(c.client.sendRequest(StopRunRequest.type, { dir }), /trains on node-7, not on this machine/);
      await new Promise((r) => setTimeout(r, 600));
      assert.deepEqual(signals, []);
      assert.equal(sleeper.exitCode, null);
    });
  });
});
