/**
 * `skd sweep --executor local` on tiny data, as a user runs it: a shared teacher then the
 * students (2 methods x 2 seeds) on a queue of 2, the table, a rerun that skips everything, an
 * interrupted sweep that resumes; and `skd run --set`.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RUN_FILES, type RunStatus, type Summary } from '../../src/protocol/runDir';
import type { SweepPlan } from '../../src/protocol/sweep';
import type { SweepReport } from '../../src/trainer/sweep/report';
import type { PooledReport } from '../../src/trainer/bench/pooledMethods';
import { BIN, ensureBuilt, lines, ownLines, runCli } from '../helpers/cli';
import { readJsonFile, tempDir, tinyExperiment, writeExperiment } from '../helpers/experiment';

const tmp = tempDir('skd-sweep-local-');
after(tmp.cleanup);
before(() => ensureBuilt());

function writeSweep(name: string, sweep: Record<string, unknown>): string {
  const file = path.join(tmp.dir, `${name}.sweep.skd.json`);
  fs.writeFileSync(file, JSON.stringify({ name, experiment: 'base.skd.json', ...sweep }, null, 2));
  return file;
}

const status = (dir: string) => (fs.existsSync(path.join(dir, RUN_FILES.status)) ? readJsonFile<RunStatus>(path.join(dir, RUN_FILES.status)) : undefined);

describe('skd sweep --executor local', () => {
  const out = path.join(tmp.dir, 'runs');
  before(() => writeExperiment(tmp.dir, 'base', tinyExperiment()));

  it('trains the shared teacher once, then every student, and ends in the table', async () => {
    const file = writeSweep('methods', { grid: { 'method.name': ['kd', 'skd'] }, seeds: 2, baseline: 'kd' });
    const r = await runCli(['sweep', file, '--out', out, '--concurrency', '2'], { cwd: tmp.dir, timeoutMs: 300_000 });
    assert.equal(r.code, 0, r.stderr);
    const dir = path.join(out, 'methods');
    const plan = readJsonFile<SweepPlan>(path.join(dir, 'sweep.json'));
    assert.deepEqual(plan.runs.map((x) => x.name), ['teacher', 'kd-s1', 'skd-s1', 'kd-s2', 'skd-s2']);
    const teacherDone = Date.parse(status(path.join(dir, 'teacher'))!.updated!);
    for (const run of plan.runs) {
      const runDir = path.join(dir, run.name);
      assert.equal(status(runDir)?.state, 'done', run.name);
      const s = readJsonFile<Summary>(path.join(runDir, RUN_FILES.summary));
      if (run.kind === 'student') {
        assert.equal(s.teacher.model, 'reused', `${run.name} reuses the shared teacher`);
        assert.equal(s.seed, run.seed);
        assert.equal(s.studentAlone, undefined, 'no student alone reported in sweep runs');
        // SKD's stage check measures the stages against the student alone all the same.
        assert.equal(fs.existsSync(path.join(runDir, RUN_FILES.alone)), run.group === 'skd', run.name);
        const started = Date.parse(status(runDir)!.started!);
        assert.ok(started >= teacherDone - 1000, `${run.name} started after the teacher finished`);
      }
    }
    // Only the teacher run trained a teacher.
    const trained = plan.runs.filter((x) => fs.existsSync(path.join(dir, x.name, RUN_FILES.teacher, 'teacher.json')));
    assert.deepEqual(trained.map((x) => x.name), ['teacher']);
    const report = readJsonFile<SweepReport>(path.join(dir, 'report.json'));
    assert.deepEqual(report.groups.map((g) => [g.group, g.runs]), [['kd', 2], ['skd', 2]]);
    assert.equal(report.groups[1].vsBaseline?.test?.n, 2);
    assert.deepEqual(report.missing, []);
    assert.ok(fs.existsSync(path.join(dir, 'report.csv')) && fs.existsSync(path.join(dir, 'report.txt')));
    assert.ok(lines(r.stdout).some((l) => /^skd\s+2\s+\d+\.\d\d ± \d+\.\d\d\s+[+-±]\d+\.\d\d/.test(l)), r.stdout);
    // A sweep folder pools like a bench folder, its groups as the methods.
    const pooled = await runCli(['bench', 'methods', '--pool', dir, '--reference', 'kd', '--json'], { cwd: tmp.dir });
    assert.equal(pooled.code, 0, pooled.stderr);
    const skdRow = (JSON.parse(pooled.stdout) as PooledReport).rows.find((x) => x.method === 'skd')!;
    assert.equal(skdRow.vsReference?.test?.n, 2);
    assert.ok(Math.abs(skdRow.vsReference!.test!.mean - report.groups[1].vsBaseline!.test!.mean) < 1e-12);
    // With the held-out validation figure and the images' share of the standard errors, read from the runs.
    assert.ok(Math.abs(skdRow.vsReference!.heldOutVal!.mean - report.groups[1].vsBaseline!.heldOutVal!.mean) < 1e-12);
    assert.ok(skdRow.vsReference!.test!.seImages! >= 0 && skdRow.vsReference!.heldOutVal!.seImages! >= 0);

    const again = await runCli(['sweep', file, '--out', out], { cwd: tmp.dir, timeoutMs: 60_000 });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(ownLines(again.stderr).filter((l) => /finished earlier, skipped/.test(l)).length, 5, again.stderr);
    assert.ok(!/started/.test(again.stderr));

    const csv = await runCli(['sweep', 'report', dir, '--format', 'csv', '--baseline', 'skd'], { cwd: tmp.dir });
    assert.equal(csv.code, 0, csv.stderr);
    assert.match(lines(csv.stdout)[0], /^group,settings,runs,seeds,test_mean_pct/);
    assert.match(lines(csv.stdout)[1], /^kd,.*,skd,-?\d/);
    const st = await runCli(['sweep', 'status', dir, '--json'], { cwd: tmp.dir });
    assert.equal(st.code, 0, st.stderr);
    assert.ok((JSON.parse(st.stdout) as { runs: { state: string }[] }).runs.every((x) => x.state === 'done'));
  });

  it('a sweep folder moved elsewhere opens, compares, resumes and exports there (relative paths only)', async () => {
    const from = path.join(out, 'methods');
    const moved = path.join(tmp.dir, 'elsewhere', 'deeper', 'methods');
    fs.mkdirSync(path.dirname(moved), { recursive: true });
    fs.renameSync(from, moved);
    for (const name of ['teacher', 'kd-s1', 'skd-s2']) {
      // Every JSON file a run directory keeps (experiment, summary, alone, status, provenance, ...).
      for (const f of fs.readdirSync(path.join(moved, name)).filter((x) => x.endsWith('.json'))) {
        const text = fs.readFileSync(path.join(moved, name, f), 'utf8');
        assert.ok(!text.includes(tmp.dir), `${name}/${f} holds no absolute path: ${text}`);
      }
    }
    assert.deepEqual(readJsonFile<{ teacher: unknown }>(path.join(moved, 'kd-s1', RUN_FILES.experiment)).teacher, { run: '../teacher' });
    const cmp = await runCli(['compare', path.join(moved, 'kd-s1'), path.join(moved, 'skd-s1')], { cwd: tmp.dir });
    assert.equal(cmp.code, 0, cmp.stderr);
    const rep = await runCli(['sweep', 'report', moved], { cwd: tmp.dir });
    assert.equal(rep.code, 0, rep.stderr);
    assert.match(rep.stdout, /^skd\s+2\s/m);
    const exp = await runCli(['export', path.join(moved, 'kd-s1'), '--format', 'tfjs', '--out', path.join(tmp.dir, 'exported')], { cwd: tmp.dir, timeoutMs: 120_000 });
    assert.equal(exp.code, 0, exp.stderr);
    // An interrupted run in the moved folder resumes there, its teacher found beside it.
    const run = path.join(moved, 'skd-s2');
    const st = readJsonFile<RunStatus>(path.join(run, RUN_FILES.status));
    fs.writeFileSync(path.join(run, RUN_FILES.status), JSON.stringify({ ...st, state: 'stopped' }));
    fs.rmSync(path.join(run, RUN_FILES.summary));
    const res = await runCli(['resume', run, '--quiet'], { cwd: tmp.dir, timeoutMs: 120_000 });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(readJsonFile<Summary>(path.join(run, RUN_FILES.summary)).teacher.fromRun, '../teacher');
    fs.renameSync(moved, from);
  });

  it('an interrupted sweep stops its runs at a checkpoint; running it again resumes them', async () => {
    const file = writeSweep('interrupted', { set: { 'student.epochs': 6, 'data.limit.train': 1500 }, grid: { 'method.name': ['kd', 'at'] }, seeds: 1 });
    const dir = path.join(out, 'interrupted');
    const child = spawn(process.execPath, [BIN, 'sweep', file, '--out', out, '--concurrency', '2'], { cwd: tmp.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Wait until a student is training, then stop the sweep as a scheduler or a user would.
    const t0 = Date.now();
    while (!['kd-s1', 'at-s1'].some((n) => status(path.join(dir, n))?.phase === 'student')) {
      assert.ok(Date.now() - t0 < 180_000, `no student started: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGTERM');
    assert.equal(await exited, 3, stderr);
    assert.match(stderr, /stopped: continue with "skd sweep/);
    const states = ['kd-s1', 'at-s1'].map((n) => status(path.join(dir, n))?.state);
    assert.ok(states.includes('stopped'), JSON.stringify(states));

    const r = await runCli(['sweep', file, '--out', out], { cwd: tmp.dir, timeoutMs: 300_000 });
    assert.equal(r.code, 0, r.stderr);
    for (const n of ['teacher', 'kd-s1', 'at-s1']) assert.equal(status(path.join(dir, n))?.state, 'done', n);
    const resumed = ['kd-s1', 'at-s1'].filter((n) => /resuming the interrupted run/.test(fs.readFileSync(path.join(dir, 'logs', `${n}.log`), 'utf8')));
    assert.ok(resumed.length >= 1, 'a stopped run resumed from its checkpoint');
  });

  it('bad sweep input: one line, exit 2, nothing trained', async () => {
    const file = writeSweep('bad', { grid: { 'method.temperature': [0] } });
    const r = await runCli(['sweep', file, '--out', out], { cwd: tmp.dir });
    assert.equal(r.code, 2);
    const err = ownLines(r.stderr);
    assert.equal(err.length, 1, r.stderr);
    assert.match(err[0], /bad\.sweep\.skd\.json: method\.temperature \(group temperature0\): must be > 0/);
    assert.ok(!fs.existsSync(path.join(out, 'bad')));
    const exec = await runCli(['sweep', 'frobnicate-me'], { cwd: tmp.dir });
    assert.equal(exec.code, 2);
  });

  it('--experiment runs the same study on another base experiment', async () => {
    const file = writeSweep('study', { runs: [{ name: 'kd', set: { 'method.name': 'kd' } }, { name: 'hot', set: { 'method.name': 'kd', 'method.temperature': 8 } }] });
    const own = await runCli(['sweep', file, '--out', out, '--dry-run'], { cwd: tmp.dir });
    assert.equal(own.code, 0, own.stderr);
    assert.match(own.stdout, /^seeds: 1;/m);
    writeExperiment(tmp.dir, 'other', tinyExperiment({ name: 'other', seed: 7 }));
    const other = await runCli(['sweep', file, '--experiment', 'other.skd.json', '--out', out, '--dry-run'], { cwd: tmp.dir });
    assert.equal(other.code, 0, other.stderr);
    assert.match(other.stdout, /^groups: kd, hot$/m);
    assert.match(other.stdout, /^seeds: 7;/m, 'the seed of the other base');
    const missing = await runCli(['sweep', file, '--experiment', 'nowhere.skd.json', '--out', out], { cwd: tmp.dir });
    assert.equal(missing.code, 2);
    assert.match(ownLines(missing.stderr)[0], /study\.sweep\.skd\.json: experiment: cannot read .*nowhere\.skd\.json/);
    assert.ok(!fs.existsSync(path.join(out, 'study')));
  });
});

describe('skd run --set', () => {
  it('overrides typed by the schema; a bad one is one line naming it', async () => {
    const file = writeExperiment(tmp.dir, 'setme', tinyExperiment({ name: 'setme' }));
    const bad = await runCli(['run', file, '--set', 'student.epochs=two'], { cwd: tmp.dir });
    assert.equal(bad.code, 2);
    assert.deepEqual(ownLines(bad.stderr), ['skd: command line: --set student.epochs=two: must be an integer, got "two"']);
    const unknown = await runCli(['run', file, '--set', 'method.temprature=2'], { cwd: tmp.dir });
    assert.equal(unknown.code, 2);
    assert.match(ownLines(unknown.stderr)[0], /--set method\.temprature=2: unknown key "method\.temprature" \(method has: name, stages/);
    const runDir = path.join(tmp.dir, 'set-run');
    const ok = await runCli(['run', file, '--run-dir', runDir, '--quiet', '--set', 'method.name=kd', '--set', 'method.temperature=2', '--set', 'studentAlone=false'], { cwd: tmp.dir, timeoutMs: 120_000 });
    assert.equal(ok.code, 0, ok.stderr);
    const exp = readJsonFile<{ method: { name: string; temperature: number } }>(path.join(runDir, RUN_FILES.experiment));
    assert.equal(exp.method.name, 'kd');
    assert.equal(exp.method.temperature, 2);
  });
});
