import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TrainingSpec } from '../../../src/protocol/experiment';
import { checkedTargetStage, experienceStage, learningRate, stageBounds, stageOf, stagePlan, targetStage, teachesAStage } from '../../../src/trainer/engine/schedule';

const base: TrainingSpec = { batchSize: 32, optimizer: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 5e-4 };
const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} != ${b}`);

describe('learningRate', () => {
  it('cosine: lr/2 (1 + cos(pi e / E)), the default schedule', () => {
    const spec: TrainingSpec = { ...base, schedule: 'cosine' };
    // E = 4: cos(0) = 1, cos(pi/4) = sqrt(2)/2, cos(pi/2) = 0, cos(3pi/4) = -sqrt(2)/2.
    const want = [0.1, 0.05 * (1 + Math.SQRT1_2), 0.05, 0.05 * (1 - Math.SQRT1_2)];
    want.forEach((w, e) => close(learningRate(spec, e, 4), w));
    want.forEach((w, e) => close(learningRate(base, e, 4), w));
    // Strictly decreasing, never zero within the run.
    for (let e = 1; e < 10; e++) assert.ok(learningRate(spec, e, 10) < learningRate(spec, e - 1, 10));
    assert.ok(learningRate(spec, 9, 10) > 0);
  });

  it('cosine with a single epoch keeps the initial rate', () => {
    close(learningRate({ ...base, schedule: 'cosine' }, 0, 1), 0.1);
  });

  it('step: multiplies by gamma at each milestone (default 0.5, 0.75 of the epochs, gamma 0.1)', () => {
    const spec: TrainingSpec = { ...base, schedule: 'step' };
    // E = 8: milestones at epochs 4 and 6.
    const want = [0.1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.001, 0.001];
    want.forEach((w, e) => close(learningRate(spec, e, 8), w));
  });

  it('step: custom milestones and gamma, milestones rounded to the nearest epoch', () => {
    const spec: TrainingSpec = { ...base, lr: 0.2, schedule: 'step', milestones: [0.25, 0.9], gamma: 0.5 };
    // E = 10: round(2.5) = 3, round(9) = 9.
    const want = [0.2, 0.2, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.05];
    want.forEach((w, e) => close(learningRate(spec, e, 10), w));
  });

  it('constant: the same rate every epoch', () => {
    const spec: TrainingSpec = { ...base, lr: 0.03, schedule: 'constant' };
    for (let e = 0; e < 7; e++) close(learningRate(spec, e, 7), 0.03);
  });
});

describe('stages', () => {
  it('cuts 10 epochs into 4 near-equal stages', () => {
    assert.deepEqual(stageBounds(10, 4), [
      [0, 2],
      [3, 4],
      [5, 7],
      [8, 9],
    ]);
    assert.deepEqual(
      Array.from({ length: 10 }, (_, e) => stageOf(e, 10, 4)),
      [0, 0, 0, 1, 1, 2, 2, 2, 3, 3],
    );
  });

  it('covers every epoch with K contiguous, non-empty segments of near-equal length', () => {
    for (let epochs = 1; epochs <= 30; epochs++) {
      for (let stages = 1; stages <= 8; stages++) {
        const bounds = stageBounds(epochs, stages);
        const k = Math.min(stages, epochs);
        const where = `epochs ${epochs}, stages ${stages}`;
        assert.equal(bounds.length, k, where);
        assert.equal(bounds[0][0], 0, where);
        assert.equal(bounds[k - 1][1], epochs - 1, where);
        for (let s = 0; s < k; s++) {
          assert.ok(bounds[s][0] <= bounds[s][1], `${where}: stage ${s} empty`);
          if (s > 0) assert.equal(bounds[s][0], bounds[s - 1][1] + 1, `${where}: gap or overlap before stage ${s}`);
        }
        const lengths = bounds.map(([a, b]) => b - a + 1);
        assert.ok(Math.max(...lengths) - Math.min(...lengths) <= 1, `${where}: lengths ${lengths}`);
        // stageOf agrees with the bounds and never decreases.
        for (let e = 0; e < epochs; e++) {
          const s = stageOf(e, epochs, stages);
          assert.ok(bounds[s][0] <= e && e <= bounds[s][1], `${where}: epoch ${e} in stage ${s}`);
          if (e > 0) assert.ok(s >= stageOf(e - 1, epochs, stages));
        }
      }
    }
  });

  it('more stages than epochs: one stage per epoch', () => {
    assert.deepEqual(stageBounds(3, 5), [
      [0, 0],
      [1, 1],
      [2, 2],
    ]);
    assert.equal(stageOf(2, 3, 5), 2);
  });

  it('one stage: the whole schedule', () => {
    assert.deepEqual(stageBounds(7, 1), [[0, 6]]);
  });
});

describe('stages by learning rate', () => {
  const training = { batchSize: 64, optimizer: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 5e-4 } as const;

  it('cuts a cosine schedule into stages of equal summed learning rate: short early stages, a long last one', () => {
    // Per-epoch LR of 12 cosine epochs, in units of lr/2: 2, 1.97, 1.87, 1.71, 1.5, 1.26, 1, 0.74,
    // 0.5, 0.29, 0.13, 0.03 (sum 13). A stage starts once the sum before it reaches k * 13/4.
    assert.deepEqual(stagePlan(12, 4, training, 'lr'), [0, 0, 1, 1, 2, 2, 3, 3, 3, 3, 3, 3]);
    assert.deepEqual(stageBounds(12, 4, stagePlan(12, 4, training, 'lr')), [[0, 1], [2, 3], [4, 5], [6, 11]]);
  });

  it('gives equal epochs for a constant schedule or boundaries "epochs", and never an empty stage', () => {
    assert.deepEqual(stagePlan(8, 4, { ...training, schedule: 'constant' }, 'lr'), [0, 0, 1, 1, 2, 2, 3, 3]);
    assert.deepEqual(stagePlan(10, 4, training, 'epochs'), Array.from({ length: 10 }, (_, e) => stageOf(e, 10, 4)));
    for (const epochs of [1, 2, 3, 4, 5, 7, 30]) {
      for (const stages of [1, 2, 4, 6]) {
        const plan = stagePlan(epochs, stages, training, 'lr');
        const k = Math.min(stages, epochs);
        assert.equal(plan.length, epochs);
        assert.deepEqual([...new Set(plan)], Array.from({ length: k }, (_, i) => i), `${epochs} epochs, ${stages} stages: ${plan}`);
      }
    }
  });
});

describe('targetStage', () => {
  it('aligned: the same stage; lookahead: the next, the last from the final teacher; none: always the last', () => {
    assert.deepEqual([0, 1, 2, 3].map((k) => targetStage(k, 4, 4, 'aligned')), [0, 1, 2, 3]);
    assert.deepEqual([0, 1, 2, 3].map((k) => targetStage(k, 4, 4, 'lookahead')), [1, 2, 3, 3]);
    assert.deepEqual([0, 1, 2, 3].map((k) => targetStage(k, 4, 4, 'none')), [3, 3, 3, 3]);
    // A student with fewer stages than the teacher's record steps through it proportionally.
    assert.deepEqual([0, 1].map((k) => targetStage(k, 2, 4, 'lookahead')), [2, 3]);
    assert.deepEqual([0].map((k) => targetStage(k, 1, 4, 'lookahead')), [3]);
  });
});

describe("SKD's stage experience per teacher stage (tet.late)", () => {
  it('before the last stage, the stage itself; at the last, the latest earlier stage the check passed', () => {
    const of = experienceStage([false, true, true, true], 4, true);
    assert.deepEqual([0, 1, 2, 3].map(of), [0, 1, 2, 2]);
    assert.equal(experienceStage([true, true, false, true], 4, true)(3), 1);
  });
  it('none at the last stage without tet.late, or when no earlier stage passed', () => {
    assert.equal(experienceStage([true, true, true, true], 4, false)(3), undefined);
    assert.equal(experienceStage([false, false, false, true], 4, true)(3), undefined);
    assert.equal(experienceStage(undefined, 4, true)(3), undefined);
  });
});

describe("SKD's look-ahead after the stage check, and whether any stage is taught", () => {
  it('a teacher stage whose check failed is not looked ahead to: the final teacher instead', () => {
    assert.deepEqual([0, 1, 2, 3].map((k) => checkedTargetStage(k, 4, 4, 'lookahead', [true, false, true, true])), [3, 2, 3, 3]);
    assert.deepEqual([0, 1, 2, 3].map((k) => checkedTargetStage(k, 4, 4, 'lookahead', undefined)), [1, 2, 3, 3]);
  });
  it('no stage taught when every check failed (SKD then trains as KD), or without a curriculum', () => {
    assert.equal(teachesAStage([false, false, false, true], 4, 4, 'lookahead', true), false);
    assert.equal(teachesAStage([true, true, true, true], 4, 4, 'none', false), false);
  });
  it('a stage is taught when one is looked ahead to, or only kept next to the final teacher (tet.late)', () => {
    assert.equal(teachesAStage([false, false, true, true], 4, 4, 'lookahead', false), true);
    // With two stages the student looks ahead to the final teacher from the start: stage 1's
    // experience reaches it only through tet.late.
    assert.equal(teachesAStage([true, true], 2, 2, 'lookahead', true), true);
    assert.equal(teachesAStage([true, true], 2, 2, 'lookahead', false), false);
  });
});
