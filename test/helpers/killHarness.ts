/**
 * Helpers for SKD Lab's crash tests: the real `skd` command line (dist/cli.js) in child
 * processes, kills at points chosen from the metrics log, and byte-level comparison of the
 * students two runs produced.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tinyExperiment } from './experiment';

export const ROOT = path.resolve(__dirname, '..', '..');
export const CLI = path.join(ROOT, 'dist', 'cli.js');

/** Builds dist/cli.js when it is missing (npm test builds it before the tests). */
export function ensureCli(): void {
  if (fs.existsSync(CLI)) return;
  const r = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0 || !fs.existsSync(CLI)) throw new Error('could not build dist/cli.js (node esbuild.mjs)');
}

/** The tiny SKD experiment of the crash tests (a few seconds of training on wasm). */
export function tinySkdExperiment(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return tinyExperiment({
    name,
    data: { format: 'builtin', name: 'fashion-mnist-mini', limit: { train: 400, test: 100 } },
    teacher: { model: 'cnn', width: 4, epochs: 3 },
    student: { model: 'cnn', width: 4, epochs: 3 },
    method: { name: 'skd', stages: 3, tbt: { epochs: 5 }, tet: { epochs: 5 } },
    backend: 'wasm',
    ...extra,
  });
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface SkdChild {
  child: ChildProcess;
  exit: Promise<Exit>;
}

/** Starts `node dist/cli.js <args>`; stdout and stderr are collected. */
export function startSkd(args: string[], opts: { env?: Record<string, string>; cwd?: string; nodeArgs?: string[] } = {}): SkdChild {
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), CLI, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<Exit>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, exit };
}

export async function runSkd(args: string[], opts: { env?: Record<string, string>; cwd?: string; nodeArgs?: string[]; timeoutMs?: number } = {}): Promise<Exit> {
  const c = startSkd(args, opts);
  const timer = setTimeout(() => c.child.kill('SIGKILL'), opts.timeoutMs ?? 300_000);
  try {
    return await c.exit;
  } finally {
    clearTimeout(timer);
  }
}

/** A small seeded generator (mulberry32) for kill points and delays. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One parsed line of metrics.jsonl, loosely typed (the harness only reads a few keys). */
export interface LogLine {
  type?: string;
  network?: string;
  epoch?: number;
  step?: number;
  stage?: number;
  phase?: string;
  [k: string]: unknown;
}

/** An event's position key: the same event of a replayed batch has the same key. */
export function eventKey(e: LogLine): string {
  return [e.type, e.network ?? '', e.epoch ?? '', e.step ?? '', e.stage ?? '', e.phase ?? ''].join('|');
}

/**
 * Follows a growing metrics.jsonl from a byte offset, calling `onLine` for each complete new
 * line (unparseable lines are passed as undefined).
 */
export class MetricsFollower {
  private offset: number;
  private rest = '';

  constructor(readonly file: string) {
    this.offset = fs.existsSync(file) ? fs.statSync(file).size : 0;
  }

  poll(onLine: (e: LogLine | undefined) => void): void {
    if (!fs.existsSync(this.file)) return;
    const size = fs.statSync(this.file).size;
    if (size <= this.offset) return;
    const fd = fs.openSync(this.file, 'r');
    try {
      const buf = Buffer.alloc(size - this.offset);
      fs.readSync(fd, buf, 0, buf.length, this.offset);
      this.offset = size;
      const text = this.rest + buf.toString('utf8');
      const lines = text.split('\n');
      this.rest = lines.pop() ?? '';
      for (const l of lines) {
        if (!l.trim()) continue;
        let e: LogLine | undefined;
        try {
          e = JSON.parse(l) as LogLine;
        } catch {
          e = undefined;
        }
        onLine(e);
      }
    } finally {
      fs.closeSync(fd);
    }
  }
}

/** Lines of a metrics log: parsed events and how many lines did not parse (torn). */
export function readLog(file: string): { events: LogLine[]; torn: number; lines: number } {
  const events: LogLine[] = [];
  let torn = 0;
  let lines = 0;
  for (const l of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!l.trim()) continue;
    lines++;
    try {
      events.push(JSON.parse(l) as LogLine);
    } catch {
      torn++;
    }
  }
  return { events, torn, lines };
}

export interface WeightDiff {
  identical: boolean;
  /** model.json byte-identical. */
  modelJsonSame: boolean;
  /** Largest |a - b| over the float32 weights (0 when identical). */
  maxAbsDiff: number;
  /** Index of the first differing float, or -1. */
  firstDiff: number;
  floats: number;
}

/** Compares the exported students (`student/weights.bin` and `model.json`) of two run dirs. */
export function compareStudents(dirA: string, dirB: string): WeightDiff {
  const wa = fs.readFileSync(path.join(dirA, 'student', 'weights.bin'));
  const wb = fs.readFileSync(path.join(dirB, 'student', 'weights.bin'));
  const ja = fs.readFileSync(path.join(dirA, 'student', 'model.json'));
  const jb = fs.readFileSync(path.join(dirB, 'student', 'model.json'));
  const modelJsonSame = ja.equals(jb);
  const fa = new Float32Array(wa.buffer.slice(wa.byteOffset, wa.byteOffset + (wa.length & ~3)));
  const fb = new Float32Array(wb.buffer.slice(wb.byteOffset, wb.byteOffset + (wb.length & ~3)));
  let maxAbsDiff = wa.length === wb.length ? 0 : Infinity;
  let firstDiff = -1;
  for (let i = 0; i < Math.min(fa.length, fb.length); i++) {
    if (fa[i] !== fb[i] && !(Number.isNaN(fa[i]) && Number.isNaN(fb[i]))) {
      if (firstDiff < 0) firstDiff = i;
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(fa[i] - fb[i]));
    }
  }
  return { identical: wa.equals(wb) && modelJsonSame, modelJsonSame, maxAbsDiff, firstDiff, floats: fa.length };
}

export function readStatus(dir: string): { state?: string; phase?: string; error?: string } | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'status.json'), 'utf8')) as { state?: string; phase?: string; error?: string };
  } catch {
    return undefined;
  }
}

/** Every file under `dir` (relative paths), for "nothing written elsewhere" checks. */
export function listTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      out.push(r);
      if (e.isDirectory()) walk(path.join(d, e.name), r);
    }
  };
  walk(dir, '');
  return out.sort();
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Waits until `cond` is true, polling; rejects after `timeoutMs`. */
export async function waitUntil(what: string, cond: () => boolean, timeoutMs: number, everyMs = 20): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Waits for the first student batch event of 0-based `epoch` in a run's growing metrics log, and returns it. */
export async function studentBatchIn(follower: MetricsFollower, epoch: number, timeoutMs: number): Promise<LogLine> {
  let at: LogLine | undefined;
  await waitUntil(
    `a student batch in its epoch ${epoch + 1}`,
    () => {
      follower.poll((e) => {
        if (e?.type === 'batch' && e.network === 'student' && e.epoch === epoch && !at) at = e;
      });
      return at !== undefined;
    },
    timeoutMs,
  );
  return at!;
}
