/**
 * A run the run manager follows, as it holds it in memory: which run it is, how it was asked
 * to go (a new run or a resume), its last known status and the process, tail and progress it
 * owns. The run directory stays the unit of truth; this is only the manager's view of it.
 */
import * as path from 'node:path';
import type { RunInfo } from '../../protocol/lsp';
import type { RunState, RunStatus } from '../../protocol/runDir';
import { readSummary } from '../runDir/runFiles';
import type { MetricsTail } from './metricsTail';
import type { TrainingProcess } from './runProcess';

/** The part of a work-done progress reporter the manager uses (LSP `$/progress`). */
export interface ProgressReporter {
  begin(title: string, percentage?: number, message?: string, cancellable?: boolean): void;
  report(percentage: number, message?: string): void;
  done(): void;
}

export interface ManagedRun {
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

export const ACTIVE: readonly RunState[] = ['queued', 'running'];
export const FINAL: readonly RunState[] = ['done', 'failed', 'stopped'];

/** What the client is told of a run; a finished one brings its summary along. */
export function runInfo(run: ManagedRun): RunInfo {
  const info: RunInfo = { id: path.basename(run.dir), dir: run.dir, name: run.name, method: run.method, status: run.status };
  if (run.seed !== undefined) info.seed = run.seed;
  if (run.experimentFile) info.experimentFile = run.experimentFile;
  if (run.status.state === 'done') {
    const summary = readSummary(run.dir);
    if (summary) info.summary = summary;
  }
  return info;
}

export function now(): string {
  return new Date().toISOString();
}
