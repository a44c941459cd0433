/**
 * Run directories as the engine, the language server and the command line read them: naming
 * new ones, reading their status, summary and metrics tolerantly (a run may be writing them
 * right now, or may have died mid-line), and finding them under the runs folders.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseJsonc } from 'jsonc-parser';
import type { RunInfo } from '../../protocol/lsp';
import { RUN_FILES, type RunStatus, type Summary } from '../../protocol/runDir';
import { dirEntries } from '../util/dirEntries';
import { writeJsonAtomic } from './atomicFile';
import { isTrainerAlive, isTrainerElsewhere, processExists } from './trainerIdentity';

/** `<name>-<yyyymmdd-hhmmss>` in local time, the name made safe for a folder. */
export function runDirName(name: string, when: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${when.getFullYear()}${p(when.getMonth() + 1)}${p(when.getDate())}-${p(when.getHours())}${p(when.getMinutes())}${p(when.getSeconds())}`;
  return `${safeName(name)}-${stamp}`;
}

export function safeName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+/, '').slice(0, 80);
  return cleaned || 'run';
}

/**
 * Creates a fresh run directory under `outDir`; two runs started in the same second get
 * `-2`, `-3`... rather than sharing one.
 */
export function createRunDir(outDir: string, name: string, when = new Date()): string {
  fs.mkdirSync(outDir, { recursive: true });
  const base = path.join(outDir, runDirName(name, when));
  for (let i = 1; ; i++) {
    const dir = i === 1 ? base : `${base}-${i}`;
    try {
      fs.mkdirSync(dir);
      return dir;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || i > 1000) throw e;
    }
  }
}

/** The experiment's `name`, or the file name without `.skd.json` when it has none. */
export function experimentInfo(file: string): { name: string; method: string; seed?: number } {
  let value: unknown;
  try {
    value = parseJsonc(fs.readFileSync(file, 'utf8'), [], { allowTrailingComma: true });
  } catch {
    value = undefined;
  }
  const o = isObject(value) ? value : {};
  const fallback = path.basename(file).replace(/\.skd\.json$/i, '').replace(/\.json$/i, '');
  const method = isObject(o.method) && typeof o.method.name === 'string' ? o.method.name : '';
  return { name: typeof o.name === 'string' && o.name ? o.name : fallback, method, ...seedOf(o) };
}

/** `{ seed }` of an experiment object when it has an integer seed, else `{}`. */
function seedOf(o: Record<string, unknown>): { seed?: number } {
  return typeof o.seed === 'number' && Number.isInteger(o.seed) ? { seed: o.seed } : {};
}

export function readStatus(dir: string): RunStatus | undefined {
  const v = readJsonTolerant(path.join(dir, RUN_FILES.status));
  return isObject(v) && typeof v.state === 'string' ? (v as unknown as RunStatus) : undefined;
}

export function writeStatus(dir: string, status: RunStatus): void {
  writeJsonAtomic(path.join(dir, RUN_FILES.status), status);
}

export function readSummary(dir: string): Summary | undefined {
  const v = readJsonTolerant(path.join(dir, RUN_FILES.summary));
  return isObject(v) ? (v as unknown as Summary) : undefined;
}

/**
 * Whether some process has this pid: enough for a temporary file's writer, never for a run's
 * trainer (a pid is reused after a crash or reboot): use `isTrainerAlive(status)` for that.
 */
export function isPidAlive(pid: number | undefined): boolean {
  return typeof pid === 'number' && Number.isInteger(pid) && pid > 0 && processExists(pid);
}

/**
 * A run directory as a RunInfo. A status that says `running` or `queued` while no process
 * is behind it is an interrupted run: it is reported as `stopped`, so it can be resumed.
 */
export function readRunInfo(dir: string): RunInfo | undefined {
  const status = readStatus(dir);
  if (!status) return undefined;
  const exp = readJsonTolerant(path.join(dir, RUN_FILES.experiment));
  const e = isObject(exp) ? exp : {};
  const name = typeof e.name === 'string' ? e.name : path.basename(dir);
  const method = isObject(e.method) && typeof e.method.name === 'string' ? e.method.name : '';
  let shown = status;
  // A trainer on another host (a cluster node) is believed as it reports: it cannot be checked here.
  if ((status.state === 'running' && !isTrainerAlive(status) && !isTrainerElsewhere(status)) || status.state === 'queued') {
    shown = { ...status, state: 'stopped', error: status.error ?? 'interrupted' };
  }
  const info: RunInfo = { id: path.basename(dir), dir, name, method, ...seedOf(e), status: shown };
  if (status.state === 'done') {
    const summary = readSummary(dir);
    if (summary) info.summary = summary;
  }
  return info;
}

/**
 * Run directories (folders with a status.json) under each folder, three levels deep: a run
 * (`runs/<run>`), a sweep's or a bench's (`runs/<bench>/<run>`), a draw's of a draws folder
 * (`runs/<draws>/<draw>/<run>`). A run directory is not searched further.
 */
export function findRunDirs(folders: string[], depth = 3): string[] {
  const out: string[] = [];
  const visit = (dir: string, level: number) => {
    if (fs.existsSync(path.join(dir, RUN_FILES.status))) {
      out.push(dir);
      return;
    }
    if (level >= depth) return;
    for (const entry of dirEntries(dir)) {
      if (entry.isDirectory() && !entry.name.startsWith('.') && entry.name !== 'node_modules') {
        visit(path.join(dir, entry.name), level + 1);
      }
    }
  };
  for (const folder of folders) visit(path.resolve(folder), 0);
  return [...new Set(out)].sort();
}

function readJsonTolerant(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function isObject(v: unknown): v is Record<string, unknown> & { method?: unknown } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
