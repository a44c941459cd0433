/** The held-out validation figure: each half of the validation images scores the epoch the other half chose. */
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeCorrect, encodeCorrect, heldOutValAcc, validationRecords } from '../../../src/trainer/runDir/heldOutValidation';
import { formatMethodsTable, methodRows, type RunRecord } from '../../../src/trainer/bench/methods';
import { formatPooledTable, poolReports } from '../../../src/trainer/bench/pooledMethods';
import { benchRecord, benchReport } from '../../helpers/benchRecords';

/** An epoch whose network gets right the images marked 1 in `pattern` (position i of the validation split). */
const epoch = (e: number, pattern: string, valAcc = [...pattern].filter((c) => c === '1').length / pattern.length) => ({
  epoch: e,
  valAcc,
  valCorrect: encodeCorrect([...pattern].map(Number)),
});

describe('encodeCorrect / decodeCorrect', () => {
  it('packs one bit an image, least significant first, and unpacks it again', () => {
    const right = [1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0];
    const c = encodeCorrect(right);
    assert.equal(c.n, 11);
    // bytes 0b1000_0001 = 0x81 and 0b0000_0011 = 0x03
    assert.equal(c.bits, Buffer.from([0x81, 0x03]).toString('base64'));
    assert.deepEqual([...decodeCorrect(c)!], right);
  });

  it('refuses a record whose bits do not match its count', () => {
    assert.equal(decodeCorrect({ n: 20, bits: Buffer.from([0xff]).toString('base64') }), undefined);
    assert.equal(decodeCorrect({ n: -1, bits: '' }), undefined);
  });
});

describe('heldOutValAcc', () => {
  it('scores each half with the epoch the other half chose (hand-computed)', () => {
    // Eight images; even positions 0 2 4 6, odd 1 3 5 7.
    //            positions  01234567
    const e0 = epoch(0, '11110000'); // even right 2 (0, 2), odd right 2 (1, 3)
    const e1 = epoch(1, '10101010'); // even right 4, odd right 0
    const e2 = epoch(2, '01010111'); // even right 1 (6), odd right 4
    // The even half chooses epoch 1 (4 of 4), which gets 0 odd images right; the odd half
    // chooses epoch 2 (4 of 4), which gets 1 even image right: (0 + 1) / 8.
    assert.equal(heldOutValAcc([e0, e1, e2]), 1 / 8);
    // The selected epoch's accuracy on all eight (best val) is 5 / 8, from epoch 2.
    const { best, heldOut } = validationRecords([e0, e1, e2]);
    assert.deepEqual({ best, heldOut }, { best: 5 / 8, heldOut: 1 / 8 });
  });

  it('takes the earliest of equal epochs, as the training loop does', () => {
    // Both epochs get the same even images right (2 of 2); the earlier one scores the odd half.
    const a = epoch(0, '1110');
    const b = epoch(1, '1011');
    // even half {0, 2}: a 2, b 2 -> a; a's odd {1, 3} = 1. odd half: a 1, b 2 -> b; b's even = 2.
    assert.equal(heldOutValAcc([a, b]), (1 + 2) / 4);
    assert.equal(heldOutValAcc([b, a].map((e, i) => ({ ...e, epoch: 1 - i }))), (1 + 2) / 4);
  });

  it('counts an epoch recorded twice once (the later record), in epoch order', () => {
    const first = epoch(0, '0000');
    const again = epoch(0, '1111');
    assert.equal(heldOutValAcc([first, again]), 1);
    assert.equal(heldOutValAcc([epoch(1, '0101'), epoch(0, '1010')]), 0);
  });

  it('is null for runs recorded before it, mixed sizes or too few images', () => {
    assert.equal(heldOutValAcc([]), null);
    assert.equal(heldOutValAcc([{ epoch: 0 }]), null);
    assert.equal(heldOutValAcc([epoch(0, '1010'), { epoch: 1 }]), null);
    assert.equal(heldOutValAcc([epoch(0, '1010'), epoch(1, '101')]), null);
    assert.equal(heldOutValAcc([epoch(0, '1')]), null);
    const old = validationRecords([{ epoch: 0, valAcc: 0.5 }]);
    assert.deepEqual({ best: old.best, heldOut: old.heldOut }, { best: 0.5, heldOut: null });
  });
});

const record = benchRecord;
const report = (benchDir: string, records: RunRecord[]) => benchReport(benchDir, records);

describe('the held-out figure in the bench reports', () => {
  // held-out val: none .70 .72, kd .74 .75, skd .77 .76 -> SKD - KD +.03 and +.01 (mean +2.00, SE 1.00 points),
  // SKD - none +.07 and +.04 (mean +5.50, SE 1.50).
  const withIt = [
    record('none', 1, 0.8, 0.79, 0.7),
    record('none', 2, 0.8, 0.79, 0.72),
    record('kd', 1, 0.82, 0.8, 0.74),
    record('kd', 2, 0.82, 0.8, 0.75),
    record('skd', 1, 0.83, 0.8, 0.77),
    record('skd', 2, 0.83, 0.8, 0.76),
  ];

  it('pairs it by seed like test and best val', () => {
    const rows = methodRows(['none', 'kd', 'skd'], withIt);
    const skd = rows.find((r) => r.method === 'skd')!;
    assert.ok(Math.abs(skd.heldOutVal.mean - 0.765) < 1e-12);
    assert.ok(Math.abs(skd.vsKd.heldOutVal!.mean - 0.02) < 1e-12);
    assert.ok(Math.abs(skd.vsKd.heldOutVal!.se! - 0.01) < 1e-12);
    assert.equal(skd.vsNone.heldOutVal!.n, 2);
  });

  it('shows its table, its SKD - KD and its note only when some run has it', () => {
    const text = formatMethodsTable(report('/b', withIt));
    assert.match(text, /\| skd \| 76\.50 ± 0\.71 \| \+2\.00 ± 1\.00 \(t 2\.0\) \| \+5\.50 ± 1\.50 \(t 3\.7\) \|/);
    assert.match(text, /held-out validation \+2\.00 ± 1\.00 \(t 2\.0\) over 2 paired seeds/);
    assert.match(text, /held-out val: each half of the validation images/);
    const before = formatMethodsTable(report('/b', withIt.map((r) => ({ ...r, heldOutValAcc: null }))));
    assert.doesNotMatch(before, /held-out/);
  });

  it('pools it over benches, each paired within its bench', () => {
    const other = withIt.map((r) => ({ ...r, heldOutValAcc: r.heldOutValAcc! + (r.method === 'skd' ? 0.01 : 0) }));
    const pooled = poolReports([report('/b1', withIt), report('/b2', other)]);
    const skd = pooled.rows.find((r) => r.method === 'skd')!;
    // Per-seed SKD - KD: +.03 +.01 (bench 1), +.04 +.02 (bench 2): mean +0.025.
    assert.ok(Math.abs(skd.pooled.vsKd.heldOutVal!.mean - 0.025) < 1e-12);
    const text = formatPooledTable(pooled);
    assert.match(text, /\| skd \| pooled \| 4 \| \+2\.50 ± /);
    assert.doesNotMatch(formatPooledTable(poolReports([report('/b1', withIt.map((r) => ({ ...r, heldOutValAcc: null })))])), /held-out/);
  });
});

describe('the images as a sample in the bench reports', () => {
  const bits = (s: string) => Uint8Array.from([...s].map(Number));
  // Two seeds of KD and SKD on four test images; SKD - KD per image and seed: seed 1 (+1, 0, 0, 0),
  // seed 2 (0, 0, +1, 0). Per seed the difference is +.25 both times (SE over seeds 0); per image the
  // mean over seeds is .5 0 .5 0 (mean .25, deviations ±.25): std sqrt(.25 / 3), SE over images
  // sqrt(.25 / 3) / 2 = 0.1443 (14.43 points).
  const run = (method: string, seed: number, test: string) => ({
    ...benchRecord(method, seed, [...test].filter((c) => c === '1').length / 4, 0.5, 0.5),
    perImage: { test: bits(test) },
  });
  const records = [run('kd', 1, '0110'), run('kd', 2, '1100'), run('skd', 1, '1110'), run('skd', 2, '1110')];
  const seImages = Math.sqrt(0.25 / 3) / 2;

  it('gives every paired difference the images\' standard error, against every other method', () => {
    const skd = methodRows(['kd', 'skd'], records).find((r) => r.method === 'skd')!;
    assert.ok(Math.abs(skd.vsKd.test!.mean - 0.25) < 1e-12);
    assert.equal(skd.vsKd.test!.se, 0);
    assert.ok(Math.abs(skd.vsKd.test!.seImages! - seImages) < 1e-12);
    assert.ok(Math.abs(skd.imageSe.kd.test! - seImages) < 1e-12);
    // No per-image record of validation here.
    assert.equal(skd.vsKd.val!.seImages, undefined);
  });

  it('shows ± over seeds and images in its own table and under SKD - KD', () => {
    const text = formatMethodsTable(benchReport('/b', records, ['kd', 'skd']));
    assert.match(text, /\| skd \| \+25\.00 ± 14\.43 \(t 1\.7\) \| — \| — \| — \| — \| — \|/);
    assert.match(text, /± over seeds and images: test \+25\.00 ± 14\.43 \(t 1\.7\)/);
  });

  it('pools the images\' shares with the weights of the pooled mean', () => {
    // The same bench twice (two seeds each): each weighs 2/4, so the pooled images' SE is
    // sqrt(2 * (1/2)^2 * se^2) = se / sqrt(2).
    const pooled = poolReports([benchReport('/b1', records, ['kd', 'skd']), benchReport('/b2', records, ['kd', 'skd'])], { reference: 'kd' });
    const skd = pooled.rows.find((r) => r.method === 'skd')!;
    assert.ok(Math.abs(skd.pooled.vsKd.test!.seImages! - seImages / Math.sqrt(2)) < 1e-12);
    assert.ok(Math.abs(skd.vsReference!.test!.seImages! - seImages / Math.sqrt(2)) < 1e-12);
    // Benches scored on the same images are one sample of them: per image, the mean over all
    // four pairs is .5 0 .5 0 again, and the pooled images' SE is the one bench's, not / sqrt(2).
    const sameTest = { test: 'the test split', val: 'draw 1' };
    const shared = poolReports([benchReport('/b1', records, ['kd', 'skd'], sameTest), benchReport('/b2', records, ['kd', 'skd'], sameTest)], { reference: 'kd' });
    assert.ok(Math.abs(shared.rows.find((r) => r.method === 'skd')!.pooled.vsKd.test!.seImages! - seImages) < 1e-12);
    // Another draw's validation images are their own sample: with the same bits on held-out
    // validation, its pooled images' SE is se / sqrt(2), while the shared test split's stays se.
    const withVal = records.map((r) => ({ ...r, perImage: { ...r.perImage, heldOutVal: r.perImage.test } }));
    const otherDraw = poolReports([benchReport('/b1', withVal, ['kd', 'skd'], sameTest), benchReport('/b2', withVal, ['kd', 'skd'], { ...sameTest, val: 'draw 2' })]);
    const drawn = otherDraw.rows.find((r) => r.method === 'skd')!.pooled.vsKd;
    assert.ok(Math.abs(drawn.test!.seImages! - seImages) < 1e-12);
    assert.ok(Math.abs(drawn.heldOutVal!.seImages! - seImages / Math.sqrt(2)) < 1e-12);
    // A bench without the records leaves the pooled figure without the images' share.
    const without = poolReports([benchReport('/b1', records, ['kd', 'skd']), benchReport('/b3', records.map((r) => ({ ...r, perImage: undefined })), ['kd', 'skd'])]);
    assert.equal(without.rows.find((r) => r.method === 'skd')!.pooled.vsKd.test!.seImages, undefined);
  });
});
