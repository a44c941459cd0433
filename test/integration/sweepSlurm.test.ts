/**
 * `skd sweep --executor slurm` against a real Slurm (the one-node cluster `.ci/run` starts with
 * scripts/slurm-up.sh): a teacher job and a student array after it (2 methods x 2 seeds on tiny
 * data), followed through squeue; a second sweep cancelled midway and resumed; a failed task
 * reported with its log's last line and resubmitted alone. Skipped, with the reason, when no
 * Slurm controller answers here.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { RUN_FILES, type RunStatus } from '../../src/protocol/runDir';
import type { SweepPlan, SweepRunStatus } from '../../src/protocol/sweep';
import type { SweepReport } from '../../src/trainer/sweep/report';
import { slurmReachable } from '../../src/trainer/sweep/slurm';
import { ensureBuilt, runCli } from '../helpers/cli';
import { readJsonFile, tempDir, tinyExperiment, writeExperiment } from '../helpers/experiment';

const tmp = tempDir('skd-sweep-slurm-');
after(tmp.cleanup);
let skipReason: string | undefined;

before(async () => {
  const r = await slurmReachable();
  if (!r.ok) skipReason = `no Slurm reachable here (${r.reason}); .ci/run starts a one-node cluster with scripts/slurm-up.sh`;
  else ensureBuilt();
});

const out = path.join(tmp.dir, 'runs');
const status = (dir: string) => (fs.existsSync(path.join(dir, RUN_FILES.status)) ? readJsonFile<RunStatus>(path.join(dir, RUN_FILES.status)) : undefined);

function writeSweep(name: string, sweep: Record<string, unknown>): string {
  const file = path.join(tmp.dir, `${name}.sweep.skd.json`);
  fs.writeFileSync(file, JSON.stringify({ name, experiment: 'base.skd.json', ...sweep }, null, 2));
  return file;
}

async function sweepStatus(dir: string): Promise<SweepRunStatus[]> {
  const r = await runCli(['sweep', 'status', dir, '--json'], { cwd: tmp.dir });
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { runs: SweepRunStatus[] }).runs;
}

/** Job ids of this sweep still in squeue (asked directly, not through skd). */
function inQueue(dir: string): string[] {
  const jobs = (readJsonFile<{ jobId: string }[]>(path.join(dir, 'slurm', 'jobs.json'))).map((j) => j.jobId);
  const text = execFileSync('squeue', ['--noheader', '--array', '--format=%F'], { encoding: 'utf8' });
  return text.split('\n').map((l) => l.trim()).filter((id) => jobs.includes(id));
}

async function waitUntil(what: string, f: () => boolean | Promise<boolean>, timeoutMs = 240_000): Promise<void> {
  const t0 = Date.now();
  while (!(await f())) {
    assert.ok(Date.now() - t0 < timeoutMs, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

function skipped(t: TestContext): boolean {
  if (skipReason) t.skip(skipReason);
  return skipReason !== undefined;
}

describe('skd sweep --executor slurm', () => {
  before(() => writeExperiment(tmp.dir, 'base', tinyExperiment()));

  it('a teacher job, a student array after it, followed through squeue, one table', async (t) => {
    if (skipped(t)) return;
    const file = writeSweep('methods', { grid: { 'method.name': ['kd', 'skd'] }, seeds: 2, baseline: 'kd', slurm: { partition: 'main', cpusPerTask: 1 } });
    const dir = path.join(out, 'methods');
    const r = await runCli(['sweep', file, '--executor', 'slurm', '--out', out], { cwd: tmp.dir });
    assert.equal(r.code, 0, r.stderr);
    const jobs = readJsonFile<{ jobId: string; array: boolean; runs: string[]; dependsOn?: string }[]>(path.join(dir, 'slurm', 'jobs.json'));
    assert.equal(jobs.length, 2);
    assert.deepEqual(jobs[0].runs, ['teacher']);
    assert.equal(jobs[1].array, true);
    assert.deepEqual(jobs[1].runs, ['kd-s1', 'skd-s1', 'kd-s2', 'skd-s2']);
    assert.equal(jobs[1].dependsOn, jobs[0].jobId);
    assert.match(fs.readFileSync(path.join(dir, 'slurm', 'teacher.0.sh'), 'utf8'), /#SBATCH --partition=main/);
    await waitUntil('the sweep to leave squeue', () => inQueue(dir).length === 0);
    const plan = readJsonFile<SweepPlan>(path.join(dir, 'sweep.json'));
    const teacherDone = Date.parse(status(path.join(dir, 'teacher'))!.updated!);
    for (const run of plan.runs) {
      assert.equal(status(path.join(dir, run.name))?.state, 'done', run.name);
      if (run.kind === 'student') assert.ok(Date.parse(status(path.join(dir, run.name))!.started!) >= teacherDone - 1000, `${run.name} ran after its teacher`);
    }
    assert.ok((await sweepStatus(dir)).every((s) => s.state === 'done'));
    const rep = await runCli(['sweep', 'report', dir, '--format', 'json'], { cwd: tmp.dir });
    assert.equal(rep.code, 0, rep.stderr);
    const report = JSON.parse(rep.stdout) as SweepReport;
    assert.deepEqual(report.groups.map((g) => [g.group, g.runs]), [['kd', 2], ['skd', 2]]);
    assert.equal(report.groups[1].vsBaseline?.test?.n, 2);
    assert.deepEqual(report.missing, []);
  });

  it('cancelled midway, then resumed; a failed task is reported and resubmitted alone', async (t) => {
    if (skipped(t)) return;
    const file = writeSweep('cancelled', { set: { 'student.epochs': 6, 'data.limit.train': 1500 }, grid: { 'method.name': ['kd', 'at'] }, seeds: 2, slurm: { maxRunning: 1 } });
    const dir = path.join(out, 'cancelled');
    const r = await runCli(['sweep', file, '--executor', 'slurm', '--out', out], { cwd: tmp.dir });
    assert.equal(r.code, 0, r.stderr);
    await waitUntil('a student to train', async () => (await sweepStatus(dir)).some((s) => s.kind === 'student' && s.state === 'running' && status(path.join(dir, s.name))?.phase === 'student'));
    const c = await runCli(['sweep', 'cancel', dir], { cwd: tmp.dir });
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, /cancelled job\(s\)/);
    await waitUntil('the cancelled jobs to leave squeue', () => inQueue(dir).length === 0);
    await waitUntil('the runs to checkpoint', async () => !(await sweepStatus(dir)).some((s) => s.state === 'running'), 60_000);
    const afterCancel = await sweepStatus(dir);
    assert.ok(afterCancel.some((s) => s.state === 'stopped'), JSON.stringify(afterCancel));
    assert.ok(afterCancel.some((s) => s.state !== 'done'));

    // One run that has not started gets a bad experiment: its task fails and says why.
    // One array task at a time (maxRunning 1): the other students had not started.
    const victim = afterCancel.find((s) => s.kind === 'student' && s.state === 'not started');
    assert.ok(victim, JSON.stringify(afterCancel));
    const expFile = path.join(dir, 'experiments', `${victim.name}.json`);
    const good = fs.readFileSync(expFile, 'utf8');
    fs.writeFileSync(expFile, good.replace('"name": "', '"name": "bad name '));

    const again = await runCli(['sweep', dir, '--executor', 'slurm', '--wait'], { cwd: tmp.dir, timeoutMs: 300_000 });
    const finalStates = await sweepStatus(dir);
    {
      assert.equal(again.code, 1, again.stderr);
      const failed = finalStates.find((s) => s.name === victim.name)!;
      assert.equal(failed.state, 'failed');
      assert.match(failed.detail ?? '', /^skd: .*name: /, 'the log\'s last line: the one-line reason');
      assert.ok(failed.log && fs.existsSync(failed.log));
      assert.match(again.stderr, new RegExp(`${victim.name}: failed: `));
      fs.writeFileSync(expFile, good);
      const alone = await runCli(['sweep', dir, '--executor', 'slurm', '--only', victim.name, '--wait'], { cwd: tmp.dir, timeoutMs: 300_000 });
      assert.equal(alone.code, 0, alone.stderr);
      const jobs = readJsonFile<{ runs: string[] }[]>(path.join(dir, 'slurm', 'jobs.json'));
      assert.deepEqual(jobs[jobs.length - 1].runs, [victim.name], 'resubmitted alone');
    }
    for (const s of await sweepStatus(dir)) assert.equal(s.state, 'done', s.name);
    const logs = fs.readdirSync(path.join(dir, 'slurm', 'logs')).map((f) => fs.readFileSync(path.join(dir, 'slurm', 'logs', f), 'utf8')).join('\n');
    assert.match(logs, /resuming the interrupted run/);
  });
});
