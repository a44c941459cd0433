/**
 * The run queue's coordinator, the part of the language server that trains: queued runs start
 * as child processes of the trainer's command line, at most `concurrentRuns` at once
 * (runQueue.ts), each followed through its run directory (metrics, status: childStatus.ts)
 * with changes reported to the owner. Runs left training by an earlier server are adopted
 * (adoption.ts); exports run in a child of their own (exportRequests.ts).
 * The run directory stays the unit of truth: what this class holds in memory is only which
 * runs it owns and how far it has read them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ExportParams, ExportResult, RunInfo, StartRunParams, TrainerSettings } from '../../protocol/lsp';
import type { MetricEvent, RunStatus } from '../../protocol/runDir';
import { MetricsTail } from './metricsTail';
import { metricsEnd, readMetricsFrom } from '../runDir/metricsLog';
import { readRunInfo, readStatus, findRunDirs } from '../runDir/runFiles';
import { adoptableRun, unadoptedRunInfo } from './adoption';
import { childStatus, endedStatus, isFinal, progressMessage, progressPercent, statusChanged } from './childStatus';
import { exportStudent } from './exportRequests';
import { ACTIVE, type ManagedRun, now, type ProgressReporter, runInfo } from './managedRun';
import { launchTrainer } from './runLaunch';
import { RunQueue } from './runQueue';
import { newRun, resumedRun } from './runRequests';
import { RunRequestError } from './runRequestError';
import type { RunExit } from './runProcess';

export { exportResultFromCard } from './exportCard';
export type { ProgressReporter } from './managedRun';
export { RunRequestError } from './runRequestError';

/** What the manager tells its owner (the server turns these into notifications). */
export interface RunEvents {
  status(info: RunInfo): void;
  metrics(dir: string, from: number, events: MetricEvent[]): void;
  log(level: 'info' | 'warn' | 'error', message: string, dir?: string): void;
}

export interface RunManagerOptions {
  /** The trainer's command line bundle (`dist/cli.js`). */
  cliPath: string;
  settings: () => TrainerSettings;
  events: RunEvents;
  /** Creates a reporter for a client's work-done token. */
  progress?: (token: string | number) => ProgressReporter;
  /** How long a stopping run may take to checkpoint before it is killed. */
  graceMs?: number;
  pollMs?: number;
  /** Checks an experiment file before it is queued; returns the first problem, if any. */
  check?: (experimentFile: string) => string | undefined;
}

export class RunManager {
  private readonly runs = new Map<string, ManagedRun>();
  private readonly queue: RunQueue;
  private disposed = false;
  private readonly graceMs: number;
  private readonly pollMs: number;

  constructor(private readonly options: RunManagerOptions) {
    this.graceMs = options.graceMs ?? 30_000;
    this.pollMs = options.pollMs ?? 500;
    this.queue = new RunQueue(
      () => this.options.settings().concurrentRuns,
      () => this.runningCount(),
      (run) => this.launch(run),
    );
  }

  /** Queues a new run of an experiment file; answers with the queued run at once. */
  start(params: StartRunParams): RunInfo {
    this.requireTrust('start a run');
    const run = newRun(params, this.options.check);
    this.enqueue(run, params.workDoneToken);
    return runInfo(run);
  }

  /** Queues the continuation of a stopped, failed or interrupted run. */
  resume(dirParam: string, workDoneToken?: string | number): RunInfo {
    this.requireTrust('resume a run');
    const dir = path.resolve(dirParam);
    const current = this.runs.get(dir);
    if (current && ACTIVE.includes(current.status.state)) return runInfo(current);
    const run = resumedRun(dir, current);
    this.enqueue(run, workDoneToken);
    return runInfo(run);
  }

  /**
   * Stops a run: a queued one leaves the queue (its reserved folder goes too if nothing was
   * written), a running one checkpoints and ends as `stopped`.
   */
  async stop(dirParam: string): Promise<RunInfo> {
    const dir = path.resolve(dirParam);
    const run = this.activeRun(dir) ?? this.adoptIfAlive(dir);
    if (!run) return unadoptedRunInfo(dir);
    if (run.status.state === 'queued') {
      this.queue.remove(run);
      if (run.mode === 'run') removeIfEmpty(run.dir);
      this.setStatus(run, { ...run.status, state: 'stopped', error: 'removed from the queue before it started', updated: now() });
      this.finish(run);
      return runInfo(run);
    }
    if (run.status.state === 'running' && run.process) {
      run.stopRequested = true;
      this.options.events.log('info', `stopping ${run.name}: it checkpoints, then exits`, run.dir);
      run.process.stop(this.graceMs);
    }
    return runInfo(run);
  }

  /** Runs under the folders, with this server's own runs as it knows them now. */
  list(folders: string[]): RunInfo[] {
    const out: RunInfo[] = [];
    const seen = new Set<string>();
    for (const dir of findRunDirs(folders)) {
      const own = this.activeRun(dir) ?? this.adoptIfAlive(dir);
      const info = own ? runInfo(own) : readRunInfo(dir);
      if (info) out.push(info);
      seen.add(dir);
    }
    // Queued runs have no status.json yet, but are runs all the same.
    for (const run of this.runs.values()) {
      if (seen.has(run.dir) || !folders.some((f) => isInside(run.dir, path.resolve(f)))) continue;
      out.push(runInfo(run));
    }
    return out;
  }

  readMetrics(dir: string, from = 0): { events: MetricEvent[]; next: number } {
    return readMetricsFrom(path.resolve(dir), from);
  }

  /**
   * Exports a run's student in a child process (`cli.js export`), so the server stays
   * responsive while the model is converted and checked; the result is read back from the
   * model card the export writes beside its files.
   */
  async exportStudent(params: ExportParams): Promise<ExportResult> {
    this.requireTrust('export a student');
    return exportStudent(params, {
      cliPath: this.options.cliPath,
      nodePath: this.options.settings().nodePath,
      log: (line, dir) => this.options.events.log('info', line, dir),
    });
  }

  /** The client cancelled a work-done progress: stop the run it belongs to. */
  cancelProgress(token: string | number): void {
    for (const run of this.runs.values()) {
      if (run.token === token && ACTIVE.includes(run.status.state)) void this.stop(run.dir);
    }
  }

  /** Settings changed (e.g. the concurrency limit went up): start what now fits. */
  settingsChanged(): void {
    this.pump();
  }

  /**
   * The server is going away (the window closed, or the server restarts): the queue is
   * emptied, but running trainers keep training, detached; the next server adopts them (see
   * `adoptIfAlive`). Only an explicit Stop ends a run.
   */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    for (const run of this.queue.snapshot()) await this.stop(run.dir);
    this.disposed = true;
    for (const run of this.runs.values()) {
      run.process?.detach();
      run.tail?.dispose();
      run.tail = undefined;
      run.progress?.done();
      run.progress = undefined;
    }
  }

  /** Stops every run this manager follows and waits up to `waitMs` for each to end (tests, shutdown of a whole machine). */
  async stopAll(waitMs = this.graceMs): Promise<void> {
    for (const run of this.queue.snapshot()) await this.stop(run.dir);
    const running = [...this.runs.values()].filter((r) => r.process?.running);
    for (const run of running) {
      run.stopRequested = true;
      run.process?.stop(waitMs);
    }
    await Promise.all(running.map((r) => r.process?.exited));
  }

  private enqueue(run: ManagedRun, token: string | number | undefined): void {
    this.runs.set(run.dir, run);
    if (token !== undefined && this.options.progress) {
      run.token = token;
      run.progress = this.options.progress(token);
      run.progress.begin(`SKD: ${run.name}`, 0, 'queued', true);
    }
    this.queue.add(run);
    this.options.events.status(runInfo(run));
    this.pump();
  }

  private pump(): void {
    if (this.disposed) return;
    this.queue.pump();
  }

  private runningCount(): number {
    let n = 0;
    for (const run of this.runs.values()) if (run.process?.running) n++;
    return n;
  }

  /**
   * The run this server queues or follows in `dir`. A run of ours that has ended is not: its end is
   * on disk, and another process (a bench's or a sweep's, `skd resume` in a terminal) may have
   * taken it up since, so the listing reads the disk (or adopts that process) rather than our record.
   */
  private activeRun(dir: string): ManagedRun | undefined {
    const run = this.runs.get(dir);
    if (!run) return undefined;
    return run.status.state === 'queued' || run.status.state === 'running' || run.process?.running ? run : undefined;
  }

  /**
   * A run still training under an earlier server (which crashed or was restarted) becomes
   * ours: its metrics and status stream again, it can be stopped, and its end is recorded.
   */
  private adoptIfAlive(dir: string): ManagedRun | undefined {
    if (this.disposed) return undefined;
    const run = adoptableRun(dir, this.pollMs, this.graceMs);
    if (!run) return undefined;
    this.runs.set(dir, run);
    // The client reads the history with skd/readMetrics; only new lines are news.
    this.follow(run, metricsEnd(dir));
    this.options.events.log('info', `following ${run.name}, still training (pid ${run.status.pid}) from before the trainer restarted`, dir);
    return run;
  }

  private launch(run: ManagedRun): void {
    // A resumed run appends to its log; only what comes after is news to the client.
    const from = run.mode === 'resume' ? metricsEnd(run.dir) : undefined;
    run.statusBefore = readStatus(run.dir)?.updated;
    this.setStatus(run, { ...run.status, state: 'running', phase: run.status.phase ?? 'setup', updated: now() });
    this.options.events.log('info', `${run.mode === 'run' ? 'starting' : 'resuming'} ${run.name} in ${run.dir}`, run.dir);
    run.process = launchTrainer(run, {
      cliPath: this.options.cliPath,
      settings: this.options.settings(),
      graceMs: this.graceMs,
      log: (level, line, dir) => this.options.events.log(level, line, dir),
    });
    this.follow(run, from);
  }

  /** Streams a started or adopted run's new metrics and status, and records its end. */
  private follow(run: ManagedRun, from: ReturnType<typeof metricsEnd> | undefined): void {
    run.tail = new MetricsTail(
      run.dir,
      (start, events) => this.options.events.metrics(run.dir, start, events),
      () => this.pollStatus(run),
      { pollMs: this.pollMs, from },
    );
    void run.process?.exited.then((exit) => this.onExit(run, exit));
  }

  /** Takes the child's own status.json as it changes (phase, progress, final state). */
  private pollStatus(run: ManagedRun): void {
    if (run.status.state !== 'running') return;
    const disk = childStatus(run);
    // The engine logs its last events before it writes the final status; send them first.
    if (isFinal(disk)) run.tail?.drain();
    if (disk && disk.state !== 'queued') this.setStatus(run, disk);
  }

  private onExit(run: ManagedRun, exit: RunExit): void {
    // After dispose the run belongs to whichever server adopts it next.
    if (this.disposed) return;
    run.tail?.read();
    run.tail?.dispose();
    run.tail = undefined;
    const status = endedStatus(run, exit, (e) => this.options.events.log('error', `could not record the end of ${run.name}: ${e.message}`, run.dir));
    this.setStatus(run, status);
    const level = run.status.state === 'failed' ? 'error' : 'info';
    this.options.events.log(level, `${run.name} ended: ${run.status.state}${run.status.error ? ` (${run.status.error})` : ''}`, run.dir);
    this.finish(run);
    this.pump();
  }

  private finish(run: ManagedRun): void {
    run.progress?.done();
    run.progress = undefined;
  }

  private setStatus(run: ManagedRun, status: RunStatus): void {
    const before = run.status;
    run.status = status;
    if (!statusChanged(before, status)) return;
    if (run.progress && status.state === 'running') run.progress.report(progressPercent(status), progressMessage(status));
    this.options.events.status(runInfo(run));
  }

  private requireTrust(action: string): void {
    if (!this.options.settings().trusted) {
      throw new RunRequestError(`SKD Lab cannot ${action} in an untrusted workspace: trust the workspace to train, resume or export`);
    }
    if (this.disposed) throw new RunRequestError('the trainer is shutting down');
  }
}

function removeIfEmpty(dir: string): void {
  try {
    fs.rmdirSync(dir);
  } catch {
    // Not empty or already gone: leave it.
  }
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}
