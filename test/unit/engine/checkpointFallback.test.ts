/**
 * Checkpoints that go bad on disk: the CRC-32 in the header catches a changed bit (in the data
 * or in the header's state), a loop's checkpoint keeps the one before it as `<file>.prev`, and
 * reading falls back to that one, saying so in one line that names the file.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { crc32, crc32Portable, previousCheckpoint, readCheckpoint, readCheckpointOrPrevious, writeCheckpoint } from '../../../src/trainer/runDir/checkpoint';
import { InputError } from '../../../src/trainer/errors';
import { tempDir } from '../../helpers/experiment';

const tmp = tempDir('skd-checkpoint-fallback-');
after(tmp.cleanup);

const weights = (v: number) => [{ name: 'w', shape: [64], data: Float32Array.from({ length: 64 }, (_, i) => v + i / 8) }];

function flipBit(file: string, at: number): void {
  const buf = fs.readFileSync(file);
  buf[at] ^= 0x04;
  fs.writeFileSync(file, buf);
}

describe('checkpoint checksum and fallback', () => {
  it('CRC-32 is the standard one, with and without zlib', () => {
    const check = Buffer.from('123456789');
    assert.equal(crc32(check), 0xcbf43926);
    assert.equal(crc32Portable(check), 0xcbf43926);
    // Continued over two parts, as the checkpoint sums its header, then its data.
    assert.equal(crc32Portable(check.subarray(4), crc32Portable(check.subarray(0, 4))), 0xcbf43926);
  });

  it('a bit flipped in the data or in the header state is corrupt, naming the file', () => {
    for (const where of ['data', 'state'] as const) {
      const file = path.join(tmp.dir, `flip-${where}.bin`);
      writeCheckpoint(file, weights(1), { loop: { epoch: 2 } });
      const buf = fs.readFileSync(file);
      // '2' -> '6' in the state keeps the header valid JSON; only the checksum can tell.
      const at = where === 'data' ? buf.length - 100 : buf.indexOf('"epoch":2') + 8;
      flipBit(file, at);
      assert.throws(
        () => readCheckpoint(file),
        (e: unknown) => e instanceof InputError && e.file === file && /corrupt/.test(e.message) && !e.message.includes('\n'),
      );
    }
  });

  it('a checkpoint without a checksum (written before it existed) still reads', () => {
    const file = path.join(tmp.dir, 'legacy.bin');
    const header = Buffer.from(JSON.stringify({ format: 'skd-checkpoint/1', entries: [{ name: 'w', shape: [2], offset: 0, size: 2 }], state: { n: 1 } }));
    const padded = Buffer.concat([header, Buffer.alloc((4 - ((4 + header.length) % 4)) % 4, 0x20)]);
    const lead = Buffer.alloc(4);
    lead.writeUInt32LE(padded.length);
    fs.writeFileSync(file, Buffer.concat([lead, padded, Buffer.from(Float32Array.from([1.5, -2]).buffer)]));
    const back = readCheckpoint<{ n: number }>(file);
    assert.deepEqual(Array.from(back.arrays[0].data), [1.5, -2]);
    assert.equal(back.state.n, 1);
  });

  it('keeps the previous checkpoint, and falls back to it when the newest is truncated or flipped', () => {
    for (const damage of ['truncated', 'flipped', 'removed'] as const) {
      const file = path.join(tmp.dir, `loop-${damage}.bin`);
      writeCheckpoint(file, weights(1), { epoch: 1 }, { keepPrevious: true });
      assert.ok(!fs.existsSync(previousCheckpoint(file)), 'nothing to keep before the first one');
      writeCheckpoint(file, weights(2), { epoch: 2 }, { keepPrevious: true });
      assert.equal(readCheckpoint<{ epoch: number }>(previousCheckpoint(file)).state.epoch, 1);
      if (damage === 'truncated') fs.writeFileSync(file, fs.readFileSync(file).subarray(0, 150));
      if (damage === 'flipped') flipBit(file, fs.statSync(file).size - 17);
      if (damage === 'removed') fs.rmSync(file);
      const warnings: string[] = [];
      const found = readCheckpointOrPrevious<{ epoch: number }>(file, (l) => warnings.push(l));
      assert.equal(found?.state.epoch, 1, damage);
      assert.equal(found?.file, previousCheckpoint(file));
      assert.equal(found?.arrays[0].data[0], 1);
      assert.equal(warnings.length, 1);
      assert.ok(warnings[0].startsWith(`${file}: `), warnings[0]);
      assert.match(warnings[0], /resuming from the previous checkpoint/);
    }
    // No temporary files are left beside them.
    assert.deepEqual(fs.readdirSync(tmp.dir).filter((f) => f.includes('.tmp-')), []);
  });

  it('a write killed after keeping the previous checkpoint (the two are one file) leaves no temporary at the next write', () => {
    const dir = path.join(tmp.dir, 'killed-after-keep');
    fs.mkdirSync(dir);
    const file = path.join(dir, 'loop.bin');
    writeCheckpoint(file, weights(1), { epoch: 1 }, { keepPrevious: true });
    // Killed between keeping the current checkpoint as `.prev` (a hard link) and renaming the new one in.
    fs.linkSync(file, previousCheckpoint(file));
    writeCheckpoint(file, weights(2), { epoch: 2 }, { keepPrevious: true });
    assert.deepEqual(fs.readdirSync(dir).sort(), ['loop.bin', 'loop.bin.prev']);
    assert.equal(readCheckpoint<{ epoch: number }>(previousCheckpoint(file)).state.epoch, 1);
    assert.equal(readCheckpoint<{ epoch: number }>(file).state.epoch, 2);
  });

  it('an intact newest checkpoint is read without a word; none at all is undefined; both damaged is the newest one\'s error', () => {
    const file = path.join(tmp.dir, 'both.bin');
    const warnings: string[] = [];
    assert.equal(readCheckpointOrPrevious(file, (l) => warnings.push(l)), undefined);
    writeCheckpoint(file, weights(1), { epoch: 1 }, { keepPrevious: true });
    writeCheckpoint(file, weights(2), { epoch: 2 }, { keepPrevious: true });
    assert.equal(readCheckpointOrPrevious<{ epoch: number }>(file, (l) => warnings.push(l))?.state.epoch, 2);
    assert.equal(warnings.length, 0);
    fs.writeFileSync(file, fs.readFileSync(file).subarray(0, 10));
    fs.writeFileSync(previousCheckpoint(file), '');
    assert.throws(() => readCheckpointOrPrevious(file, (l) => warnings.push(l)), (e: unknown) => e instanceof InputError && e.file === file);
    assert.equal(warnings.length, 0);
  });
});
