import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { plannedRuns } from '../../../src/protocol/bench';
import type { Experiment } from '../../../src/protocol/experiment';
import {
  BENCH_METHODS,
  benchBase,
  formatDiff,
  formatMethodsTable,
  methodRows,
  readMethodsReport,
  runMethodsBench,
  studentExperiment,
  type MethodsBenchReport,
} from '../../../src/trainer/bench/methods';
import { validateExperimentObject } from '../../../src/trainer/config/validate';
import { parseSetOption } from '../../../src/trainer/config/overrides';
import { isInputError } from '../../../src/trainer/errors';
import { benchRecord } from '../../helpers/benchRecords';
import { fakeBenchRunner } from '../../helpers/fakeBenchRunner';
import { tempDir } from '../../helpers/experiment';
import { currentTrainerIdentity } from '../../../src/trainer/runDir/trainerIdentity';

const tmp = tempDir('skd-bench-methods-');
after(tmp.cleanup);

const close = (a: number | null | undefined, b: number, eps = 1e-9) => assert.ok(a !== null && a !== undefined && Math.abs(a - b) < eps, `${a} != ${b}`);

const record = benchRecord;

describe('methodRows', () => {
  // test accuracy by seed:   none .80 .82 .81   kd .83 .84 .83   skd .84 .84 .85 (seed 3 missing for val of skd)
  const records = [
    record('none', 1, 0.8, 0.78),
    record('none', 2, 0.82, 0.8),
    record('none', 3, 0.81, 0.79),
    record('kd', 1, 0.83, 0.81),
    record('kd', 2, 0.84, 0.83),
    record('kd', 3, 0.83, 0.82),
    record('skd', 1, 0.84, 0.82),
    record('skd', 2, 0.84, 0.85),
    { ...record('skd', 3, 0.85, 0), valAcc: null },
  ];
  const rows = methodRows(['none', 'kd', 'skd', 'at'], records);
  const row = (m: string) => rows.find((r) => r.method === m)!;

  it('gives mean ± std of test and validation accuracy per method', () => {
    close(row('kd').test.mean, (0.83 + 0.84 + 0.83) / 3);
    // deviations -1/3, 2/3, -1/3 (points / 100); variance (1/9 + 4/9 + 1/9) / 2 * 1e-4 = 1/3 * 1e-4
    close(row('kd').test.std, Math.sqrt(1e-4 / 3));
    close(row('kd').val.mean, 0.82);
    assert.equal(row('kd').runs, 3);
    assert.deepEqual(row('kd').test.bySeed, { '1': 0.83, '2': 0.84, '3': 0.83 });
    assert.deepEqual(row('skd').val.bySeed, { '1': 0.82, '2': 0.85 });
  });

  it('gives paired differences to KD and to the student alone', () => {
    // skd - kd test by seed: .01, 0, .02: mean .01, std .01, SE .01/sqrt(3), t sqrt(3)
    const t = row('skd').vsKd.test!;
    close(t.mean, 0.01);
    close(t.std, 0.01);
    close(t.se, 0.01 / Math.sqrt(3));
    close(t.t, Math.sqrt(3), 1e-6);
    // skd - kd validation, seeds 1 and 2 only: .01, .02: mean .015, std sqrt(.00005), SE .005
    const v = row('skd').vsKd.val!;
    assert.deepEqual(v.seeds, [1, 2]);
    close(v.mean, 0.015);
    close(v.se, 0.005);
    close(v.t, 3, 1e-6);
    // kd - none test: .03, .02, .02: mean .07/3
    close(row('kd').vsNone.test!.mean, 0.07 / 3);
    assert.equal(row('kd').vsKd.test, undefined);
    assert.equal(row('none').vsNone.test, undefined);
  });

  it('keeps a method without runs as an empty row', () => {
    assert.equal(row('at').runs, 0);
    assert.ok(Number.isNaN(row('at').test.mean));
    assert.equal(row('at').vsKd.test, undefined);
  });
});

describe('formatDiff', () => {
  it('prints points with sign, standard error and t', () => {
    assert.equal(formatDiff({ seeds: [1, 2], n: 2, mean: 0.0062, std: 0.003, se: 0.0021, t: 2.952 }), '+0.62 ± 0.21 (t 3.0)');
    assert.equal(formatDiff({ seeds: [1, 2], n: 2, mean: -0.005, std: 0, se: 0, t: null }), '-0.50 ± 0.00 (t —)');
    assert.equal(formatDiff({ seeds: [1], n: 1, mean: 0.01, std: 0, se: null, t: null }), '+1.00 (n 1)');
    assert.equal(formatDiff(undefined), '—');
  });
});

describe('formatMethodsTable', () => {
  const diff = (mean: number, se: number) => ({ seeds: [1, 2, 3, 4, 5], n: 5, mean, std: se * Math.sqrt(5), se, t: mean / se });
  const stats = (mean: number, std: number) => ({ mean, std, bySeed: {} });
  const report: MethodsBenchReport = {
    benchDir: '/runs/bench-methods-1',
    command: 'skd bench methods --data full',
    cwd: '/home/u/p',
    baseFile: '/p/examples/default.skd.json',
    data: { description: 'Fashion-MNIST, full (Debian idx in /usr/share/datasets/fashion-mnist)', name: 'fashion-mnist', train: 54000, validation: 6000, test: 10000 },
    notes: ['data.limit.test (1000) of the base experiment removed: every run is tested on the full test split'],
    teacher: { dir: '/runs/bench-methods-1/teacher', model: 'resnet depth 8 width 8 12 epochs', testAcc: 0.9123, params: 78000, seconds: 600 },
    student: { model: 'cnn width 4 12 epochs', params: 5000, epochs: 12 },
    seeds: [1, 2, 3, 4, 5],
    methods: ['none', 'kd', 'skd'],
    rows: [
      { method: 'none', runs: 5, seeds: [1, 2, 3, 4, 5], test: stats(0.85, 0.003), val: stats(0.86, 0.002), heldOutVal: stats(NaN, NaN), imageSe: {}, vsKd: { test: diff(-0.012, 0.002), val: diff(-0.01, 0.002) }, vsNone: {}, seconds: 60, epochSeconds: 5 },
      { method: 'kd', runs: 5, seeds: [1, 2, 3, 4, 5], test: stats(0.862, 0.002), val: stats(0.87, 0.002), heldOutVal: stats(NaN, NaN), imageSe: {}, vsKd: {}, vsNone: { test: diff(0.012, 0.002), val: diff(0.01, 0.002) }, seconds: 62, epochSeconds: 5.1 },
      { method: 'skd', runs: 4, seeds: [1, 2, 3, 4], test: stats(0.867, 0.004), val: stats(0.874, 0.001), heldOutVal: stats(NaN, NaN), imageSe: {}, vsKd: { test: diff(0.005, 0.001), val: diff(0.004, 0.002) }, vsNone: { test: diff(0.017, 0.002), val: diff(0.014, 0.002) }, seconds: 80, epochSeconds: 6.2 },
    ],
    missing: ['skd-s5 (stopped)'],
    secondsPerRun: 67,
  };
  const text = formatMethodsTable(report);
  const lines = text.split('\n');

  it('states data, teacher, student, seeds, command and notes', () => {
    assert.equal(lines[0], 'data: Fashion-MNIST, full (Debian idx in /usr/share/datasets/fashion-mnist); 54000 fit / 6000 validation / 10000 test images');
    assert.equal(lines[1], 'teacher: resnet depth 8 width 8 12 epochs, 91.23% test accuracy, 78000 parameters, 600 s');
    assert.equal(lines[2], 'student: cnn width 4 12 epochs, 5000 parameters; 67 s per student run');
    assert.match(lines[3], /^seeds: 1, 2, 3, 4, 5 \(paired/);
    assert.equal(lines[4], 'command: skd bench methods --data full  (in /home/u/p)');
    assert.match(text, /note: data\.limit\.test \(1000\) of the base experiment removed/);
  });

  it('says how many of the fit images the students learn from, when fewer (data.limit.student)', () => {
    const subset = formatMethodsTable({ ...report, data: { ...report.data, student: 5400 } });
    assert.equal(subset.split('\n')[0], 'data: Fashion-MNIST, full (Debian idx in /usr/share/datasets/fashion-mnist); 54000 fit (the students learn from 5400 of them) / 6000 validation / 10000 test images');
  });

  it('prints one table row per method with paired differences', () => {
    assert.ok(lines.includes('| method | runs | test % (mean ± std) | best val % | Δ test vs KD | Δ val vs KD | Δ test vs none | Δ val vs none | s / run | s / epoch |'));
    assert.ok(lines.includes('| skd | 4 | 86.70 ± 0.40 | 87.40 | +0.50 ± 0.10 (t 5.0) | +0.40 ± 0.20 (t 2.0) | +1.70 ± 0.20 (t 8.5) | +1.40 ± 0.20 (t 7.0) | 80 | 6.2 |'));
    assert.ok(lines.includes('| kd | 5 | 86.20 ± 0.20 | 87.00 | — | — | +1.20 ± 0.20 (t 6.0) | +1.00 ± 0.20 (t 5.0) | 62 | 5.1 |'));
    assert.ok(lines.includes('| none | 5 | 85.00 ± 0.30 | 86.00 | -1.20 ± 0.20 (t -6.0) | -1.00 ± 0.20 (t -5.0) | — | — | 60 | 5.0 |'), text);
  });

  it('sums up SKD against KD, the student alone, and what is unfinished', () => {
    assert.ok(lines.includes('SKD - KD (goal ≥ +0.50): test +0.50 ± 0.10 (t 5.0), validation +0.40 ± 0.20 (t 2.0) over 5 paired seeds'));
    assert.ok(lines.includes('every method is above the student alone (paired test Δ > 0)'));
    assert.ok(lines.includes('unfinished runs (1): skd-s5 (stopped)'));
    assert.ok(lines.includes('continue with: skd bench methods --resume /runs/bench-methods-1'));
  });
});

describe('the bench experiments', () => {
  const base: Experiment = {
    name: 'mine',
    seed: 7,
    data: { format: 'idx', dir: '/data/fm', limit: { train: 5000, test: 1000 }, validation: 0.1 },
    teacher: { model: 'resnet', depth: 8, width: 8, epochs: 4 },
    student: { model: 'cnn', width: 4, epochs: 4 },
    method: { name: 'skd', stages: 2, temperature: 4, alpha: 0.5 },
    training: { batchSize: 64, optimizer: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 5e-4 },
    backend: 'auto',
  };

  it('keeps the base experiment, tests on the full test split and fixes the data seed', () => {
    const b = benchBase(base, { data: 'auto', explicitBase: true, fullInstalled: true, limitTrain: 2000, studentEpochs: 6 });
    assert.deepEqual(b.experiment.data, { format: 'idx', dir: '/data/fm', limit: { train: 2000 }, validation: 0.1, seed: 7 });
    assert.equal(b.experiment.student.epochs, 6);
    assert.equal(b.experiment.method.alpha, 0.5);
    assert.match(b.notes[0], /data\.limit\.test \(1000\) .* removed/);
    assert.equal(b.dataDescription, 'idx in /data/fm, 2000 training images');
    assert.deepEqual(base.data.limit, { train: 5000, test: 1000 }, 'the base is not modified');
  });

  it('uses full Fashion-MNIST or the builtin subset when asked', () => {
    const full = benchBase(base, { data: 'full', explicitBase: true, fullInstalled: true }).experiment.data;
    assert.equal(full.format, 'idx');
    assert.equal(full.dir, '/usr/share/datasets/fashion-mnist');
    assert.deepEqual(full.limit, { train: 5000 });
    const builtin = benchBase(base, { data: 'builtin', explicitBase: true, fullInstalled: true }).experiment.data;
    assert.equal(builtin.format, 'builtin');
    assert.equal(builtin.dir, undefined);
    const auto = benchBase({ ...base, data: { format: 'builtin', name: 'fashion-mnist-mini' } }, { data: 'auto', explicitBase: false, fullInstalled: false });
    assert.equal(auto.experiment.data.format, 'builtin');
    assert.equal(auto.experiment.data.limit, undefined);
  });

  it('gives every student the shared teacher, its seed, and no student alone', () => {
    const e = studentExperiment(base, 'kd', 3, '/b/teacher') as Experiment & { studentAlone?: boolean };
    assert.equal(e.name, 'kd-s3');
    assert.equal(e.seed, 3);
    assert.deepEqual(e.teacher, { run: '/b/teacher' });
    assert.equal(e.method.name, 'kd');
    assert.equal(e.method.alpha, 0.5);
    assert.equal(e.studentAlone, false);
  });

  it('plans runs seed by seed, the teacher run standing for `none` at its seed', () => {
    const runs = plannedRuns({ methods: ['none', 'kd'], seeds: [1, 2], teacher: { dir: '/t', trainedHere: true, seed: 1 } });
    assert.deepEqual(runs.map((r) => r.name), ['kd-s1', 'none-s2', 'kd-s2']);
    const reused = plannedRuns({ methods: ['none', 'kd'], seeds: [1], teacher: { dir: '/t', trainedHere: false, seed: 1 } });
    assert.deepEqual(reused.map((r) => r.name), ['none-s1', 'kd-s1']);
  });

  it('lists the methods in one constant, skd-no-stages included, each a valid student experiment', () => {
    assert.deepEqual([...BENCH_METHODS], ['none', 'kd', 'fitnet', 'at', 'rco', 'dkd', 'skd', 'skd-no-tbt', 'skd-no-tet', 'skd-no-stages']);
    for (const m of BENCH_METHODS) {
      const issues = validateExperimentObject(studentExperiment(base, m, 1, '/b/teacher'), path.join(tmp.dir, 'x.skd.json'), { checkFiles: false });
      assert.deepEqual(issues.filter((i) => i.severity === 'error'), [], m);
    }
  });
});

describe('runMethodsBench, --resume and --report (a fake runner that writes run directories)', () => {
  const ACC: Record<string, number> = { none: 0.8, kd: 0.82, rco: 0.81, skd: 0.83 };
  const { runner: fakeRunner, jobs } = fakeBenchRunner((exp) => ACC[exp.method.name] + exp.seed * 0.001 + (exp.method.name === 'skd' && exp.seed === 2 ? 0.002 : 0));
  const logs: string[] = [];
  let report: MethodsBenchReport;

  it('trains the teacher once and every other run against it', async () => {
    report = await runMethodsBench({ data: 'builtin', seeds: 2, methods: ['none', 'kd', 'skd'], outDir: tmp.dir, parallel: 2, command: 'skd bench methods --seeds 2', log: (l) => logs.push(l), runner: fakeRunner });
    assert.deepEqual(jobs.map((j) => j.name).sort(), ['kd-s1', 'kd-s2', 'none-s2', 'skd-s1', 'skd-s2', 'teacher']);
    assert.equal(jobs[0].name, 'teacher');
    const kd = JSON.parse(fs.readFileSync(path.join(report.benchDir, 'kd-s2.skd.json'), 'utf8')) as Experiment & { studentAlone?: boolean };
    assert.deepEqual(kd.teacher, { run: path.join(report.benchDir, 'teacher') });
    assert.equal(kd.studentAlone, false);
    assert.equal(kd.data.seed, 1);
    assert.equal(kd.data.limit?.test, undefined);
  });

  it('reports per method, the teacher run as `none` of its seed, and writes report.json and report.md', () => {
    const row = (m: string) => report.rows.find((r) => r.method === m)!;
    assert.deepEqual(report.missing, []);
    assert.equal(row('none').runs, 2);
    close(row('none').test.mean, 0.8015);
    close(row('none').val.mean, 0.8065);
    // skd - kd by seed: .01, .012: mean .011, SE .001
    close(row('skd').vsKd.test!.mean, 0.011);
    close(row('skd').vsKd.test!.se, 0.001);
    close(row('skd').vsKd.val!.mean, 0.011);
    close(row('kd').vsNone.test!.mean, 0.02);
    // the teacher run's time is its student's epochs only (2 + 4), the others 7 s
    close(row('none').seconds, (6 + 7) / 2);
    assert.equal(report.teacher.testAcc, 0.88);
    assert.equal(report.teacher.seconds, 60);
    assert.equal(report.student.params, 321);
    assert.deepEqual(report.data, { description: 'fashion-mnist-mini (builtin subset of Fashion-MNIST)', name: 'fashion-mnist-mini', train: 900, validation: 100, test: 1000 });
    assert.equal(report.command, 'skd bench methods --seeds 2');
    assert.deepEqual(report.seeds, [1, 2]);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(report.benchDir, 'report.json'), 'utf8')), JSON.parse(JSON.stringify(report)));
    assert.equal(fs.readFileSync(path.join(report.benchDir, 'report.md'), 'utf8'), formatMethodsTable(report));
  });

  it('an earlier run kept in the folder under another name does not stand in for the bench run', () => {
    const kdBefore = readMethodsReport(report.benchDir).rows.find((x) => x.method === 'kd')!.test.mean;
    // Sorted after kd-s1, so read last: the report must still take kd-s1 for (kd, seed 1).
    const kept = path.join(report.benchDir, 'zz-earlier-kd-s1');
    fs.cpSync(path.join(report.benchDir, 'kd-s1'), kept, { recursive: true });
    const summary = JSON.parse(fs.readFileSync(path.join(kept, 'summary.json'), 'utf8'));
    summary.student.testAcc = 0.1;
    fs.writeFileSync(path.join(kept, 'summary.json'), JSON.stringify(summary));
    try {
      const kd = readMethodsReport(report.benchDir).rows.find((x) => x.method === 'kd')!;
      assert.equal(kd.runs, 2);
      close(kd.test.mean, kdBefore);
    } finally {
      fs.rmSync(kept, { recursive: true });
    }
  });

  it('--report summarises an interrupted folder and lists what is missing', () => {
    const dir = path.join(report.benchDir, 'skd-s2');
    fs.rmSync(path.join(dir, 'summary.json'));
    fs.writeFileSync(path.join(dir, 'status.json'), JSON.stringify({ state: 'stopped', updated: new Date().toISOString() }));
    fs.rmSync(path.join(report.benchDir, 'kd-s2'), { recursive: true });
    const r = readMethodsReport(report.benchDir);
    assert.deepEqual(r.missing, ['kd-s2 (not started)', 'skd-s2 (stopped)']);
    const skd = r.rows.find((x) => x.method === 'skd')!;
    assert.equal(skd.runs, 1);
    assert.equal(skd.vsKd.test!.n, 1);
    assert.match(formatMethodsTable(r), /unfinished runs \(2\): kd-s2 \(not started\), skd-s2 \(stopped\)/);
  });

  it('--resume skips finished runs, resumes interrupted ones and starts missing ones', async () => {
    jobs.length = 0;
    const r = await runMethodsBench({ resume: report.benchDir, parallel: 1, log: (l) => logs.push(l), runner: fakeRunner });
    assert.deepEqual(jobs.map((j) => [j.name, j.resume]).sort(), [['kd-s2', false], ['skd-s2', true]]);
    assert.deepEqual(r.missing, []);
    assert.equal(r.rows.find((x) => x.method === 'skd')!.runs, 2);
  });

  it('--resume can add seeds', async () => {
    jobs.length = 0;
    const r = await runMethodsBench({ resume: report.benchDir, seeds: 3, parallel: 1, log: (l) => logs.push(l), runner: fakeRunner });
    assert.deepEqual(jobs.map((j) => j.name), ['none-s3', 'kd-s3', 'skd-s3']);
    assert.deepEqual(r.seeds, [1, 2, 3]);
    assert.equal(r.rows.find((x) => x.method === 'skd')!.vsKd.test!.n, 3);
  });

  it('--resume --methods runs only those methods and adds them to the report, which keeps the others', async () => {
    jobs.length = 0;
    const kdBefore = readMethodsReport(report.benchDir).rows.find((x) => x.method === 'kd')!;
    const r = await runMethodsBench({ resume: report.benchDir, methods: ['rco'], parallel: 1, log: (l) => logs.push(l), runner: fakeRunner });
    assert.deepEqual(jobs.map((j) => j.name), ['rco-s1', 'rco-s2', 'rco-s3']);
    assert.deepEqual(r.rows.map((x) => x.method), ['none', 'kd', 'rco', 'skd']);
    assert.deepEqual(r.rows.find((x) => x.method === 'kd'), kdBefore);
    // The next report of the folder, and a resume without --methods, see all four.
    assert.deepEqual(readMethodsReport(report.benchDir).rows.map((x) => x.method), ['none', 'kd', 'rco', 'skd']);
  });

  it('two benches started in the same second get their own folders', async () => {
    const out = path.join(tmp.dir, 'same-second');
    const start = () => runMethodsBench({ data: 'builtin', seeds: 1, methods: ['none', 'kd'], outDir: out, parallel: 1, log: () => undefined, runner: fakeRunner });
    const [a, b] = await Promise.all([start(), start()]);
    assert.notEqual(a.benchDir, b.benchDir);
    for (const r of [a, b]) assert.equal(r.rows.find((x) => x.method === 'kd')!.runs, 1);
  });

  it('--resume leaves a run alone that another process is still training', async () => {
    jobs.length = 0;
    const dir = path.join(report.benchDir, 'kd-s3');
    fs.rmSync(path.join(dir, 'summary.json'));
    fs.writeFileSync(path.join(dir, 'status.json'), JSON.stringify({ state: 'running', ...currentTrainerIdentity(), updated: new Date().toISOString() }));
    const r = await runMethodsBench({ resume: report.benchDir, parallel: 1, log: (l) => logs.push(l), runner: fakeRunner });
    assert.deepEqual(jobs, []);
    assert.ok(fs.existsSync(path.join(dir, 'experiment.json')));
    assert.deepEqual(r.missing, ['kd-s3 (running)']);
    assert.ok(logs.some((l) => /kd-s3 failed: still training in process/.test(l)));
  });

  it('summarises a folder without bench.json from the runs it holds', () => {
    fs.rmSync(path.join(report.benchDir, 'bench.json'));
    const r = readMethodsReport(report.benchDir);
    assert.deepEqual(r.methods, ['none', 'kd', 'rco', 'skd']);
    assert.deepEqual(r.seeds, [1, 2, 3]);
    assert.equal(r.rows.find((x) => x.method === 'none')!.runs, 3);
    assert.equal(r.rows.find((x) => x.method === 'kd')!.runs, 2);
    assert.equal(r.teacher.testAcc, 0.88);
  });

  it('--set overrides the base experiment for the teacher and every student; a bad value names its key', async () => {
    jobs.length = 0;
    const out = path.join(tmp.dir, 'with-set');
    const r = await runMethodsBench({
      data: 'builtin',
      seeds: 1,
      methods: ['none', 'kd'],
      outDir: out,
      parallel: 1,
      overrides: [parseSetOption('training.lr=0.2'), parseSetOption('student.epochs=6')],
      log: () => undefined,
      runner: fakeRunner,
    });
    for (const name of ['teacher', 'kd-s1']) {
      const exp = JSON.parse(fs.readFileSync(path.join(r.benchDir, `${name}.skd.json`), 'utf8')) as Experiment;
      assert.equal(exp.training.lr, 0.2, name);
      assert.equal(exp.student.epochs, 6, name);
    }
    await assert.rejects(
      runMethodsBench({ data: 'builtin', seeds: 1, methods: ['kd'], outDir: out, parallel: 1, overrides: [parseSetOption('training.lr=-1')], log: () => undefined, runner: fakeRunner }),
      (e: Error) => isInputError(e) && /--set training\.lr=-1/.test(e.message),
    );
  });

  it('refuses an unknown method before training anything', async () => {
    jobs.length = 0;
    await assert.rejects(
      runMethodsBench({ data: 'builtin', seeds: 1, methods: ['kd', 'no-such'], outDir: tmp.dir, parallel: 1, log: () => {}, runner: fakeRunner }),
      /no-such/,
    );
    assert.equal(jobs.length, 0);
  });
});
