/**
 * A dashboard per run: on `initialized` the host sends the run's history read through
 * `skd/readMetrics`, then forwards only the new events of each `skd/metrics` notification.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ReadMetricsRequest, type RunInfo } from '../../protocol/lsp';
import type { MetricEvent } from '../../protocol/runDir';
import { VIEW_TYPES, type MessageFromWebview } from '../../protocol/webview';
import type { MetricsParams, TrainerClient } from '../languageClient/trainerClient';
import { runFolderName, runLabel } from '../runs/format';
import type { RunStore } from '../runs/runStore';
import { WebviewHost } from '../webview/webviewHost';
import { planIncrement } from './increments';

export interface RunActions {
  stop(dir: string): Promise<unknown>;
  resume(dir: string): Promise<unknown>;
  exportStudent(dir: string): Promise<unknown>;
}

export interface DashboardDeps {
  trainer: TrainerClient;
  store: RunStore;
  extensionUri: vscode.Uri;
  actions: RunActions;
}

export class DashboardPanel extends WebviewHost {
  /** Index of the next event the webview needs. */
  private cursor = 0;
  private syncing = false;
  private buffered: MetricsParams[] = [];
  private lastState: string | undefined;

  constructor(
    panel: vscode.WebviewPanel,
    readonly dir: string,
    private readonly deps: DashboardDeps,
  ) {
    super(panel, 'dashboard', deps.extensionUri, deps.trainer.log);
    this.disposer.track(deps.trainer.onMetrics((p) => this.onMetrics(p)));
    this.disposer.track(deps.store.onDidChange(() => void this.onStoreChange()));
    // After a trainer restart, catch up from the run directory.
    this.disposer.track(deps.trainer.onReady(() => void this.catchUp()));
  }

  static title(run: RunInfo | undefined, dir: string): string {
    return `SKD: ${run ? runLabel(run) : runFolderName(dir)}`;
  }

  private same(dir: string): boolean {
    return path.resolve(dir) === path.resolve(this.dir);
  }

  protected async onInitialized(): Promise<void> {
    this.cursor = 0;
    this.syncing = true;
    try {
      const { events, next } = await this.deps.trainer.request(ReadMetricsRequest.type, { dir: this.dir, from: 0 });
      const info = this.deps.store.get(this.dir);
      this.lastState = info?.status.state;
      await this.post({
        type: 'dashboard/init',
        run: { dir: this.dir, name: info?.name ?? runFolderName(this.dir), method: info?.method ?? '', status: info?.status },
        events,
      });
      this.cursor = next;
    } finally {
      this.syncing = false;
    }
    await this.flush();
  }

  private async flush(): Promise<void> {
    const pending = this.buffered;
    this.buffered = [];
    for (const p of pending) await this.apply(p);
  }

  private onMetrics(p: MetricsParams): void {
    if (!this.same(p.dir) || !this.isReady) return;
    if (this.syncing) this.buffered.push(p);
    else void this.apply(p);
  }

  private async apply(p: MetricsParams): Promise<void> {
    const plan = planIncrement(this.cursor, p.from, p.events.length);
    if (plan.kind === 'stale') return;
    if (plan.kind === 'gap') return this.catchUp();
    const events = p.events.slice(plan.skip);
    const from = this.cursor;
    this.cursor = plan.next;
    await this.send(from, events);
  }

  /** Reads what the webview has not seen yet from the run directory. */
  private async catchUp(): Promise<void> {
    if (!this.isReady || this.syncing) return;
    this.syncing = true;
    try {
      const { events, next } = await this.deps.trainer.request(ReadMetricsRequest.type, { dir: this.dir, from: this.cursor });
      const from = this.cursor;
      if (next > this.cursor) {
        this.cursor = next;
        await this.send(from, events);
      }
    } catch (err) {
      this.log.warn(`dashboard ${this.dir}: could not read metrics: ${String(err)}`);
    } finally {
      this.syncing = false;
    }
    await this.flush();
  }

  private async send(from: number, events: MetricEvent[]): Promise<void> {
    if (events.length > 0) await this.post({ type: 'dashboard/events', from, events });
  }

  private async onStoreChange(): Promise<void> {
    const info = this.deps.store.get(this.dir);
    // A restored panel opens before the run is listed: its tab gets the full label then.
    const title = DashboardPanel.title(info, this.dir);
    if (info && this.panel.title !== title) this.panel.title = title;
    if (!info || !this.isReady) return;
    const key = `${info.status.state}:${info.status.phase ?? ''}:${Math.floor((info.status.progress ?? 0) * 100)}`;
    if (key === this.lastState) return;
    this.lastState = key;
    await this.post({ type: 'dashboard/status', status: info.status });
  }

  protected async onMessage(message: Exclude<MessageFromWebview, { type: 'initialized' | 'log' }>): Promise<void> {
    switch (message.type) {
      case 'stopRun':
        await this.deps.actions.stop(this.dir);
        return;
      case 'resumeRun':
        await this.deps.actions.resume(this.dir);
        return;
      case 'exportStudent':
        await this.deps.actions.exportStudent(this.dir);
        return;
      case 'openRun':
        this.log.warn('Ignored openRun from a dashboard (only the comparison opens runs).');
        return;
    }
  }
}

export const DASHBOARD_VIEW_TYPE = VIEW_TYPES.dashboard;
