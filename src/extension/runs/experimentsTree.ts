/** The "Experiments" tree view: experiment files of the workspace, their runs under them. */
import * as path from 'node:path';
import { parse as parseJsonc } from 'jsonc-parser';
import * as vscode from 'vscode';
import { Commands, EXPERIMENT_GLOB } from '../constants';
import { runsFolder, workspaceRoot } from '../settings';
import { findPlannedFolders, isBenchRunFile } from './plannedFolders';
import type { PlannedFolder } from './plannedFolder';
import { Disposer } from '../util/disposable';
import type { RunStore } from './runStore';
import { buildTree, childrenOf, type ExperimentFile, type RootNode, type TreeNode } from './treeModel';

export class ExperimentsTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly disposer = new Disposer();
  private readonly changeEmitter = this.disposer.track(new vscode.EventEmitter<TreeNode | undefined>());
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private experiments: ExperimentFile[] = [];
  private roots: RootNode[] = [];
  private planned: PlannedFolder[] = [];
  /** The folders this window's `skd sweep` and `skd bench methods` processes work on, by who runs them. */
  private running = new Map<'sweep' | 'bench', ReadonlySet<string>>();
  private folderScan: Promise<void> | undefined;
  private folderScanAgain = false;
  private scannedRunsKey = '';

  constructor(
    private readonly store: RunStore,
    private readonly warn: (line: string) => void = () => undefined,
  ) {
    this.disposer.track(
      store.onDidChange(() => {
        this.rebuild();
        // Live metrics change the store every few seconds; sweep and bench folders only change with the run list.
        const key = this.store.all().map((r) => r.dir).sort().join('\n');
        if (key !== this.scannedRunsKey) {
          this.scannedRunsKey = key;
          void this.scanFolders();
        }
      }),
    );
    const watcher = this.disposer.track(vscode.workspace.createFileSystemWatcher(EXPERIMENT_GLOB));
    this.disposer.track(watcher.onDidCreate(() => void this.scanExperiments()));
    this.disposer.track(watcher.onDidDelete(() => void this.scanExperiments()));
    this.disposer.track(watcher.onDidChange(() => void this.scanExperiments()));
    this.disposer.track(vscode.workspace.onDidChangeWorkspaceFolders(() => void this.scanExperiments()));
  }

  /** Finds the workspace's experiment files and reads their names. */
  async scanExperiments(): Promise<ExperimentFile[]> {
    const uris = (await vscode.workspace.findFiles(EXPERIMENT_GLOB, '**/node_modules/**', 500)).filter((u) => !isBenchRunFile(u.fsPath));
    this.experiments = await Promise.all(
      uris.map(async (uri): Promise<ExperimentFile> => {
        try {
          const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
          const value: unknown = parseJsonc(text);
          const name = typeof value === 'object' && value !== null ? (value as { name?: unknown }).name : undefined;
          return { file: uri.fsPath, name: typeof name === 'string' ? name : undefined };
        } catch {
          return { file: uri.fsPath };
        }
      }),
    );
    this.rebuild();
    await this.scanFolders();
    return this.experiments;
  }

  experimentFiles(): ExperimentFile[] {
    return this.experiments;
  }

  plannedFolders(): PlannedFolder[] {
    return this.planned;
  }

  /** Whether a run lies in a folder that this window's `skd sweep` or `skd bench methods` process works on. */
  inRunningFolder(runDir: string): boolean {
    const parent = path.dirname(path.resolve(runDir));
    return [...this.running.values()].some((dirs) => dirs.has(parent));
  }

  /** The folders this window's `skd sweep` (or `skd bench methods`) processes work on: their rows offer Stop. */
  setRunning(owner: 'sweep' | 'bench', dirs: Iterable<string>): void {
    this.running.set(owner, new Set(dirs));
    this.rebuild();
  }

  /** Reads the sweep and bench folders again (one scan at a time; a request during a scan runs once after it). */
  scanFolders(): Promise<void> {
    if (this.folderScan) {
      this.folderScanAgain = true;
      return this.folderScan;
    }
    this.folderScan = (async () => {
      do {
        this.folderScanAgain = false;
        const found = await findPlannedFolders(runsFolder(), this.store.all().map((r) => r.dir), this.warn);
        if (JSON.stringify(found) !== JSON.stringify(this.planned)) {
          this.planned = found;
          this.rebuild();
        }
      } while (this.folderScanAgain);
    })().finally(() => (this.folderScan = undefined));
    return this.folderScan;
  }

  private rebuild(): void {
    const running = new Set([...this.running.values()].flatMap((dirs) => [...dirs]));
    this.roots = buildTree(this.experiments, this.store.all(), workspaceRoot(), this.planned, running);
    this.changeEmitter.fire(undefined);
  }

  getChildren(element?: TreeNode): TreeNode[] {
    return childrenOf(element, this.roots);
  }

  getParent(element: TreeNode): TreeNode | undefined {
    if (element.kind !== 'run') return undefined;
    // Roots hold runs directly (experiment files, sweeps, benches, other runs).
    return this.roots.find((r) => r.runs.some((n) => n.id === element.id));
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    if (node.kind === 'run') {
      const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
      item.id = node.id;
      item.description = node.description;
      item.tooltip = node.tooltip;
      item.contextValue = node.contextValue;
      item.iconPath = new vscode.ThemeIcon(node.icon.id, node.icon.color ? new vscode.ThemeColor(node.icon.color) : undefined);
      item.command = { command: Commands.openDashboard, title: 'Open Dashboard', arguments: [node] };
      return item;
    }
    const state = node.runs.length > 0 ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None;
    const item = new vscode.TreeItem(node.label, state);
    item.id = node.id;
    item.description = node.description;
    item.contextValue = node.contextValue;
    if (node.kind === 'sweep' || node.kind === 'bench') {
      item.tooltip = node.tooltip;
      item.iconPath = new vscode.ThemeIcon(node.contextValue.endsWith('.running') ? 'sync~spin' : node.kind === 'bench' ? 'graph' : 'layers');
      item.collapsibleState = node.runs.length > 0 ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None;
    } else if (node.kind === 'experiment') {
      item.tooltip = node.tooltip;
      item.resourceUri = vscode.Uri.file(node.file);
      item.iconPath = new vscode.ThemeIcon(node.contextValue === 'skdSweepFile' ? 'layers' : 'beaker');
      item.command = { command: 'vscode.open', title: 'Open', arguments: [vscode.Uri.file(node.file)] };
    } else {
      item.iconPath = new vscode.ThemeIcon('folder');
      item.tooltip = `Runs whose experiment file is not in this workspace (${path.sep}runs folder)`;
    }
    return item;
  }

  dispose(): void {
    this.disposer.dispose();
  }
}
