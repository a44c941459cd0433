import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../errors';

/**
 * Replace a file so that a crash at any moment leaves either the old or the new content,
 * never a torn one: write a temporary sibling, flush it, rename it into place. With
 * `keepPrevious`, the content being replaced is kept at that path (itself replaced
 * atomically), so a new file that goes bad on disk later still leaves the one before it.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, opts: { keepPrevious?: string } = {}): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  if (opts.keepPrevious) keepCopy(file, opts.keepPrevious);
  fs.renameSync(tmp, file);
}

/**
 * Makes `to` the current content of `from` (if there is one) without a moment where `to` is
 * missing or torn, and without touching `from`: a hard link (or, where the file system has
 * none, a flushed copy) beside `to`, renamed over it.
 */
function keepCopy(from: string, to: string): void {
  // A write cut short after keeping its previous content leaves `to` a link of `from` itself;
  // renaming another link of that file onto it would do nothing (POSIX) and leave the temporary
  // behind. It is kept already.
  if (sameFile(from, to)) return;
  const tmp = `${to}.tmp-${process.pid}-${Date.now()}`;
  try {
    fs.linkSync(from, tmp);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return; // nothing to keep yet
    fs.copyFileSync(from, tmp);
    const fd = fs.openSync(tmp, 'r+');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
  fs.renameSync(tmp, to);
}

/** Whether two paths name one file (hard links of the same inode); false when either is missing. */
function sameFile(a: string, b: string): boolean {
  try {
    const sa = fs.statSync(a);
    const sb = fs.statSync(b);
    return sa.ino === sb.ino && sa.dev === sb.dev;
  } catch {
    return false;
  }
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
