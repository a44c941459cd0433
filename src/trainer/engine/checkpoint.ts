import * as fs from 'node:fs';
import { InputError } from '../errors';
import { writeFileAtomic } from '../util/atomicFile';

/**
 * A checkpoint is one file, replaced atomically: a 4-byte little-endian header length, a JSON
 * header (tensor names, shapes, offsets and free-form state), then the float32 data. One file
 * means a crash can never pair a new header with old data.
 */
export interface CheckpointEntry {
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

interface Header<S> {
  format: 'skd-checkpoint/1';
  entries: CheckpointEntry[];
  state: S;
}

export interface NamedArray {
  name: string;
  shape: number[];
  data: Float32Array;
}

export function writeCheckpoint<S>(file: string, arrays: NamedArray[], state: S): void {
  const entries: CheckpointEntry[] = [];
  let offset = 0;
  for (const a of arrays) {
    entries.push({ name: a.name, shape: a.shape, offset, size: a.data.length });
    offset += a.data.length;
  }
  const header: Header<S> = { format: 'skd-checkpoint/1', entries, state };
  let json = Buffer.from(JSON.stringify(header));
  const pad = (4 - ((4 + json.length) % 4)) % 4;
  json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const out = Buffer.alloc(4 + json.length + offset * 4);
  out.writeUInt32LE(json.length, 0);
  json.copy(out, 4);
  const data = new Float32Array(out.buffer, out.byteOffset + 4 + json.length, offset);
  for (let i = 0; i < arrays.length; i++) data.set(arrays[i].data, entries[i].offset);
  writeFileAtomic(file, out);
}

export function readCheckpoint<S>(file: string): { arrays: NamedArray[]; state: S } {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new InputError(file, undefined, `cannot read checkpoint (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  if (buf.length < 4) throw new InputError(file, undefined, 'checkpoint is truncated');
  const len = buf.readUInt32LE(0);
  let header: Header<S>;
  try {
    header = JSON.parse(buf.subarray(4, 4 + len).toString('utf8')) as Header<S>;
  } catch {
    throw new InputError(file, undefined, 'checkpoint header is corrupt');
  }
  if (header.format !== 'skd-checkpoint/1') throw new InputError(file, 'format', `unknown checkpoint format ${header.format}`);
  const total = header.entries.reduce((n, e) => n + e.size, 0);
  if (buf.length !== 4 + len + total * 4) throw new InputError(file, undefined, 'checkpoint is truncated');
  const aligned = new Float32Array(total);
  aligned.set(new Float32Array(buf.buffer.slice(buf.byteOffset + 4 + len, buf.byteOffset + 4 + len + total * 4)));
  const arrays = header.entries.map((e) => ({ name: e.name, shape: e.shape, data: aligned.subarray(e.offset, e.offset + e.size) }));
  return { arrays, state: header.state };
}

