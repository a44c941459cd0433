import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { readCheckpoint, writeCheckpoint, type NamedArray } from '../../../src/trainer/runDir/checkpoint';
import { InputError } from '../../../src/trainer/errors';
import { tempDir } from '../../helpers/experiment';

const tmp = tempDir('skd-checkpoint-');
after(tmp.cleanup);

const arrays: NamedArray[] = [
  { name: 'conv/kernel', shape: [2, 3], data: Float32Array.from([1, -2.5, 3.25, 0, -0, 1e-30]) },
  { name: 'dense/bias', shape: [3], data: Float32Array.from([Math.PI, -1e10, 7]) },
  { name: 'empty', shape: [0], data: new Float32Array(0) },
  { name: 'odd name ü/é', shape: [1], data: Float32Array.from([42]) },
];
const state = { loop: { epoch: 3, batch: 1, best: { epoch: 2, valAcc: 0.75 } }, note: 'x' };

function written(name: string): string {
  const file = path.join(tmp.dir, name);
  writeCheckpoint(file, arrays, state);
  return file;
}

function assertInputError(fn: () => unknown, file: string, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InputError, `expected an InputError, got ${String(e)}`);
    assert.equal(e.file, file);
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  });
}

describe('checkpoint files', () => {
  it('round-trips names, shapes, exact float32 values and the state', () => {
    const file = written('round.bin');
    const back = readCheckpoint<typeof state>(file);
    assert.deepEqual(back.state, state);
    assert.equal(back.arrays.length, arrays.length);
    back.arrays.forEach((a, i) => {
      assert.equal(a.name, arrays[i].name);
      assert.deepEqual(a.shape, arrays[i].shape);
      assert.deepEqual(Array.from(a.data), Array.from(arrays[i].data));
      assert.ok(a.data instanceof Float32Array);
    });
    // The data section is aligned to 4 bytes after the header.
    const buf = fs.readFileSync(file);
    assert.equal((4 + buf.readUInt32LE(0)) % 4, 0);
    assert.equal(buf.length, 4 + buf.readUInt32LE(0) + 4 * (6 + 3 + 0 + 1));
  });

  it('overwrites an existing checkpoint atomically (no temp files left)', () => {
    const file = written('again.bin');
    writeCheckpoint(file, [{ name: 'a', shape: [1], data: Float32Array.from([5]) }], { n: 2 });
    const back = readCheckpoint<{ n: number }>(file);
    assert.equal(back.state.n, 2);
    assert.deepEqual(Array.from(back.arrays[0].data), [5]);
    assert.deepEqual(
      fs.readdirSync(tmp.dir).filter((f) => f.startsWith('again')),
      ['again.bin'],
    );
  });

  it('a truncated file is an InputError naming the file', () => {
    const file = written('truncated.bin');
    const buf = fs.readFileSync(file);
    fs.writeFileSync(file, buf.subarray(0, buf.length - 4));
    assertInputError(() => readCheckpoint(file), file, /truncated/);
    fs.writeFileSync(file, buf.subarray(0, 3));
    assertInputError(() => readCheckpoint(file), file, /truncated/);
    // Extra bytes after the data are as wrong as missing ones.
    fs.writeFileSync(file, Buffer.concat([buf, Buffer.alloc(4)]));
    assertInputError(() => readCheckpoint(file), file, /truncated/);
  });

  it('a header cut short is reported as corrupt', () => {
    const file = written('cut-header.bin');
    const buf = fs.readFileSync(file);
    fs.writeFileSync(file, buf.subarray(0, 20));
    assertInputError(() => readCheckpoint(file), file, /header is corrupt/);
  });

  it('a header of another format is refused, naming the field', () => {
    const file = written('format.bin');
    const buf = fs.readFileSync(file);
    const at = buf.indexOf('skd-checkpoint/1');
    assert.ok(at > 0);
    buf.write('skd-checkpoint/9', at);
    fs.writeFileSync(file, buf);
    assert.throws(
      () => readCheckpoint(file),
      (e: unknown) => e instanceof InputError && e.field === 'format' && /unknown checkpoint format skd-checkpoint\/9/.test(e.message),
    );
  });

  it('a header whose sizes do not match the data is refused', () => {
    const file = written('sizes.bin');
    const buf = fs.readFileSync(file);
    // "size":3 of dense/bias -> "size":2 (same byte length): the header now promises less data.
    const text = buf.toString('latin1');
    const at = text.indexOf('"size":3');
    assert.ok(at > 0);
    buf.write('"size":2', at, 'latin1');
    fs.writeFileSync(file, buf);
    assertInputError(() => readCheckpoint(file), file, /truncated/);
  });

  it('a missing file is an InputError, not a crash', () => {
    const file = path.join(tmp.dir, 'nope.bin');
    assertInputError(() => readCheckpoint(file), file, /cannot read checkpoint \(ENOENT\)/);
  });
});
