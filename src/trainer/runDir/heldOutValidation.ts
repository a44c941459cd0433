/**
 * Which images a network gets right, as the run directory records them (each epoch's validation
 * images in `metrics.jsonl`, the final student's test images in `summary.json`), and the
 * validation accuracy with the epoch selection held out that the bench reads from them.
 *
 * A run keeps the epoch with the best validation accuracy, and the bench reports that epoch's
 * validation accuracy: the maximum of a dozen noisy estimates on the same few hundred images.
 * It is biased upwards, and by more for a method whose late epochs swing than for one whose
 * curve is flat, so two methods' "best val" can differ where their selected students do not.
 * Cross-fitting removes the bias: the validation images are split in two halves (even and odd
 * positions), each half picks an epoch, and the other half scores it. The sum of the two scores
 * is the accuracy, on images that took no part in the choice, of a student chosen by validation
 * accuracy as SKD Lab chooses it (the earliest of equal epochs), on half as many images, so a
 * little below what the full split's choice gets, for every method alike. Pure: no I/O.
 */

import type { CorrectImages } from '../../protocol/runDir';

export function encodeCorrect(right: ArrayLike<boolean | number>): CorrectImages {
  const bytes = new Uint8Array((right.length + 7) >> 3);
  for (let i = 0; i < right.length; i++) if (right[i]) bytes[i >> 3] |= 1 << (i & 7);
  return { n: right.length, bits: Buffer.from(bytes).toString('base64') };
}

/** The bits as 0/1 per image; undefined when the record is malformed (wrong length). */
export function decodeCorrect(c: CorrectImages): Uint8Array | undefined {
  const bytes = Buffer.from(c.bits, 'base64');
  if (!Number.isInteger(c.n) || c.n < 0 || bytes.length !== (c.n + 7) >> 3) return undefined;
  const out = new Uint8Array(c.n);
  for (let i = 0; i < c.n; i++) out[i] = (bytes[i >> 3] >> (i & 7)) & 1;
  return out;
}

/** The epochs of one network's training, as read from its epoch events. */
export interface EpochCorrect {
  epoch: number;
  valCorrect?: CorrectImages;
}

/** One network's epochs' records in epoch order (an epoch recorded twice: the later record); null when any lacks one or their sizes differ. */
function epochRows(epochs: readonly EpochCorrect[]): Uint8Array[] | null {
  const byEpoch = new Map<number, EpochCorrect>();
  for (const e of epochs) byEpoch.set(e.epoch, e);
  const ordered = [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
  if (ordered.length === 0) return null;
  const rows: Uint8Array[] = [];
  for (const e of ordered) {
    const row = e.valCorrect && decodeCorrect(e.valCorrect);
    if (!row || (rows.length && row.length !== rows[0].length)) return null;
    rows.push(row);
  }
  return rows;
}

/** The earliest epoch with the most images right among `images` (those with `take(i)`): the training loop's choice. */
function choose(rows: readonly Uint8Array[], take: (i: number) => boolean): number {
  let best = 0;
  let bestCount = -1;
  rows.forEach((row, e) => {
    let count = 0;
    for (let i = 0; i < row.length; i++) if (take(i)) count += row[i];
    if (count > bestCount) [best, bestCount] = [e, count];
  });
  return best;
}

/** Per validation image, whether the epoch the whole split selects gets it right (what "best val" averages). */
function selectedRight(rows: readonly Uint8Array[]): Uint8Array {
  return rows[choose(rows, () => true)];
}

/**
 * Per validation image, whether the epoch the *other* half selects gets it right (even positions
 * are scored by the odd half's choice and the other way round); null with fewer than two
 * validation images.
 */
function heldOutRight(rows: readonly Uint8Array[]): Uint8Array | null {
  if (rows[0].length < 2) return null;
  const byHalf = [choose(rows, (i) => (i & 1) === 0), choose(rows, (i) => (i & 1) === 1)];
  return rows[0].map((_, i) => rows[byHalf[1 - (i & 1)]][i]);
}

const share = (right: Uint8Array) => right.reduce((a, b) => a + b, 0) / right.length;

/**
 * The held-out validation accuracy (a fraction), or null when any epoch lacks its record (runs
 * recorded before it), the records disagree in size, or there are fewer than two validation
 * images. An epoch recorded twice counts once (the later record).
 */
export function heldOutValAcc(epochs: readonly EpochCorrect[]): number | null {
  const rows = epochRows(epochs);
  const right = rows && heldOutRight(rows);
  return right ? share(right) : null;
}

/** A student's validation from its epoch events, each record decoded once. */
export interface StudentValidation {
  /** The selected epoch's accuracy ("best val"); null without epochs. */
  best: number | null;
  /** The held-out accuracy (`heldOutValAcc`). */
  heldOut: number | null;
  /** Per image: right at the selected epoch (null without every epoch's record), and right at the epoch the other half selected (null as `heldOut`). */
  selectedRight: Uint8Array | null;
  heldOutRight: Uint8Array | null;
}

export function validationRecords(epochs: readonly (EpochCorrect & { valAcc: number })[]): StudentValidation {
  const rows = epochRows(epochs);
  const held = rows && heldOutRight(rows);
  return {
    best: epochs.length ? Math.max(...epochs.map((e) => e.valAcc)) : null,
    heldOut: held ? share(held) : null,
    selectedRight: rows ? selectedRight(rows) : null,
    heldOutRight: held ?? null,
  };
}
