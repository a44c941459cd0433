import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { calibration, gatherRows, meanCosine, meanKl, nmse, softmaxRows } from '../../../src/trainer/skd/metrics';

const f = (a: number[]) => Float32Array.from(a);
const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

describe('nmse', () => {
  it('squared error over the variance around the per-dimension mean', () => {
    // actual rows [1, 1], [3, 5]: means [2, 3]; variance sum 1 + 4 + 1 + 4 = 10.
    // pred rows [1, 2], [3, 4]: errors 0, 1, 0, 1 -> 2.
    close(nmse(f([1, 2, 3, 4]), f([1, 1, 3, 5]), 2, 2), 0.2);
  });
  it('predicting the mean gives 1, a perfect prediction 0', () => {
    close(nmse(f([2, 3, 2, 3]), f([1, 1, 3, 5]), 2, 2), 1);
    assert.equal(nmse(f([1, 1, 3, 5]), f([1, 1, 3, 5]), 2, 2), 0);
  });
  it('constant actual values: 0 when matched, Infinity when not', () => {
    assert.equal(nmse(f([2, 2]), f([2, 2]), 2, 1), 0);
    assert.equal(nmse(f([2, 3]), f([2, 2]), 2, 1), Infinity);
  });
});

describe('meanCosine', () => {
  it('mean over rows of the cosine similarity', () => {
    // [1,0] vs [0,1]: 0; [1,1] vs [2,2]: 1; [1,0] vs [-3,0]: -1.
    close(meanCosine(f([1, 0, 1, 1, 1, 0]), f([0, 1, 2, 2, -3, 0]), 3, 2), 0);
    close(meanCosine(f([1, 0, 1, 1]), f([0, 1, 2, 2]), 2, 2), 0.5);
    // [3,4] vs [4,3]: 24 / 25.
    close(meanCosine(f([3, 4]), f([4, 3]), 1, 2), 24 / 25);
  });
  it('a zero row counts as 0; no rows give 0', () => {
    close(meanCosine(f([0, 0, 1, 1]), f([1, 1, 1, 1]), 2, 2), 0.5);
    assert.equal(meanCosine(f([]), f([]), 0, 2), 0);
  });
});

describe('softmaxRows', () => {
  it('row-wise softmax, with a temperature', () => {
    const p = softmaxRows([0, Math.log(3), Math.log(4), 0], 2, 2);
    close(p[0], 0.25);
    close(p[1], 0.75);
    close(p[2], 0.8);
    close(p[3], 0.2);
    const t = softmaxRows([0, 2 * Math.log(3)], 1, 2, 2);
    close(t[0], 0.25);
    close(t[1], 0.75);
  });
  it('stays finite for huge logits', () => {
    const p = softmaxRows([1000, 1000, -1000], 1, 3);
    close(p[0], 0.5);
    close(p[1], 0.5);
    assert.equal(p[2], 0);
  });
});

describe('calibration', () => {
  // n = 4, 2 classes, 10 bins (confidences away from bin edges, which float32 may cross):
  //  [0.92, 0.08] label 0: hit,  conf 0.92 -> bin 9
  //  [0.83, 0.17] label 1: miss, conf 0.83 -> bin 8
  //  [0.29, 0.71] label 1: hit,  conf 0.71 -> bin 7
  //  [0.96, 0.04] label 0: hit,  conf 0.96 -> bin 9
  // ECE = sum_b n_b/n |acc_b - conf_b| = 2/4 |1 - 0.94| + 1/4 |0 - 0.83| + 1/4 |1 - 0.71| = 0.31.
  const probs = f([0.92, 0.08, 0.83, 0.17, 0.29, 0.71, 0.96, 0.04]);
  const labels = [0, 1, 1, 0];
  const h = (p: number[]) => -p.reduce((s, v) => s + v * Math.log(v), 0);

  it('accuracy, expected calibration error and mean entropy', () => {
    const m = calibration(probs, labels, 4, 2, 10);
    close(m.accuracy, 0.75);
    close(m.ece, 0.31);
    close(m.entropy, (h([0.92, 0.08]) + h([0.83, 0.17]) + h([0.29, 0.71]) + h([0.96, 0.04])) / 4);
  });

  it('15 bins by default: each row in its own bin here', () => {
    // bins of 1/15: 0.92 -> 13, 0.83 -> 12, 0.71 -> 10, 0.96 -> 14: ECE = (0.08 + 0.83 + 0.29 + 0.04) / 4.
    close(calibration(probs, labels, 4, 2).ece, 0.31);
    // One bin: |3/4 - mean confidence| = |0.75 - 0.855|.
    close(calibration(probs, labels, 4, 2, 1).ece, 0.105);
  });

  it('a confident, correct one-hot prediction is perfectly calibrated with zero entropy', () => {
    const m = calibration(f([1, 0, 0, 0, 0, 1]), [0, 2], 2, 3);
    assert.deepEqual(m, { accuracy: 1, ece: 0, entropy: 0 });
  });

  it('confidently wrong: ECE equals the confidence', () => {
    close(calibration(f([0.99, 0.01]), [1], 1, 2).ece, 0.99);
  });
});

describe('meanKl', () => {
  it('mean over rows of KL(p || q)', () => {
    // Row 1: 0.5 ln(0.5/0.25) + 0.5 ln(0.5/0.75); row 2: p == q, 0.
    const want = (0.5 * Math.log(2) + 0.5 * Math.log(2 / 3)) / 2;
    close(meanKl(f([0.5, 0.5, 0.1, 0.9]), f([0.25, 0.75, 0.1, 0.9]), 2, 2), want);
  });
  it('zero p terms count 0, zero q is floored: finite', () => {
    assert.equal(meanKl(f([1, 0]), f([1, 0]), 1, 2), 0);
    const v = meanKl(f([0.5, 0.5]), f([1, 0]), 1, 2);
    assert.ok(Number.isFinite(v) && v > 10);
  });
});

describe('gatherRows', () => {
  it('copies the chosen rows in the given order', () => {
    assert.deepEqual(Array.from(gatherRows(f([0, 1, 10, 11, 20, 21]), 2, [2, 0, 2])), [20, 21, 0, 1, 20, 21]);
  });
});
