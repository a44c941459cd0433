/** The "Experiments" tree view: experiment files of the workspace, their runs under them. */
import * as path from 'node:path';
import { parse as parseJsonc } from 'jsonc-parser';
import * as vscode from 'vscode';
import { Commands, EXPERIMENT_GLOB } from '../constants';
import { workspaceRoot } from '../settings';
import { Disposer } from '../util/disposable';
import type { RunStore } from './runStore';
import { buildTree, childrenOf, type ExperimentFile, type RootNode, type TreeNode } from './treeModel';

export class ExperimentsTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly disposer = new Disposer();
  private readonly changeEmitter = this.disposer.track(new vscode.EventEmitter<TreeNode | undefined>());
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private experiments: ExperimentFile[] = [];
  private roots: RootNode[] = [];

  constructor(private readonly store: RunStore) {
    this.disposer.track(store.onDidChange(() => this.rebuild()));
    const watcher = this.disposer.track(vscode.workspace.createFileSystemWatcher(EXPERIMENT_GLOB));
    this.disposer.track(watcher.onDidCreate(() => void this.scanExperiments()));
    this.disposer.track(watcher.onDidDelete(() => void this.scanExperiments()));
    this.disposer.track(watcher.onDidChange(() => void this.scanExperiments()));
    this.disposer.track(vscode.workspace.onDidChangeWorkspaceFolders(() => void this.scanExperiments()));
  }

  /** Finds the workspace's experiment files and reads their names. */
  async scanExperiments(): Promise<ExperimentFile[]> {
    const uris = await vscode.workspace.findFiles(EXPERIMENT_GLOB, '**/node_modules/**', 500);
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
    return this.experiments;
  }

  experimentFiles(): ExperimentFile[] {
    return this.experiments;
  }

  private rebuild(): void {
    this.roots = buildTree(this.experiments, this.store.all(), workspaceRoot());
    this.changeEmitter.fire(undefined);
  }

  getChildren(element?: TreeNode): TreeNode[] {
    return childrenOf(element, this.roots);
  }

  getParent(element: TreeNode): TreeNode | undefined {
    if (element.kind !== 'run') return undefined;
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
    if (node.kind === 'experiment') {
      item.tooltip = node.tooltip;
      item.resourceUri = vscode.Uri.file(node.file);
      item.iconPath = new vscode.ThemeIcon('beaker');
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
