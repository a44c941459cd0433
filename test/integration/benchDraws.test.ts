/**
 * `skd bench methods --data-seeds` on tiny data, as a user runs it: two draws of the images, each
 * with its own teacher and paired students, pooled; `--report` and `--pool` on the draws folder;
 * a bad list in one line.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RUN_FILES } from '../../src/protocol/runDir';
import type { Experiment } from '../../src/protocol/experiment';
import type { DrawsReport } from '../../src/trainer/bench/dataDraws';
import type { PooledReport } from '../../src/trainer/bench/pooledMethods';
import { ensureBuilt, ownLines, runCli } from '../helpers/cli';
import { readJsonFile, tempDir, tinyExperiment, writeExperiment } from '../helpers/experiment';

const tmp = tempDir('skd-bench-draws-');
after(tmp.cleanup);
before(() => ensureBuilt());

describe('skd bench methods --data-seeds', () => {
  const out = path.join(tmp.dir, 'runs');
  let report: DrawsReport;
  before(() => writeExperiment(tmp.dir, 'base', tinyExperiment({ method: { name: 'kd', stages: 2 } })));

  it('trains a teacher and the students on each draw, and pools them', async () => {
    const r = await runCli(['bench', 'methods', '--experiment', 'base.skd.json', '--data-seeds', '1,2', '--methods', 'none,kd', '--seeds', '1', '--out', out, '--json'], { cwd: tmp.dir, timeoutMs: 300_000 });
    assert.equal(r.code, 0, r.stderr);
    report = JSON.parse(r.stdout) as DrawsReport;
    assert.deepEqual(report.dataSeeds, [1, 2]);
    assert.deepEqual(report.missing, []);
    const validation: string[] = [];
    for (const d of [1, 2]) {
      const bench = path.join(report.drawsDir, `data-seed-${d}`);
      for (const run of ['teacher', 'kd-s1']) {
        const exp = readJsonFile<Experiment>(path.join(bench, run, RUN_FILES.experiment));
        assert.equal(exp.data.seed, d, `${run} of draw ${d}`);
      }
      // Each draw validates on its own images: the teacher's first epoch's record of them differs.
      const first = fs.readFileSync(path.join(bench, 'teacher', RUN_FILES.metrics), 'utf8').split('\n').find((l) => l.includes('"valCorrect"'))!;
      validation.push(JSON.stringify(JSON.parse(first).valCorrect));
    }
    assert.notEqual(validation[0], validation[1]);
    const kd = report.pooled.rows.find((x) => x.method === 'kd')!;
    assert.equal(kd.benches.length, 2);
    assert.equal(kd.pooled.vsNone.test?.n, 2);
    // Both draws are tested on the same full test split: the images' share is taken over it once.
    assert.ok(kd.pooled.vsNone.test!.seImages! >= 0);
    assert.equal(report.methods.find((m) => m.method === 'kd')!.runs, 2);
    assert.ok(ownLines(r.stderr).some((l) => l.startsWith('data seed 2: ')), r.stderr);
    assert.ok(fs.existsSync(path.join(report.drawsDir, 'report.md')));
  });

  it('--report and --pool read the draws folder', async () => {
    const text = await runCli(['bench', 'methods', '--report', report.drawsDir], { cwd: tmp.dir });
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /2 draw\(s\) of its images/);
    assert.match(text.stdout, /\| \*\*kd\*\* \| \*\*pooled\*\* \| 2 \|/);
    const pooled = await runCli(['bench', 'methods', '--pool', report.drawsDir, '--json'], { cwd: tmp.dir });
    assert.equal(pooled.code, 0, pooled.stderr);
    const kd = (JSON.parse(pooled.stdout) as PooledReport).rows.find((x) => x.method === 'kd')!;
    assert.equal(kd.pooled.vsNone.test!.mean, report.pooled.rows.find((x) => x.method === 'kd')!.pooled.vsNone.test!.mean);
  });

  it('a bad list of data seeds is one line naming --data-seeds, and trains nothing', async () => {
    const before = fs.readdirSync(out).length;
    const r = await runCli(['bench', 'methods', '--experiment', 'base.skd.json', '--data-seeds', '1,1', '--out', out], { cwd: tmp.dir });
    assert.equal(r.code, 2);
    assert.deepEqual(ownLines(r.stderr).length, 1, r.stderr);
    assert.match(r.stderr, /--data-seeds/);
    assert.equal(fs.readdirSync(out).length, before);
  });
});
