/**
 * The custom messages between the extension (language client) and the trainer (language
 * server), as typed constants in one file, after vscode-eslint's `customMessages.ts`. Each
 * namespace says which side sends it. Standard LSP features (diagnostics, completion, hover)
 * for experiment files and `$/progress` work-done progress travel beside these.
 */
import { NotificationType, RequestType } from 'vscode-languageserver-protocol';
import type { MetricEvent, RunStatus, Summary } from './runDir';

export interface RunInfo {
  id: string;
  /** Absolute run directory. */
  dir: string;
  name: string;
  method: string;
  /** The experiment's seed, when known (labels tell runs of one experiment apart by it). */
  seed?: number;
  /** Experiment file the run was started from, when known. */
  experimentFile?: string;
  status: RunStatus;
  summary?: Summary;
}

export interface StartRunParams {
  /** Absolute path of the experiment file. */
  experimentFile: string;
  /** Folder that receives the run directory (the `skdLab.runsFolder` setting). */
  outDir: string;
  /** Overrides the experiment's backend (the `skdLab.backend` setting), when set. */
  backend?: string;
  /** A work-done progress token created by the client, for a cancellable progress bar. */
  workDoneToken?: string | number;
}

export interface RunRef {
  dir: string;
}

/** client -> server: start a run; answers at once with the queued run. */
export namespace StartRunRequest {
  export const method = 'skd/startRun';
  export const type = new RequestType<StartRunParams, RunInfo, void>(method);
}

/** client -> server: stop a running or queued run (it checkpoints and ends as `stopped`). */
export namespace StopRunRequest {
  export const method = 'skd/stopRun';
  export const type = new RequestType<RunRef, RunInfo, void>(method);
}

/** client -> server: resume a stopped, failed or interrupted run from its last checkpoint. */
export namespace ResumeRunRequest {
  export const method = 'skd/resumeRun';
  export const type = new RequestType<RunRef & { workDoneToken?: string | number }, RunInfo, void>(method);
}

/** client -> server: the runs under the given folders. */
export namespace ListRunsRequest {
  export const method = 'skd/listRuns';
  export const type = new RequestType<{ folders: string[] }, RunInfo[], void>(method);
}

/**
 * Metric events of a run. Every metrics cursor of SKD Lab (`from` and `next` here, the server's
 * tail, a dashboard's cursor, its webview model's event count) is the index of a valid event of
 * `metrics.jsonl` (0-based): not a line number, since a crash leaves a torn line that is no
 * event, and not a byte offset, which a webview holding events could not check. The one reader
 * is src/trainer/runDir/metricsLog.ts, which says more.
 */
export interface MetricsParams {
  dir: string;
  /** Event index of `events[0]`; the events follow each other without a gap. */
  from: number;
  events: MetricEvent[];
}

export interface ReadMetricsParams extends RunRef {
  /** Event index to read from (0 when absent). */
  from?: number;
}

export interface ReadMetricsResult {
  events: MetricEvent[];
  /** Event index after the last event returned: where to ask from next time. */
  next: number;
}

/**
 * client -> server: the metric events of a run from event index `from` on, for a dashboard
 * that opens, reloads or catches up; live events then arrive as `skd/metrics` notifications.
 */
export namespace ReadMetricsRequest {
  export const method = 'skd/readMetrics';
  export const type = new RequestType<ReadMetricsParams, ReadMetricsResult, void>(method);
}

export interface ExportParams {
  dir: string;
  format: 'tfjs' | 'onnx';
  quantize: 'none' | 'float16' | 'uint8';
  outDir?: string;
}

export interface ExportResult {
  outDir: string;
  files: string[];
  bytes: number;
  maxAbsLogitDiff: number;
  /** Accuracy of the export on `testImages` images of the named `testSet` (by default all of the run's test split). */
  accuracy: number;
  testSet: string;
  testImages: number;
  card: string;
}

/** client -> server: export a run's student. */
export namespace ExportStudentRequest {
  export const method = 'skd/exportStudent';
  export const type = new RequestType<ExportParams, ExportResult, void>(method);
}

/** server -> client: new metric events of a run (incremental, never the whole history). */
export namespace MetricsNotification {
  export const method = 'skd/metrics';
  export const type = new NotificationType<MetricsParams>(method);
}

/** server -> client: a run's status changed (queued, running, done, failed, stopped). */
export namespace RunStatusNotification {
  export const method = 'skd/runStatus';
  export const type = new NotificationType<RunInfo>(method);
}

/** server -> client: a line for the trainer log output channel. */
export namespace TrainerLogNotification {
  export const method = 'skd/log';
  export const type = new NotificationType<{ level: 'info' | 'warn' | 'error'; message: string; dir?: string }>(method);
}

/** Settings the client passes in `initializationOptions` and on configuration change. */
export interface TrainerSettings {
  /** Node executable that runs each training process. */
  nodePath: string;
  /** How many runs may train at once; the rest wait in the queue. */
  concurrentRuns: number;
  /** Whether the workspace is trusted: untrusted workspaces get language features only. */
  trusted: boolean;
  /** Extra module paths of plugins (methods, models, data formats, exports) to load. */
  pluginModules: string[];
}

/**
 * What the client sends as `initializationOptions`: its settings, and whether the server should
 * provide completion, hover and JSON syntax and schema diagnostics itself. VS Code's JSON
 * support has the schema (the extension's `jsonValidation`), so the extension sends false and
 * the server keeps to what a schema cannot say (files exist, a ResNet's depth, stages vs epochs).
 */
export interface TrainerInitializationOptions extends Partial<TrainerSettings> {
  schemaFeatures?: boolean;
}

/** The `data` of a request's error when the server refused it (bad experiment, untrusted, ...). */
export interface RefusalData {
  refused: true;
}

export function isRefusal(data: unknown): data is RefusalData {
  return typeof data === 'object' && data !== null && (data as { refused?: unknown }).refused === true;
}

/**
 * Environment variable through which the server hands plugin module paths to each run
 * (joined by the platform's path delimiter); the command line reads it too.
 */
export const PLUGINS_ENV = 'SKD_PLUGINS';
