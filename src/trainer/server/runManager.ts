/**
 * The run queue: starts each run as a child process of the trainer's command line, at most
 * `concurrentRuns` at once, follows its run directory (metrics, status) and reports changes.
 * The run directory stays the unit of truth: what this class holds in memory is only which
 * runs it owns and how far it has read them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PLUGINS_ENV, type ExportParams, type ExportResult, type RunInfo, type StartRunParams, type TrainerSettings } from '../../protocol/lsp';
import { type MetricEvent, RUN_FILES, type RunState, type RunStatus } from '../../protocol/runDir';
import { MetricsTail } from './metricsTail';
import {
  createRunDir,
  experimentInfo,
  isPidAlive,
  metricsLineCount,
  readMetricsFrom,
  readRunInfo,
  readStatus,
  readSummary,
  writeStatus,
  findRunDirs,
} from '../runFiles';
import { AdoptedProcess, type RunExit, RunProcess, type TrainingProcess } from './runProcess';

/** A request the run manager refuses: untrusted workspace, unknown run, bad parameters. */
export class RunRequestError extends Error {
  override readonly name = 'RunRequestError';
}

/** What the manager tells its owner (the server turns these into notifications). */
export interface RunEvents {
  status(info: RunInfo): void;
  metrics(dir: string, from: number, events: MetricEvent[]): void;
  log(level: 'info' | 'warn' | 'error', message: string, dir?: string): void;
}

/** The part of a work-done progress reporter the manager uses (LSP `$/progress`). */
export interface ProgressReporter {
  begin(title: string, percentage?: number, message?: string, cancellable?: boolean): void;
  report(percentage: number, message?: string): void;
  done(): void;
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

/**
 * The model card files of an export (src/trainer/export/card.ts names them); kept here as
 * plain names so the server bundle does not pull in the export code and its runtimes.
 */
const EXPORT_CARD_JSON = 'model-card.json';
const EXPORT_CARD_MD = 'MODEL_CARD.md';

const ACTIVE: readonly RunState[] = ['queued', 'running'];
const FINAL: readonly RunState[] = ['done', 'failed', 'stopped'];

interface ManagedRun {
  dir: string;
  name: string;
  method: string;
  seed?: number;
  experimentFile?: string;
  backend?: string;
  mode: 'run' | 'resume';
  status: RunStatus;
  process?: TrainingProcess;
  tail?: MetricsTail;
  progress?: ProgressReporter;
  token?: string | number;
  stopRequested: boolean;
  /** `updated` of status.json when the child was launched, to tell its writes from older ones. */
  statusBefore?: string;
}

export class RunManager {
  private readonly runs = new Map<string, ManagedRun>();
  private readonly queue: ManagedRun[] = [];
  private disposed = false;
  private readonly graceMs: number;

  constructor(private readonly options: RunManagerOptions) {
    this.graceMs = options.graceMs ?? 30_000;
  }

  /** Queues a new run of an experiment file; answers with the queued run at once. */
  start(params: StartRunParams): RunInfo {
    this.requireTrust('start a run');
    const file = path.resolve(params.experimentFile);
    if (!fs.existsSync(file)) throw new RunRequestError(`experiment file not found: ${file}`);
    // Refused now, with the reason, rather than queued only to fail in the child.
    const problem = this.options.check?.(file);
    if (problem) throw new RunRequestError(`${path.basename(file)}: ${problem}`);
    const { name, method, seed } = experimentInfo(file);
    // The folder is reserved now (empty, so the command line accepts it as a new run).
    const dir = createRunDir(path.resolve(params.outDir), name);
    const run: ManagedRun = {
      dir,
      name,
      method,
      seed,
      experimentFile: file,
      backend: params.backend,
      mode: 'run',
      status: { state: 'queued', updated: now() },
      stopRequested: false,
    };
    this.enqueue(run, params.workDoneToken);
    return this.info(run);
  }

  /** Queues the continuation of a stopped, failed or interrupted run. */
  resume(dirParam: string, workDoneToken?: string | number): RunInfo {
    this.requireTrust('resume a run');
    const dir = path.resolve(dirParam);
    const current = this.runs.get(dir);
    if (current && ACTIVE.includes(current.status.state)) return this.info(current);
    const onDisk = readRunInfo(dir);
    if (!onDisk) throw new RunRequestError(`not a run directory (no status.json): ${dir}`);
    if (onDisk.status.state === 'running') throw new RunRequestError(`the run is still running (pid ${onDisk.status.pid}): ${dir}`);
    if (onDisk.status.state === 'done') throw new RunRequestError(`the run is already done: ${dir}`);
    const run: ManagedRun = {
      dir,
      name: onDisk.name,
      method: onDisk.method,
      seed: onDisk.seed,
      experimentFile: current?.experimentFile,
      mode: 'resume',
      status: { ...onDisk.status, state: 'queued', updated: now() },
      stopRequested: false,
    };
    delete run.status.error;
    this.enqueue(run, workDoneToken);
    return this.info(run);
  }

  /**
   * Stops a run: a queued one leaves the queue (its reserved folder goes too if nothing was
   * written), a running one checkpoints and ends as `stopped`.
   */
  async stop(dirParam: string): Promise<RunInfo> {
    const dir = path.resolve(dirParam);
    const run = this.runs.get(dir) ?? this.adoptIfAlive(dir);
    if (!run) {
      const info = readRunInfo(dir);
      if (!info) throw new RunRequestError(`not a run directory: ${dir}`);
      return info;
    }
    if (run.status.state === 'queued') {
      this.queue.splice(this.queue.indexOf(run), 1);
      if (run.mode === 'run') removeIfEmpty(run.dir);
      this.setStatus(run, { ...run.status, state: 'stopped', error: 'removed from the queue before it started', updated: now() });
      this.finish(run);
      return this.info(run);
    }
    if (run.status.state === 'running' && run.process) {
      run.stopRequested = true;
      this.options.events.log('info', `stopping ${run.name}: it checkpoints, then exits`, run.dir);
      run.process.stop(this.graceMs);
    }
    return this.info(run);
  }

  /** Runs under the folders, with this server's own runs as it knows them now. */
  list(folders: string[]): RunInfo[] {
    const out: RunInfo[] = [];
    const seen = new Set<string>();
    for (const dir of findRunDirs(folders)) {
      const own = this.runs.get(dir) ?? this.adoptIfAlive(dir);
      const info = own ? this.info(own) : readRunInfo(dir);
      if (info) out.push(info);
      seen.add(dir);
    }
    // Queued runs have no status.json yet, but are runs all the same.
    for (const run of this.runs.values()) {
      if (seen.has(run.dir) || !folders.some((f) => isInside(run.dir, path.resolve(f)))) continue;
      out.push(this.info(run));
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
    const dir = path.resolve(params.dir);
    if (readStatus(dir)?.state !== 'done') throw new RunRequestError(`the run has no finished student to export yet: ${dir}`);
    const outDir = path.resolve(params.outDir ?? path.join(dir, RUN_FILES.exports, `${params.format}-${params.quantize}`));
    const args = [this.options.cliPath, 'export', dir, '--format', params.format, '--quantize', params.quantize, '--out', outDir];
    const child = new RunProcess({
      nodePath: this.options.settings().nodePath,
      args,
      graceMs: 5_000,
      onStderrLine: (line) => {
        if (line.trim()) this.options.events.log('info', line, dir);
      },
    });
    const exit = await child.exited;
    if (exit.code !== 0) throw new RunRequestError(`export failed: ${exitReason(exit)}`);
    return exportResultFromCard(outDir);
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
   * Stops everything this server owns: the queue is emptied, running children get SIGTERM
   * (they checkpoint and end as `stopped`) and are awaited for up to the grace period.
   */
  async dispose(waitMs = this.graceMs): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const run of [...this.queue]) await this.stop(run.dir);
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
    this.queue.push(run);
    this.options.events.status(this.info(run));
    this.pump();
  }

  private pump(): void {
    if (this.disposed) return;
    const limit = Math.max(1, this.options.settings().concurrentRuns);
    while (this.queue.length > 0 && this.runningCount() < limit) {
      const run = this.queue.shift() as ManagedRun;
      this.launch(run);
    }
  }

  private runningCount(): number {
    let n = 0;
    for (const run of this.runs.values()) if (run.process?.running) n++;
    return n;
  }

  /**
   * A run still training under an earlier server (which crashed or was restarted) becomes
   * ours: its metrics and status stream again, it can be stopped, and its end is recorded.
   */
  private adoptIfAlive(dir: string): ManagedRun | undefined {
    if (this.disposed) return undefined;
    const status = readStatus(dir);
    if (status?.state !== 'running' || !isPidAlive(status.pid)) return undefined;
    const info = readRunInfo(dir);
    const run: ManagedRun = {
      dir,
      name: info?.name ?? path.basename(dir),
      method: info?.method ?? '',
      seed: info?.seed,
      mode: 'resume',
      status,
      stopRequested: false,
    };
    this.runs.set(dir, run);
    const pollMs = this.options.pollMs ?? 500;
    run.process = new AdoptedProcess(status.pid as number, pollMs, this.graceMs, isPidAlive);
    // The client reads the history with skd/readMetrics; only new lines are news.
    run.tail = new MetricsTail(
      dir,
      (from, events) => this.options.events.metrics(dir, from, events),
      () => this.pollStatus(run),
      { pollMs, fromLine: metricsLineCount(dir) },
    );
    this.options.events.log('info', `following ${run.name}, still training (pid ${status.pid}) from before the trainer restarted`, dir);
    void run.process.exited.then((exit) => this.onExit(run, exit));
    return run;
  }

  private launch(run: ManagedRun): void {
    const settings = this.options.settings();
    const args =
      run.mode === 'run'
        ? [this.options.cliPath, 'run', run.experimentFile as string, '--run-dir', run.dir]
        : [this.options.cliPath, 'resume', run.dir];
    if (run.mode === 'run' && run.backend) args.push('--backend', run.backend);
    // A resumed run appends to its log; only what comes after is news to the client.
    const fromLine = run.mode === 'resume' ? metricsLineCount(run.dir) : 0;
    run.statusBefore = readStatus(run.dir)?.updated;
    this.setStatus(run, { ...run.status, state: 'running', phase: run.status.phase ?? 'setup', updated: now() });
    this.options.events.log('info', `${run.mode === 'run' ? 'starting' : 'resuming'} ${run.name} in ${run.dir}`, run.dir);
    run.process = new RunProcess({
      nodePath: settings.nodePath,
      args,
      cwd: run.experimentFile ? path.dirname(run.experimentFile) : run.dir,
      // Plugin modules registered through the extension's API (never in untrusted workspaces:
      // the server refuses to start runs there at all).
      env: settings.pluginModules.length ? { [PLUGINS_ENV]: settings.pluginModules.join(path.delimiter) } : undefined,
      graceMs: this.graceMs,
      onStderrLine: (line) => {
        if (line.trim()) this.options.events.log(/error|fail/i.test(line) ? 'error' : 'info', line, run.dir);
      },
    });
    run.tail = new MetricsTail(
      run.dir,
      (from, events) => this.options.events.metrics(run.dir, from, events),
      () => this.pollStatus(run),
      { pollMs: this.options.pollMs ?? 500, fromLine },
    );
    void run.process.exited.then((exit) => this.onExit(run, exit));
  }

  /** Takes the child's own status.json as it changes (phase, progress, final state). */
  private pollStatus(run: ManagedRun): void {
    if (run.status.state !== 'running') return;
    const disk = this.childStatus(run);
    // The engine logs its last events before it writes the final status; send them first.
    if (disk && FINAL.includes(disk.state)) run.tail?.drain();
    if (disk && disk.state !== 'queued') this.setStatus(run, disk);
  }

  /**
   * status.json as the child wrote it; undefined while it still holds what was there before
   * the child started (a resumed run's old `stopped`), which says nothing about this process.
   */
  private childStatus(run: ManagedRun): RunStatus | undefined {
    const disk = readStatus(run.dir);
    if (!disk || (run.statusBefore !== undefined && disk.updated === run.statusBefore)) return undefined;
    return disk;
  }

  private onExit(run: ManagedRun, exit: RunExit): void {
    run.tail?.read(true);
    run.tail?.dispose();
    run.tail = undefined;
    const disk = this.childStatus(run);
    if (disk && FINAL.includes(disk.state)) {
      this.setStatus(run, disk);
    } else {
      // It died without saying how it ended (killed, crashed, out of memory, or never got
      // going): record why, keeping everything it wrote so the run stays resumable.
      const reason = exitReason(exit);
      const state: RunState = run.stopRequested ? 'stopped' : 'failed';
      const base = disk ?? readStatus(run.dir) ?? run.status;
      const status: RunStatus = { ...base, state, error: run.stopRequested ? `stopped: ${reason}` : reason, updated: now() };
      try {
        if (fs.existsSync(run.dir)) writeStatus(run.dir, status);
      } catch (e) {
        this.options.events.log('error', `could not record the end of ${run.name}: ${(e as Error).message}`, run.dir);
      }
      this.setStatus(run, status);
    }
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
    const percent = (s: RunStatus) => Math.floor((s.progress ?? 0) * 100);
    const changed =
      before.state !== status.state ||
      before.phase !== status.phase ||
      before.error !== status.error ||
      percent(before) !== percent(status) ||
      before.backend !== status.backend;
    if (!changed) return;
    if (run.progress && status.state === 'running') {
      run.progress.report(percent(status), status.phase ? `${status.phase}${status.backend ? ` (${status.backend})` : ''}` : undefined);
    }
    this.options.events.status(this.info(run));
  }

  private info(run: ManagedRun): RunInfo {
    const info: RunInfo = { id: path.basename(run.dir), dir: run.dir, name: run.name, method: run.method, status: run.status };
    if (run.seed !== undefined) info.seed = run.seed;
    if (run.experimentFile) info.experimentFile = run.experimentFile;
    if (run.status.state === 'done') {
      const summary = readSummary(run.dir);
      if (summary) info.summary = summary;
    }
    return info;
  }

  private requireTrust(action: string): void {
    if (!this.options.settings().trusted) {
      throw new RunRequestError(`SKD Lab cannot ${action} in an untrusted workspace: trust the workspace to train, resume or export`);
    }
    if (this.disposed) throw new RunRequestError('the trainer is shutting down');
  }
}

/** The ExportResult of a finished export, from its `model-card.json`. */
export function exportResultFromCard(outDir: string): ExportResult {
  let card: { files?: { name: string }[]; bytes?: number; accuracy?: { exported?: number }; verification?: { maxAbsLogitDiff?: number } };
  try {
    card = JSON.parse(fs.readFileSync(path.join(outDir, EXPORT_CARD_JSON), 'utf8')) as typeof card;
  } catch (e) {
    throw new RunRequestError(`export finished but its model card is unreadable: ${(e as Error).message}`);
  }
  const files = (card.files ?? []).map((f) => f.name);
  return {
    outDir,
    files: [...files, EXPORT_CARD_MD, EXPORT_CARD_JSON],
    bytes: card.bytes ?? 0,
    maxAbsLogitDiff: card.verification?.maxAbsLogitDiff ?? Number.NaN,
    accuracy: card.accuracy?.exported ?? Number.NaN,
    card: path.join(outDir, EXPORT_CARD_MD),
  };
}

function exitReason(exit: RunExit): string {
  if (exit.adoptedPid !== undefined) {
    return exit.killed ? 'killed after the stop grace period' : `its process (pid ${exit.adoptedPid}) ended without a final status`;
  }
  const how = exit.spawnError
    ? `could not start: ${exit.spawnError}`
    : exit.killed
      ? 'killed after the stop grace period'
      : exit.signal
        ? `killed by ${exit.signal}`
        : `exited with code ${exit.code}`;
  return exit.lastStderr && !exit.spawnError ? `${how}: ${exit.lastStderr}` : how;
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

function now(): string {
  return new Date().toISOString();
}
