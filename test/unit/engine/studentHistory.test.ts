/**
 * The student's own behaviour at the start of each of its stages (src/trainer/engine/studentHistory.ts),
 * read by SKD's action form of the behaviour term: recorded from the model's current weights,
 * kept in a file, and read back (not recomputed) by a resumed run.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../src/trainer/backend/select';
import type { LoadedDataset } from '../../../src/trainer/data/types';
import { allIndices, runModel } from '../../../src/trainer/engine/evaluate';
import { StudentHistory } from '../../../src/trainer/engine/studentHistory';
import { buildModel } from '../../../src/trainer/models';
import { randomImageDataset } from '../../helpers/randomImages';

const SHAPE: [number, number, number] = [8, 8, 1];
const N = 10;

const dataset = (): LoadedDataset => randomImageDataset(N, 5, 'student-history-test');

const model = () => buildModel({ model: 'cnn', width: 2, epochs: 1 }, { inputShape: SHAPE, numClasses: 3, seed: 3, experimentFile: 'test', field: 'student' }).model;

before(async () => {
  await selectBackend('cpu');
});

describe('StudentHistory', () => {
  it("records the model's pooled tap descriptors over every training image, one file per stage", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skd-history-'));
    const ds = dataset();
    const m = model();
    const fileOf = (k: number) => path.join(dir, `student-stage-${k + 1}-behaviour.bin`);
    const history = new StudentHistory(m, ds, fileOf);
    history.record(0);
    const want = runModel(m, ds, ds.train, allIndices(N), { descriptors: true }).descriptors;
    assert.ok(want.length > 0, 'the model has taps');
    assert.deepEqual(history.at(0).map((d) => Array.from(d)), want.map((d) => Array.from(d)));
    assert.ok(fs.existsSync(fileOf(0)));
    assert.throws(() => history.at(1), /start of its stage 2 was not recorded/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a resumed run reads the recorded stage back instead of recording it from its later weights', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skd-history-'));
    const ds = dataset();
    const m = model();
    const fileOf = (k: number) => path.join(dir, `student-stage-${k + 1}-behaviour.bin`);
    new StudentHistory(m, ds, fileOf).record(1);
    const recorded = runModel(m, ds, ds.train, allIndices(N), { descriptors: true }).descriptors.map((d) => Array.from(d));
    // The weights move on (training went on after the stage began), then the run resumes.
    tf.tidy(() => m.trainableWeights.forEach((w) => w.write(tf.add(w.read(), 0.5))));
    const moved = runModel(m, ds, ds.train, allIndices(N), { descriptors: true }).descriptors.map((d) => Array.from(d));
    assert.notDeepEqual(moved, recorded);
    const resumed = new StudentHistory(m, ds, fileOf);
    resumed.ensure(1);
    assert.deepEqual(resumed.at(1).map((d) => Array.from(d)), recorded);
    // A stage not recorded yet is recorded now, from the current weights.
    resumed.ensure(2);
    assert.deepEqual(resumed.at(2).map((d) => Array.from(d)), moved);
    assert.ok(fs.existsSync(fileOf(2)));
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
