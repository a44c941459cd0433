/**
 * Every built-in method distils a tiny student from one recorded teacher, reused through
 * `"teacher": {"run": ...}` (no teacher is trained again), and finishes done with the loss terms
 * and meta-network metrics that method has.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RUN_FILES, type RunStatus, type Summary } from '../../src/protocol/runDir';
import { runExperiment } from '../../src/trainer/engine/run';
import { eventsOf, readJsonFile, readMetrics, tempDir, tinyExperiment, writeExperiment } from '../helpers/experiment';

const tmp = tempDir('skd-methods-');
after(tmp.cleanup);
let teacherDir: string;
let teacherSummary: Summary;

/** Loss terms each method streams, and whether it trains TBT / TET (`method`, `tbt`: another name's settings). */
const METHODS: Record<string, { terms: string[]; tbt: boolean; tet: boolean; method?: string; final?: boolean }> = {
  none: { terms: ['ce'], tbt: false, tet: false },
  kd: { terms: ['ce', 'kd'], tbt: false, tet: false },
  fitnet: { terms: ['ce', 'hint'], tbt: false, tet: false },
  at: { terms: ['at', 'ce'], tbt: false, tet: false },
  rco: { terms: ['ce', 'kd'], tbt: false, tet: false },
  dkd: { terms: ['ce', 'nckd', 'tckd'], tbt: false, tet: false },
  // One recorded stage: no stage before the last, so SKD's terms are KD's; TBT has nothing to
  // predict (no events), TET still calibrates and corrects the stage. With `tbt.final` the final
  // teacher's recorded behaviour is a target too.
  skd: { terms: ['ce', 'kd'], tbt: false, tet: true },
  'skd (tbt.final)': { terms: ['behaviour', 'ce', 'kd'], tbt: false, tet: true, method: 'skd', final: true },
  'skd-no-tbt': { terms: ['ce', 'kd'], tbt: false, tet: true },
  'skd-no-tet': { terms: ['ce', 'kd'], tbt: false, tet: false },
  'skd-no-stages': { terms: ['ce', 'kd'], tbt: false, tet: false },
  'skd-no-stages (tbt.final)': { terms: ['behaviour', 'ce', 'kd'], tbt: false, tet: false, method: 'skd-no-stages', final: true },
};

before(async () => {
  const file = writeExperiment(tmp.dir, 'teacher', tinyExperiment({ name: 'teacher', method: { name: 'none', stages: 1 }, student: { model: 'cnn', width: 4, epochs: 1 } }));
  const outcome = await runExperiment(file, { outDir: path.join(tmp.dir, 'runs') });
  assert.equal(outcome.state, 'done');
  teacherDir = outcome.dir;
  teacherSummary = outcome.summary!;
});

/** One student epoch of a tiny CNN with `method`, from the shared teacher; the run ends done. */
async function distil(name: string, method: Record<string, unknown>) {
  const file = writeExperiment(
    tmp.dir,
    name,
    // The teacher's folder relative to the experiment file, as a user would write it.
    tinyExperiment({ name, teacher: { run: path.relative(tmp.dir, teacherDir) }, student: { model: 'cnn', width: 4, epochs: 1 }, method }),
  );
  const outcome = await runExperiment(file, { outDir: path.join(tmp.dir, 'runs') });
  assert.equal(outcome.state, 'done');
  return outcome;
}

describe('every method with one shared, recorded teacher', () => {
  for (const [label, want] of Object.entries(METHODS)) {
    const method = want.method ?? label;
    it(`${label}: one student epoch, done`, async () => {
      const outcome = await distil(`student-${label.replace(/[^a-z-]+/g, '-')}`, {
        name: method,
        stages: 1,
        tbt: { epochs: 2, ...(want.final ? { final: true } : {}) },
        tet: { epochs: 2 },
      });
      assert.equal(readJsonFile<RunStatus>(path.join(outcome.dir, RUN_FILES.status)).state, 'done');
      const events = readMetrics(outcome.dir);
      const epochs = eventsOf(events, 'epoch');
      assert.deepEqual(epochs.map((e) => `${e.network} ${e.epoch}`), ['student 0'], 'the teacher is not trained again');
      assert.deepEqual(Object.keys(epochs[0].terms).sort(), want.terms);
      for (const [term, v] of Object.entries(epochs[0].terms)) assert.ok(Number.isFinite(v), `${term} = ${v}`);
      assert.equal(eventsOf(events, 'tbt').length > 0, want.tbt, 'TBT events');
      assert.equal(eventsOf(events, 'tet').length > 0, want.tet, 'TET events');

      const summary = outcome.summary!;
      assert.equal(summary.method, method);
      assert.equal(summary.teacher.model, 'reused');
      assert.equal(summary.teacher.fromRun, path.relative(outcome.dir, teacherDir));
      assert.equal(summary.teacher.testAcc, teacherSummary.teacher.testAcc);
      assert.ok(summary.student.testAcc >= 0 && summary.student.testAcc <= 1);
      assert.ok(fs.existsSync(path.join(outcome.dir, RUN_FILES.student, 'model.json')));
      // The teacher stays where it was recorded.
      assert.ok(!fs.existsSync(path.join(outcome.dir, RUN_FILES.trajectory)));
    });
  }
});

describe('the warm-up\'s labels (method.warmupLabels)', () => {
  it('start KD\'s label term at full weight instead of its 1 - alpha, on the same first batch', async () => {
    const firstBatch = async (warmupLabels: boolean) => {
      const outcome = await distil(`kd-labels-${warmupLabels}`, { name: 'kd', stages: 1, warmupLabels });
      return eventsOf(readMetrics(outcome.dir), 'batch')[0].terms;
    };
    const held = await firstBatch(false);
    const handed = await firstBatch(true);
    // The first batch is at warm-up weight 0: no distillation term yet, and the labels at 1
    // (handed over) against 0.1 (held at KD's weight), on the same images and initial weights.
    assert.equal(held.kd, 0);
    assert.equal(handed.kd, 0);
    assert.ok(held.ce > 0);
    assert.ok(Math.abs(handed.ce / held.ce - 10) < 1e-3, `ce ${handed.ce} against ${held.ce}`);
  });
});
