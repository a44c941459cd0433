import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import type { MethodSpec } from '../../../src/protocol/experiment';
import { selectBackend } from '../../../src/trainer/backend/select';
import { calibration, gatherRows, softmaxRows } from '../../../src/trainer/skd/metrics';
import { ExperienceRefiner } from '../../../src/trainer/skd/tet';
import { Trajectory } from '../../../src/trainer/skd/trajectory';
import { Rng } from '../../../src/trainer/util/rng';
import { tempDir } from '../../helpers/experiment';
import { writeTrajectory } from '../../helpers/trajectory';

/**
 * An over-confident teacher: at stage k it is right on 55% (stage 1) or 70% (stage 2) of the
 * images, always with a logit margin of 6 (confidence ~0.99), so its calibration error is
 * about 0.3-0.45. TET, trained on the quiz half, should temper it.
 */
const STAGES = 2;
const CLASSES = 4;
const IMAGES = 400;
const ACCURACY = [0.55, 0.7];
const QUIZ_TRAIN = Int32Array.from({ length: 200 }, (_, i) => i);
const QUIZ_TEST = Int32Array.from({ length: 200 }, (_, i) => 200 + i);
const spec: MethodSpec = { name: 'skd', stages: STAGES, temperature: 4, tet: { hidden: 16, epochs: 40, lr: 0.03 } };

const tmp = tempDir('skd-tet-');
const labels = new Int32Array(IMAGES);

before(async () => {
  await selectBackend('wasm');
  const rng = new Rng(11);
  for (let i = 0; i < IMAGES; i++) labels[i] = rng.int(CLASSES);
  writeTrajectory({
    dir: tmp.dir,
    stages: STAGES,
    classes: CLASSES,
    images: IMAGES,
    tapChannels: [2],
    stage: (k) => {
      const logits = new Float32Array(IMAGES * CLASSES);
      for (let i = 0; i < IMAGES; i++) {
        const right = rng.next() < ACCURACY[k];
        const guess = right ? labels[i] : (labels[i] + 1 + rng.int(CLASSES - 1)) % CLASSES;
        for (let c = 0; c < CLASSES; c++) logits[i * CLASSES + c] = (c === guess ? 6 : 0) + 0.3 * (rng.next() - 0.5);
      }
      return { logits, behaviour: [new Float32Array(IMAGES * 2)] };
    },
  });
});
after(tmp.cleanup);

describe('TET (experience refiner)', () => {
  it('starts as the identity: refined logits are the teacher\'s', () => {
    const traj = Trajectory.open(tmp.dir);
    const tet = new ExperienceRefiner(traj, spec, 1);
    try {
      const r = tet.evaluate(QUIZ_TEST, labels);
      assert.equal(r.refined.length, STAGES);
      for (let k = 0; k < STAGES; k++) {
        const teacher = traj.stage(k).logits;
        assert.equal(r.refined[k].length, teacher.length);
        let worst = 0;
        for (let i = 0; i < teacher.length; i++) worst = Math.max(worst, Math.abs(r.refined[k][i] - teacher[i]));
        assert.ok(worst < 1e-4, `stage ${k + 1}: refined logits differ from the teacher's by up to ${worst}`);
        const m = r.metrics[k];
        assert.equal(m.stage, k);
        assert.ok(m.klToTeacher < 1e-6, `KL ${m.klToTeacher}`);
        assert.equal(m.accuracy, m.teacherAccuracy);
        assert.ok(Math.abs(m.ece - m.teacherEce) < 1e-4);
      }
    } finally {
      tet.dispose();
    }
  });

  it('reports the teacher\'s own metrics on the held-out quiz images', () => {
    const traj = Trajectory.open(tmp.dir);
    const tet = new ExperienceRefiner(traj, spec, 1);
    const r = tet.evaluate(QUIZ_TEST, labels);
    tet.dispose();
    for (let k = 0; k < STAGES; k++) {
      const y = Array.from(QUIZ_TEST, (i) => labels[i]);
      const p = softmaxRows(gatherRows(traj.stage(k).logits, CLASSES, QUIZ_TEST), QUIZ_TEST.length, CLASSES);
      const want = calibration(p, y, QUIZ_TEST.length, CLASSES);
      assert.equal(r.metrics[k].teacherAccuracy, want.accuracy);
      assert.equal(r.metrics[k].teacherEce, want.ece);
      // The synthetic teacher is what it claims: inaccurate and over-confident.
      assert.ok(Math.abs(want.accuracy - ACCURACY[k]) < 0.1, `accuracy ${want.accuracy}`);
      assert.ok(want.ece > 0.2, `teacher ECE ${want.ece}`);
    }
  });

  /** Trains a fresh TET with the given KL weight and returns its metrics, checking for leaks. */
  function trained(kl: number) {
    const traj = Trajectory.open(tmp.dir);
    const s: MethodSpec = { ...spec, tet: { ...spec.tet, kl } };
    const before = tf.memory().numTensors;
    const tet = new ExperienceRefiner(traj, s, 1);
    tet.train(QUIZ_TRAIN, labels, s, 1);
    const r = tet.evaluate(QUIZ_TEST, labels);
    tet.dispose();
    assert.equal(tf.memory().numTensors, before, 'TET leaves no tensors behind');
    assert.ok(r.weights.every((w) => w.data.every(Number.isFinite)));
    return r.metrics;
  }

  it('after training on the quiz split, calibration error goes down and entropy up', () => {
    // With the default KL weight 1 the optimum keeps part of the teacher's confidence: for a
    // temperature-only fix of a teacher right on 55%, CE + KL is lowest at confidence ~0.78.
    for (const m of trained(1)) {
      const where = `stage ${m.stage + 1}`;
      assert.ok(m.ece < 0.75 * m.teacherEce, `${where}: ECE ${m.ece} vs teacher ${m.teacherEce}`);
      assert.ok(m.accuracy >= m.teacherAccuracy - 0.05, `${where}: accuracy ${m.accuracy} vs teacher ${m.teacherAccuracy}`);
      assert.ok(m.klToTeacher > 0.01 && Number.isFinite(m.klToTeacher), `${where}: KL ${m.klToTeacher}`);
      assert.ok(m.entropy > 0.2, `${where}: entropy ${m.entropy}`);
    }
  });

  it('a smaller KL weight calibrates further and moves further from the teacher', () => {
    const loose = trained(0.1);
    const tight = trained(1);
    for (let k = 0; k < STAGES; k++) {
      assert.ok(loose[k].ece < tight[k].ece, `stage ${k + 1}: ECE ${loose[k].ece} (kl 0.1) vs ${tight[k].ece} (kl 1)`);
      assert.ok(loose[k].ece < 0.4 * loose[k].teacherEce, `stage ${k + 1}: ECE ${loose[k].ece} vs teacher ${loose[k].teacherEce}`);
      assert.ok(loose[k].klToTeacher > tight[k].klToTeacher, `stage ${k + 1}: KL ${loose[k].klToTeacher} vs ${tight[k].klToTeacher}`);
    }
  });
});
