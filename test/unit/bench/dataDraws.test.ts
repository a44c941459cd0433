/** `skd bench methods --data-seeds`: one bench per draw of the data, pooled (a runner that writes run directories). */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import type { Experiment } from '../../../src/protocol/experiment';
import { drawBenchDirs, formatDrawsTable, parseDataSeeds, readDrawsReport, runDrawsBench, type DrawsReport } from '../../../src/trainer/bench/dataDraws';
import { imageSetsOf } from '../../../src/trainer/bench/methods';
import { parseSetOption } from '../../../src/trainer/config/overrides';
import { encodeCorrect } from '../../../src/trainer/runDir/heldOutValidation';
import { isInputError } from '../../../src/trainer/errors';
import { fakeBenchRunner } from '../../helpers/fakeBenchRunner';
import { tempDir, tinyExperiment } from '../../helpers/experiment';

const tmp = tempDir('skd-bench-draws-');
after(tmp.cleanup);

const close = (a: number | null | undefined, b: number, eps = 1e-9) => assert.ok(a !== null && a !== undefined && Math.abs(a - b) < eps, `${a} != ${b}`);
const dataSeedOf = (exp: Experiment) => exp.data.seed ?? exp.seed;

// Test accuracy: the method's, + 0.001 a seed, + 0.01 a data seed; SKD gains 0.004 more on draw 3.
// SKD - KD per pair: .010 .010 (draw 2), .014 .014 (draw 3): mean .012, std sqrt(4 * .002² / 3).
const ACC: Record<string, number> = { none: 0.8, kd: 0.82, skd: 0.83 };
const acc = (exp: Experiment) => ACC[exp.method.name] + exp.seed * 0.001 + dataSeedOf(exp) * 0.01 + (exp.method.name === 'skd' && dataSeedOf(exp) === 3 ? 0.004 : 0);
// Four test images, the same split in both draws: KD gets 0110 right; SKD 1110 on draw 2, 0111 on
// draw 3. Per image over all four pairs, SKD - KD is .5 0 0 .5: its SE over the images is
// sqrt(.25 / 3) / 2 (the draws' images taken as one sample; as two samples it would be
// sqrt(2 * (1/2)² * .25²) = .1768).
const correct = (exp: Experiment) => encodeCorrect([...(exp.method.name !== 'skd' ? '0110' : dataSeedOf(exp) === 2 ? '1110' : '0111')].map(Number));

describe('runDrawsBench (--data-seeds)', () => {
  const { runner, jobs } = fakeBenchRunner(acc, correct);
  const logs: string[] = [];
  let report: DrawsReport;

  it('runs the bench on every draw, each with its own teacher and data seed', async () => {
    report = await runDrawsBench({ data: 'builtin', seeds: 2, methods: ['none', 'kd', 'skd'], dataSeeds: [2, 3], outDir: tmp.dir, parallel: 2, command: 'skd bench methods --data-seeds 2,3', log: (l) => logs.push(l), runner });
    assert.equal(jobs.filter((j) => j.name === 'teacher').length, 2);
    assert.equal(jobs.length, 12);
    assert.deepEqual(drawBenchDirs(report.drawsDir), [path.join(report.drawsDir, 'data-seed-2'), path.join(report.drawsDir, 'data-seed-3')]);
    for (const d of [2, 3]) {
      const bench = path.join(report.drawsDir, `data-seed-${d}`);
      const kd = JSON.parse(fs.readFileSync(path.join(bench, 'kd-s2.skd.json'), 'utf8')) as Experiment;
      assert.equal(kd.data.seed, d);
      assert.deepEqual(kd.teacher, { run: path.join(bench, 'teacher') });
    }
    assert.ok(logs.some((l) => l.startsWith('data seed 3: ')));
    assert.deepEqual(report.missing, []);
  });

  it('pools the draws: every pair within its draw, the shared test images once', () => {
    const skd = report.pooled.rows.find((r) => r.method === 'skd')!;
    assert.equal(skd.benches.length, 2);
    const d = skd.pooled.vsKd.test!;
    assert.equal(d.n, 4);
    close(d.mean, 0.012);
    close(d.se, Math.sqrt((4 * 0.002 ** 2) / 3) / 2);
    close(d.seImages, Math.sqrt(0.25 / 3) / 2);
    const row = report.methods.find((m) => m.method === 'kd')!;
    assert.equal(row.runs, 4);
    // KD: .82 + .001 s + .01 d over s = 1, 2 and d = 2, 3: mean .82 + .0015 + .025.
    close(row.splits.test!.mean, 0.8465);
    assert.equal(fs.readFileSync(path.join(report.drawsDir, 'report.md'), 'utf8'), formatDrawsTable(report));
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(report.drawsDir, 'report.json'), 'utf8')), JSON.parse(JSON.stringify(report)));
    assert.match(formatDrawsTable(report), /2 draw\(s\)/);
    assert.match(formatDrawsTable(report), /\| \*\*skd\*\* \| \*\*pooled\*\* \| 4 \| \+1\.20 ± 0\.12 /);
    assert.match(formatDrawsTable(report), /SKD - KD \(goal ≥ \+0\.50\): test \+1\.20 ± 0\.12 \(t 10\.4\), .* over 4 pairs in 2 draw\(s\)/);
  });

  it('lists what a draw lacks, and --resume finishes only that', async () => {
    const bench = path.join(report.drawsDir, 'data-seed-3');
    fs.rmSync(path.join(bench, 'kd-s2'), { recursive: true });
    assert.deepEqual(readDrawsReport(report.drawsDir).missing, ['data seed 3: kd-s2 (not started)']);
    jobs.length = 0;
    const again = await runDrawsBench({ resume: report.drawsDir, parallel: 2, log: (l) => logs.push(l), runner });
    assert.deepEqual(jobs.map((j) => j.name), ['kd-s2']);
    assert.deepEqual(again.missing, []);
    assert.equal(again.pooled.rows.find((r) => r.method === 'skd')!.pooled.vsKd.test!.n, 4);
  });

  it('refuses a reused teacher, a --set data.seed and bad data seeds, each in one line, before creating a folder', async () => {
    const file = path.join(tmp.dir, 'reuses.skd.json');
    // A folder that looks like a recorded teacher run to the experiment's checks.
    const recorded = path.join(tmp.dir, 'recorded');
    fs.mkdirSync(path.join(recorded, 'teacher', 'trajectory'), { recursive: true });
    fs.writeFileSync(path.join(recorded, 'teacher', 'trajectory', 'trajectory.json'), '{}');
    fs.writeFileSync(file, JSON.stringify(tinyExperiment({ teacher: { run: recorded } })));
    const before = fs.readdirSync(tmp.dir).length;
    await assert.rejects(
      runDrawsBench({ experiment: file, dataSeeds: [1, 2], outDir: tmp.dir, parallel: 1, log: () => {}, runner }),
      (e: unknown) => isInputError(e) && /teacher\.run/.test(e.message) && /--data-seeds/.test(e.message),
    );
    await assert.rejects(
      runDrawsBench({ data: 'builtin', overrides: [parseSetOption('data.seed=4')], dataSeeds: [1, 2], outDir: tmp.dir, parallel: 1, log: () => {}, runner }),
      (e: unknown) => isInputError(e) && /--set data\.seed/.test(e.message),
    );
    // A setting that only one method's student cannot take (SKD's stages in one epoch).
    const short = path.join(tmp.dir, 'short.skd.json');
    fs.writeFileSync(short, JSON.stringify(tinyExperiment({ student: { model: 'cnn', width: 4, epochs: 1 }, method: { name: 'kd', stages: 2 } })));
    await assert.rejects(
      runDrawsBench({ experiment: short, methods: ['kd', 'skd'], dataSeeds: [1, 2], outDir: tmp.dir, parallel: 1, log: () => {}, runner }),
      (e: unknown) => isInputError(e) && /method skd: student\.epochs/.test(e.message),
    );
    assert.equal(fs.readdirSync(tmp.dir).length, before + 1);
    assert.deepEqual(parseDataSeeds('4, 5,6'), [4, 5, 6]);
    for (const bad of ['', '1,,2', '1,x', '-1', '1.5', '2,2']) assert.throws(() => parseDataSeeds(bad), (e: unknown) => isInputError(e) && /--data-seeds/.test(e.message));
  });
});

describe('imageSetsOf', () => {
  const exp = (data: Record<string, unknown>, seed = 1) => ({ seed, data: { format: 'idx', ...data } }) as unknown as Experiment;

  it('draws share the test split, not the validation images; a linked folder is the folder it links to', () => {
    const real = path.join(tmp.dir, 'images');
    const link = path.join(tmp.dir, 'images-link');
    fs.mkdirSync(real, { recursive: true });
    fs.symlinkSync(real, link);
    const a = imageSetsOf(exp({ dir: real, seed: 2 }));
    const b = imageSetsOf(exp({ dir: link, seed: 3 }));
    assert.equal(a.test, b.test);
    assert.notEqual(a.val, b.val);
    assert.equal(imageSetsOf(exp({ dir: link }, 2)).val, a.val);
    // A test subsample is drawn by the data seed: then the draws' test images differ too.
    assert.notEqual(imageSetsOf(exp({ dir: real, seed: 2, limit: { test: 500 } })).test, imageSetsOf(exp({ dir: real, seed: 3, limit: { test: 500 } })).test);
  });
});
