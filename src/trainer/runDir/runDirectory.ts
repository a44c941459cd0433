import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Experiment } from '../../protocol/experiment';
import { RUN_FILES, type MetricEvent, type RunStatus, type Summary } from '../../protocol/runDir';
import { InputError } from '../errors';
import { dirEntries } from '../util/dirEntries';
import { readMetricsFrom } from './metricsLog';
import { isPidAlive, readStatus, readSummary } from './runFiles';
import { readJson, writeJsonAtomic } from './atomicFile';
import { currentTrainerIdentity } from './trainerIdentity';

/** Distributes `Omit` over the event union, so each event keeps its own fields. */
export type NewEvent = MetricEvent extends infer E ? (E extends MetricEvent ? Omit<E, 'time'> : never) : never;

/**
 * A run directory: the unit of truth of a run. Replaced files (status, summary, checkpoints)
 * are written atomically; `metrics.jsonl` is append-only, one JSON object per line, and a torn
 * last line (a crash mid-write) is skipped on read.
 */
export class RunDirectory {
  readonly metricsFile: string;
  private listeners: ((e: MetricEvent) => void)[] = [];
  /** Whether this process has made sure the log ends with a newline (see `append`). */
  private tailChecked = false;

  constructor(readonly dir: string) {
    this.metricsFile = path.join(dir, RUN_FILES.metrics);
  }

  static create(dir: string, experiment: Experiment): RunDirectory {
    if (fs.existsSync(path.join(dir, RUN_FILES.status))) {
      throw new InputError(dir, undefined, 'already holds a run; use "skd resume" to continue it');
    }
    try {
      fs.mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw cannotCreate(dir, e);
    }
    const run = new RunDirectory(dir);
    writeJsonAtomic(run.file(RUN_FILES.experiment), experiment);
    run.writeStatus({ state: 'running', phase: 'setup', progress: 0, started: new Date().toISOString() });
    return run;
  }

  static open(dir: string): RunDirectory {
    if (!fs.existsSync(path.join(dir, RUN_FILES.experiment))) {
      throw new InputError(dir, undefined, `not a run directory (no ${RUN_FILES.experiment})`);
    }
    return new RunDirectory(dir);
  }

  file(...parts: string[]): string {
    return path.join(this.dir, ...parts);
  }

  experiment(): Experiment {
    return readJson<Experiment>(this.file(RUN_FILES.experiment));
  }

  onEvent(listener: (e: MetricEvent) => void): void {
    this.listeners.push(listener);
  }

  append(event: NewEvent): void {
    const full = { time: new Date().toISOString(), ...event } as MetricEvent;
    // A crash mid-write may have left a torn last line without its newline: end it first, so the
    // torn line stays one bad line and this event is not glued onto it.
    const lead = this.tailChecked ? '' : tornTail(this.metricsFile) ? '\n' : '';
    this.tailChecked = true;
    // One write call per line: appends of whole lines never interleave within a line.
    fs.appendFileSync(this.metricsFile, lead + JSON.stringify(full) + '\n');
    for (const l of this.listeners) l(full);
  }

  /** An event another thread of this run appended (aloneBeside.ts): the listeners hear of it as of their own. */
  notify(event: MetricEvent): void {
    for (const l of this.listeners) l(event);
  }

  /**
   * Something the user must hear of even with `--quiet` (e.g. a damaged checkpoint that was
   * passed over): one line on stderr, in trainer.log, and as a `log` event for the dashboard.
   */
  warn(message: string): void {
    process.stderr.write(`skd: warning: ${message}\n`);
    fs.appendFileSync(this.file(RUN_FILES.log), `${new Date().toISOString()} warning: ${message}\n`);
    this.append({ type: 'log', level: 'warn', message });
  }

  /**
   * Removes what writers that died mid-write left behind: `<file>.tmp-<pid>-<time>` of atomic
   * writes and `student.tmp-<pid>/`, when that process is gone. Called before a resume.
   */
  sweepTemporaries(): string[] {
    const removed: string[] = [];
    const walk = (dir: string, depth: number) => {
      for (const e of dirEntries(dir)) {
        const p = path.join(dir, e.name);
        const m = /\.tmp-(\d+)(?:-\d+)?$/.exec(e.name);
        if (m && !isPidAlive(Number(m[1]))) {
          fs.rmSync(p, { recursive: true, force: true });
          removed.push(p);
        } else if (e.isDirectory() && depth < 3 && e.name !== RUN_FILES.exports) {
          walk(p, depth + 1);
        }
      }
    };
    walk(this.dir, 0);
    return removed;
  }

  status(): RunStatus | undefined {
    return readStatus(this.dir);
  }

  writeStatus(patch: Partial<RunStatus> & Pick<RunStatus, 'state'>): RunStatus {
    const prev = this.status();
    // Who writes it is the trainer: pid with start time, host and boot id (trainerIdentity.ts).
    const next: RunStatus = { ...prev, ...patch, ...currentTrainerIdentity(), updated: new Date().toISOString() };
    if (patch.state !== 'failed') delete next.error;
    writeJsonAtomic(this.file(RUN_FILES.status), next);
    return next;
  }

  writeSummary(summary: Summary): void {
    writeJsonAtomic(this.file(RUN_FILES.summary), summary);
  }

  summary(): Summary | undefined {
    return readSummary(this.dir);
  }

  events(): MetricEvent[] {
    return readMetricsFrom(this.dir).events;
  }
}

/** Whether a log exists and its last byte is not a newline (a write cut short by a crash). */
function tornTail(file: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return false;
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size === 0) return false;
    const last = Buffer.alloc(1);
    fs.readSync(fd, last, 0, 1, size - 1);
    return last[0] !== 0x0a;
  } finally {
    fs.closeSync(fd);
  }
}

/** --out or --run-dir under a file, in a read-only place, ...: the user's path is at fault. */
export function cannotCreate(dir: string, e: unknown): InputError {
  const err = e as NodeJS.ErrnoException;
  const why =
    err.code === 'ENOTDIR' || err.code === 'EEXIST' ? 'a file is in the way' : err.code === 'EACCES' || err.code === 'EROFS' ? 'not writable' : err.code;
  return new InputError(dir, undefined, `cannot create the run directory (${why ?? err.message})`);
}
