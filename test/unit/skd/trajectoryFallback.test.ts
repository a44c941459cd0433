/**
 * A damaged trajectory file loses no finished work that another file also holds: a stage's best
 * logits are recorded in its stage file and in its best epoch's file, so either is read from the
 * other, with one warning; what has no second copy (the behaviour, another epoch's logits) is a
 * one-line error naming the file.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import { isInputError } from '../../../src/trainer/errors';
import { Trajectory } from '../../../src/trainer/skd/trajectory';
import { Rng } from '../../../src/trainer/util/rng';
import { tempDir } from '../../helpers/experiment';
import { uniform, writeEpochTrajectory } from '../../helpers/trajectory';

const IMAGES = 20;
const CLASSES = 3;
const tmp = tempDir('skd-trajectory-fallback-');
after(tmp.cleanup);

const rng = new Rng(4);
// Two stages of two epochs; the best epochs are 1 and 2.
const epochs = [0, 1, 2, 3].map(() => uniform(rng, IMAGES * CLASSES));
const behaviour = [uniform(rng, IMAGES * 2), uniform(rng, IMAGES * 2)];

function fresh(): { traj: Trajectory; warnings: string[] } {
  fs.rmSync(tmp.dir, { recursive: true, force: true });
  fs.mkdirSync(tmp.dir, { recursive: true });
  writeEpochTrajectory({ dir: tmp.dir, classes: CLASSES, images: IMAGES, epochs, plan: [0, 0, 1, 1], best: [1, 2], behaviour: (k) => behaviour[k] });
  const traj = Trajectory.open(tmp.dir);
  const warnings: string[] = [];
  traj.warn = (line) => warnings.push(line);
  return { traj, warnings };
}

/** Flips one byte in the middle of a file (its CRC-32 no longer matches). */
function damage(name: string): string {
  const file = path.join(tmp.dir, name);
  const buf = fs.readFileSync(file);
  buf[buf.length - 5] ^= 0xff;
  fs.writeFileSync(file, buf);
  return file;
}

const throwsNaming = (f: () => unknown, file: string) =>
  assert.throws(f, (e: unknown) => isInputError(e) && e.message.startsWith(file) && /CRC-32/.test(e.message) && !e.message.includes('\n'));

describe('a damaged trajectory file', () => {
  let t: ReturnType<typeof fresh>;
  beforeEach(() => (t = fresh()));

  it("a stage file: its logits come from the best epoch's file, with one warning; its behaviour is an error naming it", () => {
    const file = damage('stage-2.bin');
    assert.deepEqual(t.traj.stageLogits(1), epochs[2]);
    assert.deepEqual(t.traj.stageLogits(1), epochs[2]);
    assert.equal(t.warnings.length, 1);
    assert.match(t.warnings[0], /stage-2\.bin: checkpoint is corrupt .*; the stage's logits are read from epoch-3\.bin/);
    throwsNaming(() => t.traj.stage(1).behaviour, file);
    assert.deepEqual(t.traj.stageLogits(0), epochs[1], 'the other stage is untouched');
  });

  it("a stage's best epoch file: its logits come from the stage file, with one warning", () => {
    damage('epoch-2.bin');
    assert.deepEqual(t.traj.epochLogits(1), epochs[1]);
    assert.deepEqual(t.traj.epochLogits(1), epochs[1]);
    assert.equal(t.warnings.length, 1);
    assert.match(t.warnings[0], /epoch-2\.bin: checkpoint is corrupt .*; its logits are read from .*stage-1\.bin/);
  });

  it('an epoch that is no stage\'s best, or both copies: an error naming the file', () => {
    throwsNaming(() => t.traj.epochLogits(0), damage('epoch-1.bin'));
    damage('epoch-3.bin');
    throwsNaming(() => t.traj.stageLogits(1), damage('stage-2.bin'));
    assert.throws(() => t.traj.stageLogits(1), /its second copy, epoch-3\.bin, is damaged too/);
    assert.equal(t.warnings.length, 0);
  });
});
