import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LoadedDataset } from '../../../src/trainer/data/types';
import { MAX_PROBES, makeSplits } from '../../../src/trainer/engine/splits';
import { Rng } from '../../../src/trainer/util/rng';

/** Only the labels matter to the splits: n images of 10 classes with `perClass` each, shuffled. */
function dataset(perClass: number[]): LoadedDataset {
  const y: number[] = [];
  perClass.forEach((count, k) => {
    for (let i = 0; i < count; i++) y.push(k);
  });
  const labels = new Rng(99).shuffle(Int32Array.from(y)) as Int32Array;
  const n = labels.length;
  return {
    name: 'labels-only',
    shape: [1, 1, 1],
    numClasses: perClass.length,
    labels: perClass.map((_, k) => `c${k}`),
    train: { x: new Uint8Array(n), y: labels, n },
    test: { x: new Uint8Array(0), y: new Int32Array(0), n: 0 },
    mean: [0],
    std: [1],
    source: 'test',
  };
}

const sorted = (a: Int32Array) => Array.from(a).every((v, i, all) => i === 0 || all[i - 1] < v);
const classCounts = (ds: LoadedDataset, idx: Int32Array) => {
  const c = new Array(ds.numClasses).fill(0);
  for (const i of idx) c[ds.train.y[i]]++;
  return c;
};

describe('makeSplits', () => {
  const ds = dataset(new Array(10).fill(30));
  const s = makeSplits(ds, 0.1, 7);

  it('fit and val are disjoint and cover the training split', () => {
    const all = [...s.fit, ...s.val].sort((a, b) => a - b);
    assert.deepEqual(all, Array.from({ length: ds.train.n }, (_, i) => i));
    assert.equal(s.val.length, 30);
    assert.ok(sorted(s.fit) && sorted(s.val));
  });

  it('val is stratified: the same share of every class', () => {
    assert.deepEqual(classCounts(ds, s.val), new Array(10).fill(3));
    assert.deepEqual(classCounts(ds, s.fit), new Array(10).fill(27));
    // Unequal classes: round(0.2 * size) of each.
    const uneven = dataset([50, 20, 10, 5]);
    assert.deepEqual(classCounts(uneven, makeSplits(uneven, 0.2, 1).val), [10, 4, 2, 1]);
  });

  it('the quiz halves split val, disjoint; probes are fit images', () => {
    assert.equal(s.quizTrain.length, 15);
    assert.equal(s.quizTest.length, 15);
    assert.deepEqual([...s.quizTrain, ...s.quizTest].sort((a, b) => a - b), Array.from(s.val));
    const fit = new Set(s.fit);
    assert.equal(s.probe.length, Math.min(MAX_PROBES, s.fit.length));
    assert.ok(Array.from(s.probe).every((i) => fit.has(i)));
    assert.equal(new Set(s.probe).size, s.probe.length);
  });

  it('probes are capped at MAX_PROBES', () => {
    const big = makeSplits(dataset(new Array(10).fill(300)), 0.1, 1);
    assert.equal(big.fit.length, 2700);
    assert.equal(big.probe.length, MAX_PROBES);
    assert.ok(sorted(big.probe));
  });

  it('the same seed gives the same splits, another seed other ones', () => {
    const again = makeSplits(ds, 0.1, 7);
    for (const k of ['fit', 'val', 'quizTrain', 'quizTest', 'probe'] as const) assert.deepEqual(again[k], s[k], k);
    const other = makeSplits(ds, 0.1, 8);
    assert.notDeepEqual(other.val, s.val);
    assert.notDeepEqual(other.quizTrain, s.quizTrain);
  });

  it('the student learns from all fit images unless data.limit.student asks for fewer', () => {
    assert.equal(s.studentFit, s.fit);
    const all = makeSplits(ds, 0.1, 7, s.fit.length);
    assert.equal(all.studentFit, all.fit);
  });

  it('data.limit.student: a class-balanced, seeded subset of fit; the teacher\'s splits unchanged', () => {
    const sub = makeSplits(ds, 0.1, 7, 50);
    for (const k of ['fit', 'val', 'quizTrain', 'quizTest', 'probe'] as const) assert.deepEqual(sub[k], s[k], k);
    assert.equal(sub.studentFit.length, 50);
    assert.ok(sorted(sub.studentFit));
    const fit = new Set(s.fit);
    assert.ok(Array.from(sub.studentFit).every((i) => fit.has(i)));
    assert.deepEqual(classCounts(ds, sub.studentFit), new Array(10).fill(5));
    assert.deepEqual(makeSplits(ds, 0.1, 7, 50).studentFit, sub.studentFit);
    assert.notDeepEqual(makeSplits(ds, 0.1, 8, 50).studentFit, sub.studentFit);
  });
});
