import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import type { MethodSpec } from '../../../src/protocol/experiment';
import { selectBackend } from '../../../src/trainer/backend/select';
import { BehaviourPredictor } from '../../../src/trainer/skd/tbt';
import { Trajectory } from '../../../src/trainer/skd/trajectory';
import { Rng } from '../../../src/trainer/util/rng';
import { tempDir } from '../../helpers/experiment';
import { uniform, writeTrajectory } from '../../helpers/trajectory';

/**
 * A teacher whose hidden behaviour drifts linearly: B_{k+1} = B_k + c_l at every tap l, with
 * B_1 random per image. "No change" misses the drift every stage; TBT must learn it.
 */
const STAGES = 5;
const IMAGES = 240;
const CHANNELS = [4, 3];
const DRIFT = [Float32Array.from([0.5, -0.4, 0.3, 0]), Float32Array.from([-0.6, 0.2, 0.45])];
const PROBE = Int32Array.from({ length: 180 }, (_, i) => i);
const HELD_OUT = Int32Array.from({ length: IMAGES - 180 }, (_, i) => 180 + i);
const spec: MethodSpec = { name: 'skd', stages: STAGES, temperature: 4, tbt: { hidden: 16, epochs: 30, lr: 0.03 } };

const tmp = tempDir('skd-tbt-');
let trajectory: Trajectory;
let start: Float32Array[];

before(async () => {
  await selectBackend('wasm');
  const rng = new Rng(3);
  start = CHANNELS.map((d) => uniform(rng, IMAGES * d));
  trajectory = writeTrajectory({
    dir: tmp.dir,
    stages: STAGES,
    classes: 3,
    images: IMAGES,
    tapChannels: CHANNELS,
    stage: (k) => ({
      logits: uniform(rng, IMAGES * 3),
      behaviour: CHANNELS.map((d, l) => start[l].map((v, i) => v + k * DRIFT[l][i % d])),
    }),
  });
});
after(tmp.cleanup);

describe('TBT (behaviour predictor)', () => {
  it('starts as the "no change" prediction', () => {
    const tbt = new BehaviourPredictor(Trajectory.open(tmp.dir), spec, 1);
    try {
      const r = tbt.evaluate(HELD_OUT);
      assert.equal(r.metrics.length, STAGES - 1);
      for (const layers of r.metrics) {
        assert.deepEqual(layers.map((m) => m.layer), ['block1', 'block2']);
        for (const m of layers) assert.ok(Math.abs(m.nmse - m.baselineNmse) < 1e-4, `${m.nmse} vs ${m.baselineNmse}`);
      }
      // predicted[s] is B_s itself before training.
      for (let s = 0; s < STAGES; s++) {
        CHANNELS.forEach((_, l) => {
          const want = trajectory.stage(s).behaviour[l];
          const got = r.predicted[s][l];
          assert.equal(got.length, want.length);
          for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - want[i]) < 1e-4);
        });
      }
    } finally {
      tbt.dispose();
    }
  });

  it('learns a linear drift: NMSE well below "no change", cosine near 1, no tensor leak', () => {
    const before = tf.memory().numTensors;
    const tbt = new BehaviourPredictor(Trajectory.open(tmp.dir), spec, 1);
    const losses: number[] = [];
    tbt.train(PROBE, spec, 1, (_, loss) => losses.push(loss));
    const r = tbt.evaluate(HELD_OUT);
    tbt.dispose();
    assert.equal(tf.memory().numTensors, before, 'TBT leaves no tensors behind');

    assert.equal(losses.length, 30);
    assert.ok(losses[29] < losses[0] / 5, `training loss ${losses[0]} -> ${losses[29]}`);
    for (const [j, layers] of r.metrics.entries()) {
      for (const m of layers) {
        const where = `stage ${j + 1} -> ${j + 2}, ${m.layer}`;
        // The drift is substantial: predicting "no change" is clearly wrong.
        assert.ok(m.baselineNmse > 0.2, `${where}: baseline ${m.baselineNmse}`);
        assert.ok(m.nmse < 0.1 * m.baselineNmse, `${where}: nmse ${m.nmse} vs no-change ${m.baselineNmse}`);
        assert.ok(m.cosine > 0.9, `${where}: cosine ${m.cosine}`);
      }
    }
    // The last prediction extrapolates one more step of the drift, in raw units.
    const last = r.predicted[STAGES - 1];
    CHANNELS.forEach((d, l) => {
      let err = 0;
      let miss = 0;
      const B = trajectory.stage(STAGES - 1).behaviour[l];
      for (let i = 0; i < IMAGES * d; i++) {
        const want = B[i] + DRIFT[l][i % d];
        err += (last[l][i] - want) ** 2;
        miss += (B[i] - want) ** 2;
      }
      assert.ok(err < 0.2 * miss, `tap ${l}: extrapolation error ${err} vs no-change ${miss}`);
    });
    // Its weights are returned for the run's meta/ folder.
    assert.equal(r.weights.length, 5 * CHANNELS.length);
    assert.ok(r.weights.every((w) => w.data.every(Number.isFinite)));
  });

  it('trains the same for the same seed', () => {
    const a = new BehaviourPredictor(Trajectory.open(tmp.dir), { ...spec, tbt: { ...spec.tbt, epochs: 3 } }, 5);
    const b = new BehaviourPredictor(Trajectory.open(tmp.dir), { ...spec, tbt: { ...spec.tbt, epochs: 3 } }, 5);
    const la: number[] = [];
    const lb: number[] = [];
    a.train(PROBE, { ...spec, tbt: { ...spec.tbt, epochs: 3 } }, 5, (_, l) => la.push(l));
    b.train(PROBE, { ...spec, tbt: { ...spec.tbt, epochs: 3 } }, 5, (_, l) => lb.push(l));
    a.dispose();
    b.dispose();
    assert.deepEqual(la, lb);
  });
});
