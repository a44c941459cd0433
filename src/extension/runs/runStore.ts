/**
 * What the extension knows about runs: the last `skd/listRuns` answer, updated by
 * `skd/runStatus` notifications, plus the latest epoch/stage of active runs (from `skd/metrics`)
 * for the status bar. Pure (no `vscode`), so it is unit-tested.
 */
import * as path from 'node:path';
import type { RunInfo } from '../../protocol/lsp';
import type { MetricEvent, Network, Phase } from '../../protocol/runDir';
import { Emitter } from '../util/disposable';
import { isActive } from './format';

export interface RunLive {
  network?: Network;
  epoch?: number;
  stage?: number;
  phase?: Phase;
}

export class RunStore {
  private readonly runs = new Map<string, RunInfo>();
  private readonly live = new Map<string, RunLive>();
  private readonly changed = new Emitter<void>();
  readonly onDidChange = this.changed.event;

  all(): RunInfo[] {
    return [...this.runs.values()];
  }

  get(dir: string): RunInfo | undefined {
    return this.runs.get(path.resolve(dir));
  }

  liveOf(dir: string): RunLive | undefined {
    return this.live.get(path.resolve(dir));
  }

  active(): RunInfo[] {
    return this.all().filter(isActive);
  }

  /** Replaces the list with a fresh `skd/listRuns` answer. */
  setAll(runs: RunInfo[]): void {
    this.runs.clear();
    for (const r of runs) this.runs.set(path.resolve(r.dir), r);
    for (const dir of [...this.live.keys()]) if (!this.runs.has(dir)) this.live.delete(dir);
    this.changed.fire();
  }

  /** One run changed (`skd/runStatus`, or the answer of a start/stop/resume request). */
  update(run: RunInfo): void {
    const key = path.resolve(run.dir);
    const before = this.runs.get(key);
    // The server may leave out what it sent before (e.g. the experiment file after a restart).
    this.runs.set(key, { ...run, experimentFile: run.experimentFile ?? before?.experimentFile, summary: run.summary ?? before?.summary });
    this.changed.fire();
  }

  /** Tracks the epoch and stage of a run from its new metric events. */
  addEvents(dir: string, events: MetricEvent[]): void {
    const key = path.resolve(dir);
    const live: RunLive = { ...(this.live.get(key) ?? {}) };
    let touched = false;
    for (const e of events) {
      // A student trained beside the teacher (the student alone, a `none` run's student) reports
      // its epochs while the teacher's are the news: a network's epochs count in its own phase.
      if ((e.type === 'epoch' || e.type === 'stage') && isNetworkPhase(live.phase) && e.network !== live.phase) continue;
      if (e.type === 'epoch') {
        live.network = e.network;
        live.epoch = e.epoch;
        live.stage = e.stage;
        touched = true;
      } else if (e.type === 'phase') {
        live.phase = e.phase;
        touched = true;
      } else if (e.type === 'stage') {
        live.network = e.network;
        live.stage = e.stage;
        touched = true;
      }
    }
    if (!touched) return;
    this.live.set(key, live);
    this.changed.fire();
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** The phases in which one network trains (the others are setup, the meta-networks and the end). */
function isNetworkPhase(phase: Phase | undefined): phase is Network {
  return phase === 'teacher' || phase === 'alone' || phase === 'student';
}
