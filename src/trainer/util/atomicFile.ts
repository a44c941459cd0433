import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../errors';

/**
 * Replace a file so that a crash at any moment leaves either the old or the new content,
 * never a torn one: write a temporary sibling, flush it, rename it into place.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/** Reads a JSON file; a file that does not parse (emptied, torn, edited) is an InputError naming it. */
export function readJson<T>(file: string): T {
  const text = fs.readFileSync(file, 'utf8');
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new InputError(file, undefined, `not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
}
