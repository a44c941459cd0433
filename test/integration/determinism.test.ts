/**
 * Same seed, same run: two in-process runs of the same tiny experiment give identical
 * first-epoch losses and identical student weights; another seed gives other ones. Also
 * checks that a whole run leaves no tensors behind in the process.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { RUN_FILES } from '../../src/protocol/runDir';
import { runExperiment } from '../../src/trainer/engine/run';
import { readModelJson } from '../../src/trainer/models/modelIO';
import { eventsOf, readMetrics, tempDir, tinyExperiment, writeExperiment } from '../helpers/experiment';

const tmp = tempDir('skd-determinism-');
after(tmp.cleanup);

interface Observed {
  dir: string;
  teacherLoss: number;
  studentLoss: number;
  studentTerms: Record<string, number>;
  weights: Buffer;
  tensorsAfter: number;
}

async function run(name: string, seed: number): Promise<Observed> {
  const file = writeExperiment(tmp.dir, name, tinyExperiment({ name, seed, student: { model: 'cnn', width: 4, epochs: 2 } }));
  const outcome = await runExperiment(file, { outDir: path.join(tmp.dir, 'runs') });
  assert.equal(outcome.state, 'done');
  const epochs = eventsOf(readMetrics(outcome.dir), 'epoch');
  const first = (network: string) => epochs.find((e) => e.network === network && e.epoch === 0)!;
  const studentDir = path.join(outcome.dir, RUN_FILES.student);
  const weights = Buffer.concat(readModelJson(studentDir).weightsManifest.flatMap((g) => g.paths.map((p) => fs.readFileSync(path.join(studentDir, p)))));
  return {
    dir: outcome.dir,
    teacherLoss: first('teacher').loss,
    studentLoss: first('student').loss,
    studentTerms: first('student').terms,
    weights,
    tensorsAfter: tf.memory().numTensors,
  };
}

let a: Observed;
let b: Observed;
let c: Observed;

before(async () => {
  a = await run('seed1a', 1);
  b = await run('seed1b', 1);
  c = await run('seed2', 2);
});

describe('determinism', () => {
  it('the same seed gives identical first-epoch teacher and student losses', () => {
    assert.ok(Number.isFinite(a.teacherLoss) && Number.isFinite(a.studentLoss));
    assert.equal(b.teacherLoss, a.teacherLoss);
    assert.equal(b.studentLoss, a.studentLoss);
    assert.deepEqual(b.studentTerms, a.studentTerms);
  });

  it('the same seed gives identical student weights', () => {
    assert.ok(a.weights.length > 1000);
    assert.ok(a.weights.equals(b.weights), 'student weights differ between two runs with seed 1');
  });

  it('another seed gives other losses and weights', () => {
    assert.notEqual(c.teacherLoss, a.teacherLoss);
    assert.notEqual(c.studentLoss, a.studentLoss);
    assert.ok(!c.weights.equals(a.weights));
  });

  it('a finished run leaves no tensors behind in the process', () => {
    assert.equal(b.tensorsAfter, a.tensorsAfter);
    assert.equal(c.tensorsAfter, a.tensorsAfter);
  });
});
