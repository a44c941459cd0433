import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { imageSe, meanStd, pairedDiff, seBoth } from '../../../src/trainer/bench/pairedStats';

const close = (a: number | null | undefined, b: number, eps = 1e-12) => assert.ok(a !== null && a !== undefined && Math.abs(a - b) < eps, `${a} != ${b}`);
const seeds = (o: Record<number, number>) => new Map(Object.entries(o).map(([k, v]) => [Number(k), v]));

describe('meanStd', () => {
  it('gives the mean and the sample (n - 1) standard deviation', () => {
    // mean 0.82; deviations -0.02, 0, 0.02; variance (0.0004 + 0.0004) / 2 = 0.0004; std 0.02
    const r = meanStd([0.8, 0.82, 0.84]);
    close(r.mean, 0.82);
    close(r.std, 0.02);
    assert.equal(r.n, 3);
  });
  it('gives std 0 for one value and NaN for none', () => {
    assert.deepEqual(meanStd([0.5]), { mean: 0.5, std: 0, n: 1 });
    const none = meanStd([]);
    assert.ok(Number.isNaN(none.mean) && none.n === 0);
  });
});

describe('pairedDiff', () => {
  it('pairs by seed: mean of differences, SE = std / sqrt(n), t = mean / SE', () => {
    // common seeds 1..4 (seed 5 only in b): differences 0.01, 0, 0.02, 0.01
    // mean 0.01; squared deviations 0, 1e-4, 1e-4, 0; variance 2e-4 / 3; std 0.0081650;
    // SE = std / 2 = 0.0040825; t = 0.01 / SE = sqrt(6) = 2.4495
    const d = pairedDiff(seeds({ 1: 0.85, 2: 0.86, 3: 0.88, 4: 0.87 }), seeds({ 4: 0.86, 1: 0.84, 2: 0.86, 3: 0.86, 5: 0.9 }))!;
    assert.deepEqual(d.seeds, [1, 2, 3, 4]);
    assert.equal(d.n, 4);
    close(d.mean, 0.01);
    close(d.std, Math.sqrt(2e-4 / 3));
    close(d.se, Math.sqrt(2e-4 / 3) / 2);
    close(d.t, Math.sqrt(6), 1e-9);
  });
  it('is not the difference of the means when the seeds differ', () => {
    // a's mean 0.80, b's mean 0.75 over all seeds, but over the shared seed 2 the difference is -0.1
    const d = pairedDiff(seeds({ 1: 0.9, 2: 0.7 }), seeds({ 2: 0.8, 3: 0.7 }))!;
    close(d.mean, -0.1);
    assert.equal(d.n, 1);
  });
  it('has no standard error or t for one pair, and no t when every difference is equal', () => {
    const one = pairedDiff(seeds({ 1: 0.9 }), seeds({ 1: 0.8 }))!;
    assert.equal(one.se, null);
    assert.equal(one.t, null);
    const flat = pairedDiff(seeds({ 1: 0.75, 2: 0.5 }), seeds({ 1: 0.5, 2: 0.25 }))!;
    assert.equal(flat.mean, 0.25);
    assert.equal(flat.se, 0);
    assert.equal(flat.t, null);
  });
  it('takes differences equal up to floating-point rounding as equal (no t of 1e16)', () => {
    // 28/300 - 10/300 = 0.060000000000000005 but 24/300 - 6/300 = 0.06
    const d = pairedDiff(seeds({ 1: 28 / 300, 2: 24 / 300 }), seeds({ 1: 10 / 300, 2: 6 / 300 }))!;
    assert.notEqual(28 / 300 - 10 / 300, 24 / 300 - 6 / 300);
    close(d.mean, 0.06);
    assert.equal(d.std, 0);
    assert.equal(d.se, 0);
    assert.equal(d.t, null);
  });
  it('is undefined without a shared seed', () => {
    assert.equal(pairedDiff(seeds({ 1: 0.9 }), seeds({ 2: 0.8 })), undefined);
  });
});

describe('imageSe: the standard error the fixed images add', () => {
  const bits = (s: string) => Uint8Array.from([...s].map(Number));
  // Four images, two seeds. a - b per image and seed: seed 1 (+1, 0, 0, +1), seed 2 (+1, +1, 0, 0);
  // the mean over seeds per image: 1 .5 0 .5, whose mean is .5 and sample std
  // sqrt((.5^2 + 0 + .5^2 + 0) / 3) = sqrt(.5 / 3); SE = std / sqrt(4).
  const a = new Map([
    [1, bits('1101')],
    [2, bits('1100')],
  ]);
  const b = new Map([
    [1, bits('0100')],
    [2, bits('0000')],
  ]);

  it('is the standard error over images of the per-image mean difference (hand-computed)', () => {
    const se = imageSe(a, b, [1, 2])!;
    assert.ok(Math.abs(se - Math.sqrt(0.5 / 3) / 2) < 1e-12, String(se));
  });

  it('adds to the seeds\' standard error in quadrature, and needs every record', () => {
    const d = { ...pairedDiff(seeds({ 1: 0.75, 2: 0.5 }), seeds({ 1: 0.25, 2: 0 }))!, seImages: 0.3 };
    // Seed differences .5 and .5: SE over seeds 0, so the total is the images' share.
    assert.equal(seBoth(d), 0.3);
    assert.equal(seBoth({ ...d, seImages: undefined }), null);
    assert.equal(imageSe(a, b, [1, 3]), undefined);
    assert.equal(imageSe(a, new Map([[1, bits('01')], [2, bits('00')]]), [1, 2]), undefined);
    assert.equal(imageSe(a, b, []), undefined);
  });
});
