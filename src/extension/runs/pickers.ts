/** Quick picks for runs and experiment files, used when a command gets no argument. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunInfo } from '../../protocol/lsp';
import { EXPERIMENT_GLOB } from '../constants';
import { workspaceRoot } from '../settings';
import { runLabel } from './format';
import { isBenchRunFile } from './plannedFolders';
import { runDescription, sortRuns } from './treeModel';

interface RunPickItem extends vscode.QuickPickItem {
  run: RunInfo;
}

function runItem(run: RunInfo): RunPickItem {
  return { label: runLabel(run), description: runDescription(run), detail: run.dir, run };
}

export async function pickRun(runs: RunInfo[], placeHolder: string): Promise<RunInfo | undefined> {
  if (runs.length === 0) {
    void vscode.window.showInformationMessage(`SKD: no matching runs (${placeHolder.toLowerCase()}).`);
    return undefined;
  }
  if (runs.length === 1) return runs[0];
  const picked = await vscode.window.showQuickPick(sortRuns(runs).map(runItem), { placeHolder, matchOnDetail: true });
  return picked?.run;
}

export async function pickRuns(runs: RunInfo[], placeHolder: string): Promise<RunInfo[]> {
  const picked = await vscode.window.showQuickPick(sortRuns(runs).map(runItem), { placeHolder, canPickMany: true, matchOnDetail: true });
  return picked?.map((p) => p.run) ?? [];
}

export async function pickExperimentFile(placeHolder = 'Experiment to run'): Promise<string | undefined> {
  const uris = (await vscode.workspace.findFiles(EXPERIMENT_GLOB, '**/node_modules/**', 500)).filter((u) => !isBenchRunFile(u.fsPath));
  if (uris.length === 0) {
    const choice = await vscode.window.showInformationMessage('SKD: this workspace has no experiment files (*.skd.json).', 'New Experiment from Template');
    if (choice) await vscode.commands.executeCommand('skd.newExperiment');
    return undefined;
  }
  if (uris.length === 1) return uris[0]?.fsPath;
  const root = workspaceRoot();
  const picked = await vscode.window.showQuickPick(
    uris.map((u) => ({ label: path.basename(u.fsPath), description: root ? path.relative(root, path.dirname(u.fsPath)) : path.dirname(u.fsPath), file: u.fsPath })),
    { placeHolder },
  );
  return picked?.file;
}
