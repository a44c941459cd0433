import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RUN_FILES, type RunStatus, type Summary } from '../../../src/protocol/runDir';
import { compareOutput, compareRows, groupRows, columnNamed, stat } from '../../../src/trainer/commands/compareTable';
import { isInputError } from '../../../src/trainer/errors';
import { PROVENANCE_FILE, type Provenance } from '../../../src/trainer/engine/provenance';
import { currentTrainerIdentity } from '../../../src/trainer/runDir/trainerIdentity';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'skd-compare-'));
process.on('exit', () => fs.rmSync(root, { recursive: true, force: true }));

function makeRun(id: string, o: { method: string; seed: number; state: RunStatus['state']; student?: number; alone?: number; provenance?: Provenance }): string {
  const dir = path.join(root, id);
  fs.mkdirSync(dir, { recursive: true });
  const exp = {
    name: 'exp',
    seed: o.seed,
    data: { format: 'builtin', name: 'shapes' },
    teacher: { model: 'resnet', depth: 20, epochs: 4 },
    student: { model: 'cnn', width: 8, epochs: 3 },
    method: { name: o.method, stages: 2, temperature: 4, alpha: 0.9 },
    training: {},
    backend: 'cpu',
  };
  fs.writeFileSync(path.join(dir, RUN_FILES.experiment), JSON.stringify(exp));
  // A running one is this process, recorded as a trainer records itself (pid, start time, host, boot).
  const status: RunStatus = { state: o.state, updated: new Date().toISOString(), ...(o.state === 'running' ? currentTrainerIdentity() : {}) };
  fs.writeFileSync(path.join(dir, RUN_FILES.status), JSON.stringify(status));
  if (o.state === 'done') {
    const s: Summary = {
      name: 'exp',
      method: o.method,
      seed: o.seed,
      backend: 'cpu',
      data: 'shapes',
      teacher: { model: 'resnet', testAcc: 0.9, params: 1000 },
      student: { model: 'cnn', testAcc: o.student ?? 0, params: 100 },
      ...(o.alone !== undefined ? { studentAlone: { testAcc: o.alone }, gain: (o.student ?? 0) - o.alone } : {}),
      seconds: 12.5,
      runDir: dir,
      finished: new Date().toISOString(),
    };
    fs.writeFileSync(path.join(dir, RUN_FILES.summary), JSON.stringify(s));
  }
  if (o.provenance) fs.writeFileSync(path.join(dir, PROVENANCE_FILE), JSON.stringify(o.provenance));
  return dir;
}

const prov: Provenance = { skdLab: '0.1.0', node: 'v22.3.0', tfjs: '4.22.0', backend: 'cpu', host: 'box', gitCommit: 'abcdef0123456789abcdef0123456789abcdef01', time: '2026-01-01T00:00:00Z' };
const kd1 = makeRun('kd-1', { method: 'kd', seed: 1, state: 'done', student: 0.7, alone: 0.68, provenance: prov });
const kd2 = makeRun('kd-2', { method: 'kd', seed: 2, state: 'done', student: 0.74, alone: 0.7 });
const skd1 = makeRun('skd-1', { method: 'skd', seed: 1, state: 'done', student: 0.8, alone: 0.7 });
const skd2 = makeRun('skd-2', { method: 'skd', seed: 2, state: 'running' });
const skd3 = makeRun('skd-3', { method: 'skd', seed: 3, state: 'failed' });
const all = [kd1, kd2, skd1, skd2, skd3];

test('unfinished runs are rows with their state and hyperparameters, not an error', () => {
  const rows = compareRows(all);
  assert.deepEqual(rows.map((r) => r.state), ['done', 'done', 'done', 'running', 'failed']);
  const r = rows[3];
  assert.equal(r.student, undefined);
  assert.equal(r.method, 'skd');
  assert.equal(r.temperature, 4);
  assert.equal(r.alpha, 0.9);
  assert.equal(r.studentEpochs, 3);
  assert.equal(r.stages, 2);
  assert.equal(r.teacherModel, 'resnet-20');
  assert.equal(r.studentModel, 'cnnx8');
  assert.equal(r.data, 'shapes');
  assert.equal(rows[0].studentAlone, 0.68);
  assert.ok(Math.abs(rows[0].gain! - 0.02) < 1e-9);
  assert.equal(rows[0].provenance?.gitCommit, prov.gitCommit);
  const text = compareOutput(all);
  assert.match(text.split('\n')[0], /^run\s+state\s+method\s+seed\s+T\s+alpha\s+epochs\s+stages\s+teacher model\s+student model\s+data\s+teacher\s+alone\s+student\s+gain\s+seconds\s+provenance$/);
  assert.match(text, /skd-2\s+running\s+skd\s+2\s/);
  assert.match(text, /skd-3\s+failed\s/);
  assert.match(text, /kd-1 .* 70\.00%\s+\+2\.00 pt\s+12\.5\s+0\.1\.0 node22 tf4\.22 cpu abcdef0/);
});

test('a folder that is not a run directory is still an error naming it', () => {
  assert.throws(() => compareRows([root]), (e: unknown) => isInputError(e) && /not a run directory/.test(e.message));
});

test('--sort student puts the best student first and unfinished runs last', () => {
  const rows = JSON.parse(compareOutput(all, { sort: 'student', format: 'json' })) as { run: string }[];
  assert.deepEqual(rows.map((r) => r.run), ['skd-1', 'kd-2', 'kd-1', 'skd-2', 'skd-3']);
  const bySeed = JSON.parse(compareOutput(all, { sort: 'seed', format: 'json' })) as { seed: number }[];
  assert.deepEqual(bySeed.map((r) => r.seed), [1, 1, 2, 2, 3]);
  assert.equal(columnNamed('student-epochs', '--sort').key, 'studentEpochs');
  assert.throws(() => columnNamed('nope', '--sort'), (e: unknown) => isInputError(e) && e.field === '--sort' && /unknown column/.test(e.message));
});

test('--group-by method: one row per method with mean ± std and the run count', () => {
  const groups = groupRows(compareRows(all), columnNamed('method', '--group-by'));
  assert.deepEqual(groups.map((g) => [g.value, g.runs, g.finished]), [['kd', 2, 2], ['skd', 3, 1]]);
  const kd = groups[0].metrics.student!;
  assert.ok(Math.abs(kd.mean - 0.72) < 1e-9);
  assert.ok(Math.abs(kd.std - stat([0.7, 0.74])!.std) < 1e-12);
  assert.equal(kd.n, 2);
  assert.equal(groups[1].metrics.student!.std, 0);
  assert.equal(groups[0].common.temperature, '4');
  assert.equal(groups[0].common.seed, '*');
  const text = compareOutput(all, { groupBy: 'method', sort: 'student' });
  const lines = text.trim().split('\n');
  assert.match(lines[0], /^method\s+runs\s/);
  assert.match(lines[2], /^skd\s+3 \(1 done\)\s.*80\.00 ± 0\.00%/);
  assert.match(lines[3], /^kd\s+2\s.*72\.00 ± 2\.83%/);
});

test('stat: sample standard deviation', () => {
  assert.deepEqual(stat([2, 4, 4, 4, 5, 5, 7, 9]), { mean: 5, std: Math.sqrt(32 / 7), n: 8 });
  assert.equal(stat([]), undefined);
});

test('--csv: one header, one line per run, provenance columns; grouped CSV has mean/std/n', () => {
  const csv = compareOutput([kd1, skd2], { format: 'csv' }).trim().split('\n');
  const header = csv[0].split(',');
  assert.equal(csv.length, 3);
  for (const col of ['run', 'state', 'method', 'seed', 'temperature', 'alpha', 'studentEpochs', 'stages', 'teacherModel', 'studentModel', 'data', 'teacher', 'studentAlone', 'student', 'gain', 'provenance.skdLab', 'provenance.tfjs', 'provenance.gitCommit']) {
    assert.ok(header.includes(col), col);
  }
  const kdCells = csv[1].split(',');
  assert.equal(kdCells[header.indexOf('student')], '0.7');
  assert.equal(kdCells[header.indexOf('provenance.gitCommit')], prov.gitCommit);
  assert.equal(csv[2].split(',')[header.indexOf('state')], 'running');
  const grouped = compareOutput(all, { format: 'csv', groupBy: 'method' }).trim().split('\n');
  assert.equal(grouped.length, 3);
  const gh = grouped[0].split(',');
  assert.ok(gh.includes('student.mean') && gh.includes('student.std') && gh.includes('runs'));
  assert.equal(grouped[2].split(',')[gh.indexOf('runs')], '3');
});
