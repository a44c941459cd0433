/**
 * Opens, reuses and restores the webview panels: one dashboard per run directory, comparison
 * panels, and the serializers that bring them back after a window reload. Restored state is
 * only trusted after a check that it points into the runs folder or the workspace.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { RUN_FILES } from '../../protocol/runDir';
import { isPanelState, VIEW_TYPES } from '../../protocol/webview';
import { ComparePanel } from '../compare/comparePanel';
import type { TrainerClient } from '../languageClient/trainerClient';
import type { RunStore } from '../runs/runStore';
import { runsFolder } from '../settings';
import { Disposer } from '../util/disposable';
import { isAllowedRunDir } from '../util/paths';
import { DashboardPanel, type RunActions } from './dashboardPanel';

export class Panels implements vscode.Disposable {
  private readonly disposer = new Disposer();
  private readonly dashboards = new Map<string, DashboardPanel>();
  private readonly compares = new Set<ComparePanel>();

  /**
   * `actions` (stop, resume, export from a dashboard) come with the construction: the panel
   * serializers registered here may restore a dashboard at any moment after it.
   */
  constructor(
    private readonly trainer: TrainerClient,
    private readonly store: RunStore,
    private readonly extensionUri: vscode.Uri,
    private readonly actions: RunActions,
  ) {
    this.disposer.track(
      vscode.window.registerWebviewPanelSerializer(VIEW_TYPES.dashboard, {
        deserializeWebviewPanel: async (panel, state: unknown) => this.restoreDashboard(panel, state),
      }),
    );
    this.disposer.track(
      vscode.window.registerWebviewPanelSerializer(VIEW_TYPES.compare, {
        deserializeWebviewPanel: async (panel, state: unknown) => this.restoreCompare(panel, state),
      }),
    );
  }

  /** Where restored state may point: the runs folder, the workspace folders, known runs. */
  private allowedRoots(): string[] {
    const roots = [runsFolder(), ...(vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath)];
    return [...roots.filter((r): r is string => r !== undefined), ...this.store.all().map((r) => r.dir)];
  }

  private acceptableRunDir(dir: string): boolean {
    return isAllowedRunDir(dir, this.allowedRoots()) && fs.existsSync(path.join(dir, RUN_FILES.status));
  }

  private restoreDashboard(panel: vscode.WebviewPanel, state: unknown): void {
    if (!isPanelState(state) || state.view !== 'dashboard' || !this.acceptableRunDir(state.dir)) {
      this.trainer.log.warn(`Not restoring a dashboard whose saved state is not a run directory of this workspace.`);
      panel.dispose();
      return;
    }
    const dir = path.resolve(state.dir);
    if (this.dashboards.has(dir)) {
      panel.dispose();
      return;
    }
    this.adoptDashboard(panel, dir);
  }

  private restoreCompare(panel: vscode.WebviewPanel, state: unknown): void {
    if (!isPanelState(state) || state.view !== 'compare' || !state.dirs.every((d) => this.acceptableRunDir(d))) {
      this.trainer.log.warn(`Not restoring a comparison whose saved state is not a set of run directories of this workspace.`);
      panel.dispose();
      return;
    }
    this.adoptCompare(panel, state.dirs.map((d) => path.resolve(d)));
  }

  private adoptDashboard(panel: vscode.WebviewPanel, dir: string): DashboardPanel {
    const dashboard = new DashboardPanel(panel, dir, {
      trainer: this.trainer,
      store: this.store,
      extensionUri: this.extensionUri,
      actions: this.actions,
    });
    this.dashboards.set(dir, dashboard);
    dashboard.onDidDispose(() => this.dashboards.delete(dir));
    return dashboard;
  }

  private adoptCompare(panel: vscode.WebviewPanel, dirs: string[]): ComparePanel {
    const compare = new ComparePanel(panel, dirs, {
      trainer: this.trainer,
      store: this.store,
      extensionUri: this.extensionUri,
      openDashboard: (dir) => this.openDashboard(dir),
    });
    this.compares.add(compare);
    compare.onDidDispose(() => this.compares.delete(compare));
    return compare;
  }

  /** Shows the run's dashboard, reusing an open one. */
  openDashboard(dirParam: string, preserveFocus = false): DashboardPanel {
    const dir = path.resolve(dirParam);
    const existing = this.dashboards.get(dir);
    if (existing) {
      existing.panel.reveal(undefined, preserveFocus);
      return existing;
    }
    const title = DashboardPanel.title(this.store.get(dir), dir);
    const panel = vscode.window.createWebviewPanel(VIEW_TYPES.dashboard, title, { viewColumn: vscode.ViewColumn.Active, preserveFocus }, {});
    return this.adoptDashboard(panel, dir);
  }

  openCompare(dirs: string[]): ComparePanel {
    const panel = vscode.window.createWebviewPanel(VIEW_TYPES.compare, `SKD: Compare ${dirs.length} runs`, vscode.ViewColumn.Active, {});
    return this.adoptCompare(panel, dirs.map((d) => path.resolve(d)));
  }

  openDashboards(): readonly string[] {
    return [...this.dashboards.keys()];
  }

  dispose(): void {
    for (const d of [...this.dashboards.values()]) d.dispose();
    for (const c of [...this.compares]) c.dispose();
    this.disposer.dispose();
  }
}
