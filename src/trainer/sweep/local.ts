import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SWEEP_FILES, type PlannedRun, type SweepPlan } from '../../protocol/sweep';
import { packageRoot } from '../data/packageRoot';
import { aloneBesideEnv } from '../engine/aloneBesideSetting';
import { availableCores } from '../util/cores';
import { readStatus, readSummary } from '../runDir/runFiles';
import { runDirOf } from './plan';

/**
 * The local executor: a queue of `skd sweep exec` child processes, at most `concurrency` at once
 * (default: the cores). A shared teacher runs before its students, which start as soon as it is
 * done; a failed teacher blocks its students. SIGINT/SIGTERM stop every child at its next batch
 * (they checkpoint and end `stopped`); running the sweep again resumes them.
 */

export interface LocalOptions {
  concurrency?: number;
  /** Only these runs (and nothing else), e.g. to rerun a failed one. */
  only?: string[];
  log: (line: string) => void;
  /** The command that runs one sweep run (default: this package's `dist/cli.js sweep exec`). */
  command?: (sweepDir: string, run: string) => { file: string; args: string[] };
}

export interface LocalResult {
  done: string[];
  failed: { name: string; detail: string; log: string }[];
  blocked: string[];
  stopped: string[];
  /** Wall seconds of the whole queue. */
  seconds: number;
  interrupted: boolean;
}

export function defaultConcurrency(): number {
  return availableCores();
}

export function cliBundle(): string {
  return path.join(packageRoot(), 'dist', 'cli.js');
}

export function logFileOf(sweepDir: string, name: string): string {
  return path.join(sweepDir, SWEEP_FILES.logs, `${name}.log`);
}

/** The last non-empty line of a log file ('' when there is none). */
export function lastLine(file: string): string {
  try {
    const text = fs.readFileSync(file, 'utf8');
    const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !/^Platform node has already been set/.test(l));
    return lines[lines.length - 1] ?? '';
  } catch {
    return '';
  }
}

function isDone(sweepDir: string, name: string): boolean {
  const dir = runDirOf(sweepDir, name);
  return readStatus(dir)?.state === 'done' && readSummary(dir) !== undefined;
}

export async function runLocal(sweepDir: string, plan: SweepPlan, opts: LocalOptions): Promise<LocalResult> {
  const started = Date.now();
  const concurrency = Math.max(1, opts.concurrency ?? plan.concurrency ?? defaultConcurrency());
  const command = opts.command ?? ((dir, run) => ({ file: process.execPath, args: [cliBundle(), 'sweep', 'exec', dir, run] }));
  const result: LocalResult = { done: [], failed: [], blocked: [], stopped: [], seconds: 0, interrupted: false };
  const wanted = opts.only ? plan.runs.filter((r) => opts.only!.includes(r.name)) : plan.runs;
  const waiting: PlannedRun[] = [];
  for (const r of wanted) {
    if (isDone(sweepDir, r.name)) {
      result.done.push(r.name);
      opts.log(`${r.name}: finished earlier, skipped`);
    } else waiting.push(r);
  }
  fs.mkdirSync(path.join(sweepDir, SWEEP_FILES.logs), { recursive: true });
  const running = new Map<string, ChildProcess>();
  let stopping = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (!stopping) {
      stopping = true;
      result.interrupted = true;
      opts.log(`${sig}: stopping ${running.size} run(s) after their current batch; run the sweep again to resume`);
      for (const child of running.values()) child.kill('SIGTERM');
    } else {
      // A second signal: stop at once (each run's last checkpoint still holds).
      for (const child of running.values()) child.kill('SIGINT');
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const teacherState = (name: string | undefined): 'done' | 'waiting' | 'failed' => {
    if (!name) return 'done';
    if (result.failed.some((f) => f.name === name) || result.blocked.includes(name) || result.stopped.includes(name)) return 'failed';
    // A teacher outside `only` counts as it stands on disk.
    return isDone(sweepDir, name) ? 'done' : waiting.some((w) => w.name === name) || running.has(name) ? 'waiting' : 'failed';
  };

  try {
    await new Promise<void>((resolve) => {
      const pump = () => {
        // Students whose teacher failed (or is missing) cannot start.
        for (let i = waiting.length - 1; i >= 0; i--) {
          const r = waiting[i];
          if (r.teacher && teacherState(r.teacher) === 'failed') {
            waiting.splice(i, 1);
            result.blocked.push(r.name);
            opts.log(`${r.name}: not started, its teacher ${r.teacher} did not finish`);
          }
        }
        while (!stopping && running.size < concurrency) {
          const i = waiting.findIndex((r) => teacherState(r.teacher) === 'done');
          if (i < 0) break;
          const [r] = waiting.splice(i, 1);
          start(r);
        }
        if (running.size === 0 && (stopping || waiting.length === 0 || !waiting.some((r) => teacherState(r.teacher) !== 'failed'))) {
          if (stopping) result.stopped.push(...waiting.map((r) => r.name).filter((n) => !result.stopped.includes(n)));
          else result.blocked.push(...waiting.map((r) => r.name));
          resolve();
        }
      };
      const start = (r: PlannedRun) => {
        const logFile = logFileOf(sweepDir, r.name);
        const fd = fs.openSync(logFile, 'a');
        fs.writeSync(fd, `--- ${new Date().toISOString()} skd sweep exec ${r.name}\n`);
        const { file, args } = command(sweepDir, r.name);
        const t0 = Date.now();
        // Its own process group: a terminal's Ctrl-C reaches the sweep, which stops the runs once.
        // Runs side by side keep to a core each: none trains its student alone beside its teacher.
        const child = spawn(file, args, { stdio: ['ignore', fd, fd], detached: true, env: { ...process.env, ...aloneBesideEnv(concurrency) } });
        fs.closeSync(fd);
        running.set(r.name, child);
        opts.log(`${r.name}: started (${running.size} running, ${waiting.length} waiting)`);
        const finish = (code: number | null, signal: NodeJS.Signals | null) => {
          if (!running.has(r.name)) return;
          running.delete(r.name);
          const secs = ((Date.now() - t0) / 1000).toFixed(0);
          if (code === 0 && isDone(sweepDir, r.name)) {
            result.done.push(r.name);
            const s = readSummary(runDirOf(sweepDir, r.name));
            const acc = s ? (r.kind === 'teacher' ? `teacher ${(s.teacher.testAcc * 100).toFixed(2)}%` : `${(s.student.testAcc * 100).toFixed(2)}%`) : '';
            opts.log(`${r.name}: done ${acc} (${secs} s)`);
          } else if (code === 3 || (stopping && signal)) {
            result.stopped.push(r.name);
            opts.log(`${r.name}: stopped (${secs} s)`);
          } else {
            const detail = lastLine(logFile) || `exit ${code ?? signal}`;
            result.failed.push({ name: r.name, detail, log: logFile });
            opts.log(`${r.name}: failed (${secs} s): ${detail}`);
          }
          pump();
        };
        child.on('exit', finish);
        child.on('error', (e) => {
          fs.appendFileSync(logFile, `skd: ${e.message}\n`);
          finish(1, null);
        });
      };
      pump();
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  result.seconds = (Date.now() - started) / 1000;
  return result;
}
