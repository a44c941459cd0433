import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { InputError } from '../errors';
import { writeFileAtomic } from './atomicFile';

/**
 * A checkpoint is one file, replaced atomically: a 4-byte little-endian header length, a JSON
 * header (tensor names, shapes, offsets, free-form state and a CRC-32 of header and data), then
 * the float32 data. One file means a crash can never pair a new header with old data; the
 * checksum catches what goes bad on disk afterwards (a bit flip, a torn copy). Files written
 * before the checksum existed read as before, unchecked.
 *
 * A training loop's checkpoint keeps the one before it as `<file>.prev`, and a resume falls
 * back to that one when the newest is unreadable (`readCheckpointOrPrevious`), so a damaged
 * file costs at most the work between the two, never a finished phase.
 */
export interface CheckpointEntry {
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

interface Header<S> {
  format: 'skd-checkpoint/1';
  /** CRC-32 (8 hex digits) of the header's JSON without this field, then of the data bytes. */
  crc32?: string;
  entries: CheckpointEntry[];
  state: S;
}

export interface NamedArray {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** Where the checkpoint before `file` is kept. */
export function previousCheckpoint(file: string): string {
  return `${file}.prev`;
}

export function writeCheckpoint<S>(file: string, arrays: NamedArray[], state: S, opts: { keepPrevious?: boolean } = {}): void {
  const entries: CheckpointEntry[] = [];
  let offset = 0;
  for (const a of arrays) {
    entries.push({ name: a.name, shape: a.shape, offset, size: a.data.length });
    offset += a.data.length;
  }
  const data = new Float32Array(offset);
  for (let i = 0; i < arrays.length; i++) data.set(arrays[i].data, entries[i].offset);
  const dataBytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const unsummed = { format: 'skd-checkpoint/1' as const, entries, state };
  const sum = crc32(dataBytes, crc32(Buffer.from(JSON.stringify(unsummed))));
  const header: Header<S> = { format: unsummed.format, crc32: hex(sum), entries, state };
  let json = Buffer.from(JSON.stringify(header));
  const pad = (4 - ((4 + json.length) % 4)) % 4;
  json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const lead = Buffer.alloc(4);
  lead.writeUInt32LE(json.length, 0);
  writeFileAtomic(file, Buffer.concat([lead, json, dataBytes]), opts.keepPrevious ? { keepPrevious: previousCheckpoint(file) } : {});
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
    if (!Array.isArray(header.entries)) throw new Error('no entries');
  } catch {
    throw new InputError(file, undefined, 'checkpoint header is corrupt');
  }
  if (header.format !== 'skd-checkpoint/1') throw new InputError(file, 'format', `unknown checkpoint format ${header.format}`);
  const total = header.entries.reduce((n, e) => n + e.size, 0);
  if (buf.length !== 4 + len + total * 4) throw new InputError(file, undefined, 'checkpoint is truncated');
  const dataBytes = buf.subarray(4 + len, 4 + len + total * 4);
  if (header.crc32 !== undefined) {
    const { crc32: recorded, ...unsummed } = header;
    const sum = crc32(dataBytes, crc32(Buffer.from(JSON.stringify(unsummed))));
    if (recorded !== hex(sum)) throw new InputError(file, undefined, 'checkpoint is corrupt (its CRC-32 does not match its content)');
  }
  const aligned = new Float32Array(total);
  aligned.set(new Float32Array(buf.buffer.slice(dataBytes.byteOffset, dataBytes.byteOffset + dataBytes.length)));
  const arrays = header.entries.map((e) => ({ name: e.name, shape: e.shape, data: aligned.subarray(e.offset, e.offset + e.size) }));
  return { arrays, state: header.state };
}

/**
 * The newest checkpoint of a training loop, or, when it is unreadable (truncated, corrupt,
 * missing), the one before it, with one line to `warn` naming both files. Undefined when there
 * is neither (the loop starts afresh). When both are unreadable, the newest one's error.
 */
export function readCheckpointOrPrevious<S>(file: string, warn: (line: string) => void): { arrays: NamedArray[]; state: S; file: string } | undefined {
  const prev = previousCheckpoint(file);
  const hasNewest = fs.existsSync(file);
  const hasPrev = fs.existsSync(prev);
  if (!hasNewest && !hasPrev) return undefined;
  let newestError: InputError | undefined;
  if (hasNewest) {
    try {
      return { ...readCheckpoint<S>(file), file };
    } catch (e) {
      if (!(e instanceof InputError) || !hasPrev) throw e;
      newestError = e;
    }
  }
  let back: { arrays: NamedArray[]; state: S };
  try {
    back = readCheckpoint<S>(prev);
  } catch (e) {
    throw newestError ?? e;
  }
  warn(`${file}: ${newestError ? newestError.reason : 'checkpoint is missing'}; resuming from the previous checkpoint, ${prev}`);
  return { ...back, file: prev };
}

/**
 * A saved result that can be computed again (TBT's and TET's outputs): undefined when it is
 * missing, and also when it is unreadable, then with one line to `warn` naming the file.
 */
export function readCheckpointIfIntact<S>(file: string, warn: (line: string) => void): { arrays: NamedArray[]; state: S } | undefined {
  if (!fs.existsSync(file)) return undefined;
  try {
    return readCheckpoint<S>(file);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    warn(`${file}: ${e.reason}; computing it again`);
    return undefined;
  }
}

const zlibCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
let table: Uint32Array | undefined;

/** CRC-32 (IEEE, as zip and PNG use), continuing from `seed`; zlib's where this Node has it. */
export function crc32(data: Uint8Array, seed = 0): number {
  return zlibCrc32 ? zlibCrc32(data, seed) >>> 0 : crc32Portable(data, seed);
}

/** The same in plain JavaScript, for runtimes whose zlib lacks it (Node before 20.15). */
export function crc32Portable(data: Uint8Array, seed = 0): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = ~seed >>> 0;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}
