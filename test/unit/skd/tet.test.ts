import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../src/trainer/backend/select';
import { calibration, gatherRows, softmaxRows } from '../../../src/trainer/skd/metrics';
import { addsToFinal, candidateEpochs, checkRawStages, finalTeacherLogits, fitExperience, meanConfidence, meanNll } from '../../../src/trainer/skd/tet';
import { Trajectory } from '../../../src/trainer/skd/trajectory';
import { Rng } from '../../../src/trainer/util/rng';
import { tempDir } from '../../helpers/experiment';
import { writeEpochTrajectory, writeTrajectory } from '../../helpers/trajectory';

/**
 * A synthetic teacher of 4 epochs in 2 stages (epochs 0-1, 2-3). Every checkpoint is right on
 * 60-75% of the images, each on its own draw, always with a logit margin of 6 (over-confident),
 * so averaging checkpoints helps and a temperature helps more.
 */
const CLASSES = 4;
const IMAGES = 800;
const EPOCH_ACCURACY = [0.6, 0.65, 0.7, 0.75];
const PLAN = [0, 0, 1, 1];
const QUIZ_A = Int32Array.from({ length: 200 }, (_, i) => i);
const QUIZ_B = Int32Array.from({ length: 200 }, (_, i) => 200 + i);

const tmp = tempDir('skd-tet-');
const flat = tempDir('skd-tet-flat-');
const calibrated = tempDir('skd-tet-calibrated-');
const labels = new Int32Array(IMAGES);

function noisyLogits(rng: Rng, accuracy: number, margin = 6): Float32Array {
  const logits = new Float32Array(IMAGES * CLASSES);
  for (let i = 0; i < IMAGES; i++) {
    const right = rng.next() < accuracy;
    const guess = right ? labels[i] : (labels[i] + 1 + rng.int(CLASSES - 1)) % CLASSES;
    for (let c = 0; c < CLASSES; c++) logits[i * CLASSES + c] = (c === guess ? margin : 0) + 0.3 * (rng.next() - 0.5);
  }
  return logits;
}

before(async () => {
  await selectBackend('wasm');
  const rng = new Rng(11);
  for (let i = 0; i < IMAGES; i++) labels[i] = rng.int(CLASSES);
  const epochs = EPOCH_ACCURACY.map((a) => noisyLogits(rng, a));
  // The best checkpoint of each stage is its last epoch (1 and 3).
  writeEpochTrajectory({ dir: tmp.dir, classes: CLASSES, images: IMAGES, epochs, plan: PLAN, best: [1, 3], valAcc: (e) => EPOCH_ACCURACY[e] });
  // The same accuracies, every checkpoint as confident as it is accurate: a top-class
  // probability of a / (a + (1 - a)) with the other three classes sharing 1 - a.
  const honest = EPOCH_ACCURACY.map((a) => noisyLogits(rng, a, Math.log((3 * a) / (1 - a))));
  writeEpochTrajectory({ dir: calibrated.dir, classes: CLASSES, images: IMAGES, epochs: honest, plan: PLAN, best: [1, 3], valAcc: (e) => EPOCH_ACCURACY[e] });
  // A teacher that knows nothing: equal logits. No mixture or temperature can do better.
  writeTrajectory({
    dir: flat.dir,
    stages: 1,
    classes: CLASSES,
    images: IMAGES,
    tapChannels: [2],
    stage: () => ({ logits: new Float32Array(IMAGES * CLASSES), behaviour: [new Float32Array(IMAGES * 2)] }),
  });
});
after(() => (tmp.cleanup(), flat.cleanup(), calibrated.cleanup()));

describe('TET (optimal experience of each stage)', () => {
  it('offers the checkpoints up to the stage, its best first; a record without epochs offers the best alone', () => {
    const traj = Trajectory.open(tmp.dir);
    assert.deepEqual(candidateEpochs(traj, 0), [1, 0]);
    assert.deepEqual(candidateEpochs(traj, 1), [3, 0, 1, 2]);
    assert.deepEqual(candidateEpochs(traj, 1, false), [3]);
    assert.deepEqual(candidateEpochs(Trajectory.open(flat.dir), 0), [0]);
  });

  it('mixes checkpoints with a temperature and beats the raw best checkpoint on held-out images', () => {
    const traj = Trajectory.open(tmp.dir);
    const before = tf.memory().numTensors;
    const r = fitExperience(traj, QUIZ_A, QUIZ_B, labels, { steps: 200, mix: true });
    assert.equal(tf.memory().numTensors, before, 'TET leaves no tensors behind');
    assert.equal(r.refined.length, 2);
    for (const m of r.metrics) {
      const where = `stage ${m.stage + 1}`;
      assert.equal(m.identity, false, `${where} fell back to the raw checkpoint`);
      assert.ok(m.nll! < 0.8 * m.teacherNll!, `${where}: NLL ${m.nll} vs teacher ${m.teacherNll}`);
      assert.ok(m.accuracy >= m.teacherAccuracy, `${where}: accuracy ${m.accuracy} vs ${m.teacherAccuracy}`);
      assert.ok(m.ece < m.teacherEce, `${where}: ECE ${m.ece} vs ${m.teacherEce}`);
      // Independent errors average out: more than one checkpoint takes part.
      assert.ok(m.temperature! > 0 && Number.isFinite(m.temperature!), `${where}: temperature ${m.temperature}`);
      assert.ok(m.mixture!.length >= 2, `${where}: mixture ${JSON.stringify(m.mixture)}`);
      const total = m.mixture!.reduce((a, x) => a + x.weight, 0);
      assert.ok(total > 0.95 && total <= 1 + 1e-5, `${where}: weights sum to ${total}`);
    }
    // Stage 1 may only mix epochs of stage 1.
    assert.ok(r.metrics[0].mixture!.every((x) => PLAN[x.epoch] === 0));
  });

  it('the metrics are the held-out ones: the raw teacher\'s own accuracy and ECE on the quiz images', () => {
    const traj = Trajectory.open(tmp.dir);
    const r = fitExperience(traj, QUIZ_A, QUIZ_B, labels, { steps: 50 });
    const quiz = Int32Array.from([...QUIZ_B, ...QUIZ_A]);
    const y = Array.from(quiz, (i) => labels[i]);
    for (let k = 0; k < 2; k++) {
      const raw = gatherRows(traj.stage(k).logits, CLASSES, quiz);
      const want = calibration(softmaxRows(raw, quiz.length, CLASSES), y, quiz.length, CLASSES);
      assert.equal(r.metrics[k].teacherAccuracy, want.accuracy);
      assert.equal(r.metrics[k].teacherEce, want.ece);
      assert.ok(Math.abs(r.metrics[k].teacherNll! - meanNll(raw, y, quiz.length, CLASSES)) < 1e-6);
    }
  });

  it('falls back to the raw checkpoint when nothing beats it on held-out images', () => {
    const traj = Trajectory.open(flat.dir);
    const r = fitExperience(traj, QUIZ_A, QUIZ_B, labels, { steps: 50 });
    const m = r.metrics[0];
    assert.equal(m.identity, true);
    assert.equal(m.temperature, 1);
    assert.equal(m.klToTeacher, 0);
    const raw = traj.stage(0).logits;
    let worst = 0;
    for (let i = 0; i < raw.length; i++) worst = Math.max(worst, Math.abs(r.refined[0][i] - (raw[i] - Math.log(CLASSES))));
    // The raw logits as log-probabilities: the same distribution.
    assert.ok(worst < 1e-5, `refined differs from the raw teacher by ${worst}`);
  });
});

describe("TET's check that a stage adds to the final teacher", () => {
  // Two images, two classes, labels 0 and 1.
  const y = [0, 1];
  it('a stage that is right where the final teacher is unsure adds to it', () => {
    const final = Float32Array.from([0.6, 0.4, 0.45, 0.55]);
    const stage = Float32Array.from([0.9, 0.1, 0.2, 0.8]);
    assert.equal(addsToFinal(stage, final, y, 2), true);
  });
  it('a stage that is less sure or wrong does not', () => {
    const final = Float32Array.from([0.9, 0.1, 0.2, 0.8]);
    assert.equal(addsToFinal(Float32Array.from([0.6, 0.4, 0.45, 0.55]), final, y, 2), false);
    // Surer on one image, wrong on the other: -ln(0.77) - ln(0.325) = 1.385 > -2 ln(0.55) = 1.196.
    assert.equal(addsToFinal(Float32Array.from([0.99, 0.01, 0.9, 0.1]), Float32Array.from([0.55, 0.45, 0.45, 0.55]), y, 2), false);
  });
  it('is reported per stage by fitExperience', () => {
    const r = fitExperience(Trajectory.open(tmp.dir), QUIZ_A, QUIZ_B, labels, { steps: 20, check: 'likelihood' });
    for (const m of r.metrics) {
      assert.equal(m.check, 'likelihood');
      assert.equal(m.addsToFinal, m.heldOutNllGain);
    }
  });
});

describe("SKD's confidence check (tet.check confidence; part of ahead, the default)", () => {
  it("measures the average of the stage's and the final teacher's distributions against the final teacher's", () => {
    // Image 1: stage [0.5 0.5], final [0.9 0.1] -> average [0.7 0.3]; image 2: stage [0.2 0.8],
    // final [0.4 0.6] -> average [0.3 0.7]. Top-class probabilities: average 0.7, 0.7; final 0.9, 0.6.
    const c = meanConfidence(Float32Array.from([0.5, 0.5, 0.2, 0.8]), Float32Array.from([0.9, 0.1, 0.4, 0.6]), 2, 2);
    assert.ok(Math.abs(c.mixed - 0.7) < 1e-6, `mixed ${c.mixed}`);
    assert.ok(Math.abs(c.final - 0.75) < 1e-6, `final ${c.final}`);
  });
  it('teaches the stages of a final teacher that is surer of its training images than it is right on held-out ones', () => {
    // Logit margin 6: about 99% confident, 75% right.
    const r = fitExperience(Trajectory.open(tmp.dir), QUIZ_A, QUIZ_B, labels, { steps: 50, check: 'confidence' });
    const [m] = r.metrics;
    assert.equal(m.check, 'confidence');
    assert.ok(m.finalTrainConfidence! > 0.95 && Math.abs(m.finalHeldOutAccuracy! - 0.75) < 0.06, JSON.stringify(m));
    assert.ok(m.trainConfidence! < m.finalTrainConfidence!, JSON.stringify(m));
    assert.equal(m.addsToFinal, true);
  });
  it('does not teach them when the final teacher is as confident as it is right', () => {
    const r = fitExperience(Trajectory.open(calibrated.dir), QUIZ_A, QUIZ_B, labels, { steps: 50 });
    const [m] = r.metrics;
    assert.ok(Math.abs(m.finalTrainConfidence! - 0.75) < 0.03, JSON.stringify(m));
    assert.equal(m.addsToFinal, false, JSON.stringify(m));
  });
  it("judges the raw best checkpoints as it judges TET's experience (skd-no-tet keeps the curriculum)", () => {
    const quiz = Int32Array.from([...QUIZ_A, ...QUIZ_B]);
    assert.equal(checkRawStages(Trajectory.open(tmp.dir), quiz, labels, 'confidence')[0].addsToFinal, true);
    assert.equal(checkRawStages(Trajectory.open(calibrated.dir), quiz, labels, 'confidence')[0].addsToFinal, false);
    const lik = checkRawStages(Trajectory.open(tmp.dir), quiz, labels, 'likelihood');
    for (const v of lik) assert.equal(v.addsToFinal, v.heldOutNllGain);
  });
  it('teaches every stage with tet.check none', () => {
    const r = fitExperience(Trajectory.open(calibrated.dir), QUIZ_A, QUIZ_B, labels, { steps: 20, check: 'none' });
    assert.deepEqual(r.metrics.map((m) => m.addsToFinal), [true, true]);
  });
});

describe("SKD's ahead check (tet.check ahead, the default)", () => {
  it('is the default, and without a student alone decides as the confidence check', () => {
    for (const dir of [tmp.dir, calibrated.dir]) {
      const byDefault = fitExperience(Trajectory.open(dir), QUIZ_A, QUIZ_B, labels, { steps: 20 });
      const confidence = fitExperience(Trajectory.open(dir), QUIZ_A, QUIZ_B, labels, { steps: 20, check: 'confidence' });
      assert.deepEqual(byDefault.metrics.map((m) => m.check), byDefault.metrics.map(() => 'ahead'));
      assert.deepEqual(byDefault.metrics.map((m) => m.addsToFinal), confidence.metrics.map((m) => m.addsToFinal));
      for (const m of byDefault.metrics) assert.equal(m.aloneAccuracy, undefined);
    }
  });
  it("also teaches a calibrated teacher's stage that is right on more held-out images than the student alone", () => {
    // The calibrated teacher's stages: 75% right on the quiz images, as confident as they are right.
    const below = fitExperience(Trajectory.open(calibrated.dir), QUIZ_A, QUIZ_B, labels, { steps: 20, aloneAccuracy: 0.6 });
    const above = fitExperience(Trajectory.open(calibrated.dir), QUIZ_A, QUIZ_B, labels, { steps: 20, aloneAccuracy: 0.9 });
    for (const m of below.metrics) {
      // Measured before the trajectory correction, which would make every quiz image right.
      assert.ok(Math.abs(m.heldOutAccuracy! - m.teacherAccuracy) < 1e-9 && m.heldOutAccuracy! < 0.9, JSON.stringify(m));
      assert.equal(m.aloneAccuracy, 0.6);
      assert.equal(m.addsToFinal, m.heldOutAccuracy! > 0.6, JSON.stringify(m));
    }
    assert.ok(below.metrics.some((m) => m.addsToFinal));
    assert.deepEqual(above.metrics.map((m) => m.addsToFinal), [false, false]);
  });
  it('keeps the stages that the confidence check teaches, whatever the student alone reaches', () => {
    const r = fitExperience(Trajectory.open(tmp.dir), QUIZ_A, QUIZ_B, labels, { steps: 50, aloneAccuracy: 1 });
    assert.equal(r.metrics[0].addsToFinal, true);
  });
  it('with tet.check ahead-only drops the confidence reason: a stage behind the student alone is not taught', () => {
    // tmp's stage passes the confidence check (the test above); with ahead-only only the yardstick decides.
    const behind = fitExperience(Trajectory.open(tmp.dir), QUIZ_A, QUIZ_B, labels, { steps: 50, aloneAccuracy: 1, check: 'ahead-only' });
    assert.deepEqual(behind.metrics.map((m) => m.addsToFinal), behind.metrics.map(() => false));
    for (const m of behind.metrics) assert.equal(m.aloneAccuracy, 1);
    const ahead = fitExperience(Trajectory.open(tmp.dir), QUIZ_A, QUIZ_B, labels, { steps: 50, aloneAccuracy: 0, check: 'ahead-only' });
    for (const m of ahead.metrics) assert.equal(m.addsToFinal, m.heldOutAccuracy! > 0, JSON.stringify(m));
    // Without a student alone nothing is ahead of it.
    const unknown = fitExperience(Trajectory.open(tmp.dir), QUIZ_A, QUIZ_B, labels, { steps: 50, check: 'ahead-only' });
    assert.deepEqual(unknown.metrics.map((m) => m.addsToFinal), unknown.metrics.map(() => false));
  });
  it('judges the raw best checkpoints against the same yardstick (skd-no-tet)', () => {
    const quiz = Int32Array.from([...QUIZ_A, ...QUIZ_B]);
    const traj = Trajectory.open(calibrated.dir);
    const raw = checkRawStages(traj, quiz, labels, 'ahead', undefined, 0.6);
    const tet = fitExperience(traj, QUIZ_A, QUIZ_B, labels, { steps: 20, aloneAccuracy: 0.6 });
    assert.deepEqual(raw.map((v) => v.addsToFinal), tet.metrics.map((m) => m.addsToFinal));
  });
});

describe("TET's correction of the final teacher (tet.correctFinal)", () => {
  const argmaxRow = (a: Float32Array, i: number) => {
    let best = 0;
    for (let c = 1; c < CLASSES; c++) if (a[i * CLASSES + c] > a[i * CLASSES + best]) best = c;
    return best;
  };
  it('without correction, gives the best checkpoint overall unchanged', () => {
    const traj = Trajectory.open(tmp.dir);
    assert.equal(finalTeacherLogits(traj, false, labels), traj.stage(traj.bestStage()).logits);
  });
  it('changes only the images the final teacher gets wrong: the latest earlier checkpoint that was right, else the two logits swapped', () => {
    const traj = Trajectory.open(tmp.dir);
    const raw = traj.stage(1).logits;
    const lines: string[] = [];
    const out = finalTeacherLogits(traj, true, labels, (l) => lines.push(l));
    const epochs = [0, 1, 2].map((e) => traj.epochLogits(e));
    let wrong = 0;
    let fromCheckpoint = 0;
    let swapped = 0;
    for (let i = 0; i < IMAGES; i++) {
      const row = out.subarray(i * CLASSES, (i + 1) * CLASSES);
      const rawRow = raw.subarray(i * CLASSES, (i + 1) * CLASSES);
      assert.equal(argmaxRow(out, i), labels[i], `image ${i} is right after the correction`);
      if (argmaxRow(raw, i) === labels[i]) {
        assert.deepEqual(row, rawRow);
        continue;
      }
      wrong++;
      const latest = [2, 1, 0].find((e) => argmaxRow(epochs[e], i) === labels[i]);
      if (latest === undefined) {
        swapped++;
        const pred = argmaxRow(raw, i);
        assert.equal(row[labels[i]], rawRow[pred]);
        assert.equal(row[pred], rawRow[labels[i]]);
      } else {
        fromCheckpoint++;
        // The right checkpoint's log-probabilities (temperature 1): its logits up to a shift.
        const src = epochs[latest].subarray(i * CLASSES, (i + 1) * CLASSES);
        for (let c = 1; c < CLASSES; c++) assert.ok(Math.abs(row[c] - row[0] - (src[c] - src[0])) < 1e-4);
      }
    }
    assert.ok(fromCheckpoint > 0 && swapped > 0, `both kinds of correction occur (${fromCheckpoint}, ${swapped})`);
    assert.match(lines[0], new RegExp(`corrected from the trajectory on ${((wrong / IMAGES) * 100).toFixed(1)}% of the training images`));
  });
});
