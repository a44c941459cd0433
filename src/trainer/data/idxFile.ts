import { InputError } from '../errors';

/**
 * The IDX file format of MNIST and its family: a big-endian header (magic number, then one
 * 32-bit size per dimension) followed by unsigned bytes. 2051 = ubyte, 3 dimensions (images);
 * 2049 = ubyte, 1 dimension (labels).
 */
export const IDX_IMAGES_MAGIC = 2051;
export const IDX_LABELS_MAGIC = 2049;

export interface IdxImages {
  n: number;
  rows: number;
  cols: number;
  /** n * rows * cols bytes (one channel). */
  x: Uint8Array;
}

/** A count such as 59999.5, short enough to read in a message. */
function formatCount(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Math.floor(v * 1000) / 1000);
}

function checkMagic(bytes: Uint8Array, file: string, expected: number, what: string, headerBytes: number): DataView {
  if (bytes.length < headerBytes) {
    throw new InputError(file, undefined, `too short for an IDX ${what} header (${bytes.length} bytes, need ${headerBytes})`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (magic !== expected) {
    throw new InputError(file, undefined, `wrong magic number ${magic} (expected ${expected} for IDX ${what})`);
  }
  return view;
}

/** The body length must match what the header promises: shorter is truncated, longer is wrong too. */
function checkLength(bytes: Uint8Array, file: string, header: number, n: number, recordBytes: number, what: string): void {
  const expected = header + n * recordBytes;
  if (bytes.length === expected) return;
  const holds = formatCount((bytes.length - header) / recordBytes);
  const kind = bytes.length < expected ? 'truncated' : 'size mismatch';
  throw new InputError(file, undefined, `${kind}: header says ${n} ${what} but file holds ${holds}`);
}

export function parseIdxImages(bytes: Uint8Array, file: string): IdxImages {
  const view = checkMagic(bytes, file, IDX_IMAGES_MAGIC, 'images', 16);
  const n = view.getUint32(4, false);
  const rows = view.getUint32(8, false);
  const cols = view.getUint32(12, false);
  if (rows === 0 || cols === 0 || rows > 4096 || cols > 4096) {
    throw new InputError(file, undefined, `unusable image size ${rows}x${cols} in the IDX header`);
  }
  checkLength(bytes, file, 16, n, rows * cols, `images of ${rows}x${cols}`);
  return { n, rows, cols, x: bytes.subarray(16, 16 + n * rows * cols) };
}

export function parseIdxLabels(bytes: Uint8Array, file: string): Int32Array {
  const view = checkMagic(bytes, file, IDX_LABELS_MAGIC, 'labels', 8);
  const n = view.getUint32(4, false);
  checkLength(bytes, file, 8, n, 1, 'labels');
  return Int32Array.from(bytes.subarray(8, 8 + n));
}

export function encodeIdxImages(x: Uint8Array, n: number, rows: number, cols: number): Buffer {
  const out = Buffer.alloc(16 + n * rows * cols);
  out.writeUInt32BE(IDX_IMAGES_MAGIC, 0);
  out.writeUInt32BE(n, 4);
  out.writeUInt32BE(rows, 8);
  out.writeUInt32BE(cols, 12);
  out.set(x.subarray(0, n * rows * cols), 16);
  return out;
}

export function encodeIdxLabels(y: ArrayLike<number>): Buffer {
  const out = Buffer.alloc(8 + y.length);
  out.writeUInt32BE(IDX_LABELS_MAGIC, 0);
  out.writeUInt32BE(y.length, 4);
  for (let i = 0; i < y.length; i++) out[8 + i] = y[i];
  return out;
}
