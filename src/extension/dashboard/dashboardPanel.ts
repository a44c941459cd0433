/**
 * A dashboard per run: the panel, its run actions and status; following the run's events
 * (history once, then only new ones, each once) is `DashboardSync`'s job.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { type MetricsParams, ReadMetricsRequest, type RunInfo } from '../../protocol/lsp';
import { VIEW_TYPES, type DashboardRun, type MessageFromWebview } from '../../protocol/webview';
import type { TrainerClient } from '../languageClient/trainerClient';
import { runFolderName, runLabel } from '../runs/format';
import type { RunStore } from '../runs/runStore';
import { WebviewHost } from '../webview/webviewHost';
import { DashboardSync } from './dashboardSync';

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
  private readonly sync: DashboardSync;
  private lastState: string | undefined;

  constructor(
    panel: vscode.WebviewPanel,
    readonly dir: string,
    private readonly deps: DashboardDeps,
  ) {
    super(panel, 'dashboard', deps.extensionUri, deps.trainer.log);
    this.sync = new DashboardSync({
      read: (from) => this.deps.trainer.request(ReadMetricsRequest.type, { dir: this.dir, from }),
      post: (message) => this.post(message),
      warn: (message) => this.log.warn(`dashboard ${this.dir}: ${message}`),
    });
    this.disposer.track(deps.trainer.onMetrics((p) => this.onMetrics(p)));
    this.disposer.track(deps.store.onDidChange(() => void this.onStoreChange()));
    // After a trainer restart, catch up from the run directory.
    this.disposer.track(deps.trainer.onReady(() => void this.sync.catchUp()));
  }

  static title(run: RunInfo | undefined, dir: string): string {
    return `SKD: ${run ? runLabel(run) : runFolderName(dir)}`;
  }

  private same(dir: string): boolean {
    return path.resolve(dir) === path.resolve(this.dir);
  }

  protected async onInitialized(): Promise<void> {
    await this.sync.start(() => this.runForPage());
  }

  private runForPage(): DashboardRun {
    const info = this.deps.store.get(this.dir);
    this.lastState = info?.status.state;
    return { dir: this.dir, name: info?.name ?? runFolderName(this.dir), method: info?.method ?? '', status: info?.status };
  }

  private onMetrics(p: MetricsParams): void {
    if (this.same(p.dir) && this.isReady) this.sync.onMetrics(p);
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
