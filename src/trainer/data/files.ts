import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { InputError } from '../errors';
import type { DataSpec } from '../../protocol/experiment';
import type { DataContext } from './types';

const gunzip = promisify(zlib.gunzip);

/** True when the bytes start with the gzip magic (1f 8b), whatever the file is called. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Reads a data file, gunzipping it when its content (not its name) says it is gzip. */
export async function readDataFile(file: string): Promise<Buffer> {
  let raw: Buffer;
  try {
    raw = await fs.promises.readFile(file);
  } catch (e) {
    throw new InputError(file, undefined, fsReason(e));
  }
  if (!isGzip(raw)) return raw;
  try {
    return await gunzip(raw);
  } catch (e) {
    throw new InputError(file, undefined, `corrupt gzip data (${(e as Error).message})`);
  }
}

/** The first of `names` (in `dir`) that exists, or undefined. */
export function firstExisting(dir: string, names: string[]): string | undefined {
  for (const n of names) {
    const p = path.join(dir, n);
    if (fs.existsSync(p)) return p;
  }
  return undefined;
}

/**
 * The data directory of the experiment (`data.dir`), resolved against the experiment's folder;
 * a missing or non-directory path is the experiment's fault, so the error names that field.
 */
export function resolveDataDir(spec: DataSpec, ctx: DataContext): string {
  if (!spec.dir) {
    throw new InputError(ctx.experimentFile, 'data.dir', `required for format "${spec.format}"`);
  }
  const dir = path.resolve(ctx.baseDir, spec.dir);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new InputError(ctx.experimentFile, 'data.dir', `directory not found: ${dir}`);
  }
  if (!stat.isDirectory()) {
    throw new InputError(ctx.experimentFile, 'data.dir', `not a directory: ${dir}`);
  }
  return dir;
}

/** Non-empty, trimmed lines of an optional text file (class names), or undefined if absent. */
export function readNameList(file: string): string[] | undefined {
  if (!fs.existsSync(file)) return undefined;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(file, undefined, fsReason(e));
  }
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

/** "not found", "unreadable (permission denied)", ... from a node fs error. */
export function fsReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'not found';
  if (code === 'EACCES' || code === 'EPERM') return 'unreadable (permission denied)';
  if (code === 'EISDIR') return 'is a directory, expected a file';
  return `unreadable (${(e as Error).message})`;
}
