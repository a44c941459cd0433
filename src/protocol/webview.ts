/**
 * The one message contract between the extension host and SKD Lab's webviews (the run dashboard
 * and the run comparison), as discriminated unions on `type`, after vscode-dvc's
 * `webview/contract.ts`. Both sides import this file. Every message that arrives from a webview
 * is checked with `isMessageFromWebview` before use; messages never carry file paths from the
 * webview to the host: the host acts only on the run(s) it opened the panel for.
 */
import type { MetricEvent, RunState, RunStatus } from './runDir';

export const VIEW_TYPES = {
  dashboard: 'skdLab.dashboard',
  compare: 'skdLab.compare',
} as const;

export type ViewKind = 'dashboard' | 'compare';

/** The run a dashboard shows. */
export interface DashboardRun {
  dir: string;
  name: string;
  method: string;
  status?: RunStatus;
}

/** One run's row of the comparison and its student validation-accuracy curve. */
export interface CompareRun {
  name: string;
  method: string;
  state: RunState;
  teacherAcc?: number;
  studentAcc?: number;
  teacherParams?: number;
  studentParams?: number;
  seconds?: number;
  backend?: string;
  /** Student validation accuracy per epoch (epochs counted over the student phase). */
  curve: { epoch: number; valAcc: number }[];
  /** Best student validation accuracy (the selected epoch's). */
  bestValAcc?: number;
  /** Test accuracy of the same student trained alone, and `studentAcc` minus it. */
  aloneAcc?: number;
  gain?: number;
  /** Hyperparameters from the run's own experiment copy (`experiment.json`). */
  hyper?: CompareHyper;
  /** The sweep group the run belongs to, when it is a run of a sweep. */
  group?: string;
  /** Every per-epoch student metric by key (`valAcc`, `trainAcc`, `loss`, `lr`, `term.<name>`), epochs from 1. */
  perEpoch?: { epoch: number; values: Record<string, number> }[];
  /** Per-stage TBT/TET metrics by key (`tbt.nmse`, `tet.accuracy`, ...), stages from 1 (TBT's at the stage it predicts). */
  perStage?: { stage: number; values: Record<string, number> }[];
}

/** The settings the comparison table shows per run. */
export interface CompareHyper {
  temperature?: number;
  stages?: number;
  student?: string;
  teacher?: string;
  epochs?: number;
  lr?: number;
  seed?: number;
}

/** A paired difference from a report: mean and standard error (fractions) over n pairs. */
export interface PairedDelta {
  mean: number;
  se: number | null;
  n: number;
}

/**
 * A sweep's groups (from `skd sweep report --json`) or a methods bench's methods (from `skd bench
 * methods --report <dir> --json`): mean ± std and the paired Δ to its baseline.
 */
export interface CompareSweep {
  /** Which command's report: it names the groups (sweep groups or methods) and the figures' source. */
  source: 'sweep' | 'bench';
  name: string;
  baseline: string;
  groups: {
    group: string;
    runs: number;
    testMean: number;
    testStd: number;
    /** Paired difference to the baseline (fractions), absent for the baseline itself. */
    delta?: PairedDelta;
    /** The same on validation with the epoch selection held out; absent for runs recorded before it. */
    heldOutDelta?: PairedDelta;
  }[];
}

// ---------------------------------------------------------------- host -> webview

/** The whole history once (events from index 0), after the webview said `initialized`. */
export interface DashboardInitMessage {
  type: 'dashboard/init';
  run: DashboardRun;
  events: MetricEvent[];
}

/**
 * Only the events that are new since the last message. `from` is the event index of the first
 * one (the unit of `MetricsParams` in lsp.ts); the host sends each event once and in order, so
 * `from` always equals the number of events the page holds. A page that finds otherwise does
 * not guess: it asks for the history again by saying `initialized`.
 */
export interface DashboardEventsMessage {
  type: 'dashboard/events';
  from: number;
  events: MetricEvent[];
}

export interface DashboardStatusMessage {
  type: 'dashboard/status';
  status: RunStatus;
}

export interface CompareInitMessage {
  type: 'compare/init';
  runs: CompareRun[];
  /** The run directories, in the order of `runs`: the page saves them (`setState`) for a reload. */
  dirs: string[];
  /** Present when the runs are one sweep's: its groups and their statistics. */
  sweep?: CompareSweep;
}

export type MessageToWebview =
  | DashboardInitMessage
  | DashboardEventsMessage
  | DashboardStatusMessage
  | CompareInitMessage;

// ---------------------------------------------------------------- webview -> host

/** The webview has loaded and listens; the host sends data only after this. */
export interface InitializedMessage {
  type: 'initialized';
}

/** Dashboard buttons: act on the panel's own run (no path travels). */
export interface RunActionMessage {
  type: 'stopRun' | 'resumeRun' | 'exportStudent';
}

/** Comparison: open the dashboard of the run at this index of the list the host sent. */
export interface OpenRunMessage {
  type: 'openRun';
  index: number;
}

/** A problem the webview wants in the trainer log (e.g. a chart that failed to draw). */
export interface WebviewLogMessage {
  type: 'log';
  level: 'info' | 'warn' | 'error';
  message: string;
}

export type MessageFromWebview = InitializedMessage | RunActionMessage | OpenRunMessage | WebviewLogMessage;

export const MAX_LOG_MESSAGE = 2000;
export const MAX_RUN_INDEX = 1000;

/** What a webview keeps with `setState`, so a reloaded window restores the panel. */
export interface DashboardState {
  view: 'dashboard';
  dir: string;
}

export interface CompareState {
  view: 'compare';
  dirs: string[];
  /** How the comparison was being looked at (sort, grouping, chart metric, ...); the webview checks it. */
  table?: CompareViewState;
}

/** The comparison's view settings, kept across a window reload. */
export interface CompareViewState {
  sortKey: string;
  sortDir: 'asc' | 'desc';
  /** `none` or the key of a groupable column (`method`, `seed`, `group` for the sweep group, ...). */
  groupBy: string;
  metric: string;
  logScale: boolean;
  /** Exponential smoothing weight, 0 (none) to 0.95. */
  smoothing: number;
  /** The filter box's text (`skd seed:1 student>80`); empty shows every run. */
  filter: string;
}

export type PanelState = DashboardState | CompareState;

// ---------------------------------------------------------------- guards

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function hasOnlyKeys(o: Record<string, unknown>, keys: readonly string[]): boolean {
  return Object.keys(o).every((k) => keys.includes(k));
}

/** The one entry point for webview messages: anything else is logged and ignored. */
export function isMessageFromWebview(v: unknown): v is MessageFromWebview {
  if (!isRecord(v) || typeof v.type !== 'string') return false;
  switch (v.type) {
    case 'initialized':
    case 'stopRun':
    case 'resumeRun':
    case 'exportStudent':
      return hasOnlyKeys(v, ['type']);
    case 'openRun':
      return (
        hasOnlyKeys(v, ['type', 'index']) &&
        typeof v.index === 'number' &&
        Number.isInteger(v.index) &&
        v.index >= 0 &&
        v.index < MAX_RUN_INDEX
      );
    case 'log':
      return (
        hasOnlyKeys(v, ['type', 'level', 'message']) &&
        (v.level === 'info' || v.level === 'warn' || v.level === 'error') &&
        typeof v.message === 'string' &&
        v.message.length <= MAX_LOG_MESSAGE
      );
    default:
      return false;
  }
}

function isEventArray(v: unknown): v is MetricEvent[] {
  return Array.isArray(v) && v.every((e) => isRecord(e) && typeof e.type === 'string');
}

/** The webview checks what it receives too (the host is trusted, but a bug should not draw garbage). */
export function isMessageToWebview(v: unknown): v is MessageToWebview {
  if (!isRecord(v) || typeof v.type !== 'string') return false;
  switch (v.type) {
    case 'dashboard/init':
      return isRecord(v.run) && typeof v.run.dir === 'string' && typeof v.run.name === 'string' && isEventArray(v.events);
    case 'dashboard/events':
      return typeof v.from === 'number' && Number.isInteger(v.from) && v.from >= 0 && isEventArray(v.events);
    case 'dashboard/status':
      return isRecord(v.status) && typeof v.status.state === 'string';
    case 'compare/init':
      return (
        Array.isArray(v.runs) &&
        v.runs.every((r) => isRecord(r) && typeof r.name === 'string' && Array.isArray(r.curve)) &&
        Array.isArray(v.dirs) &&
        v.dirs.length === v.runs.length &&
        v.dirs.every(isStatePath) &&
        (v.sweep === undefined || (isRecord(v.sweep) && typeof v.sweep.name === 'string' && Array.isArray(v.sweep.groups)))
      );
    default:
      return false;
  }
}

const MAX_STATE_PATH = 4096;

function isStatePath(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_STATE_PATH && !v.includes('\0');
}

/** The shape of a restored panel's state (where it points is checked by the host separately). */
export function isPanelState(v: unknown): v is PanelState {
  if (!isRecord(v)) return false;
  if (v.view === 'dashboard') return isStatePath(v.dir);
  if (v.view === 'compare') return Array.isArray(v.dirs) && v.dirs.length > 0 && v.dirs.length <= MAX_RUN_INDEX && v.dirs.every(isStatePath);
  return false;
}
