/**
 * Compare Sweep and Compare Methods: the comparison of a sweep's or a methods bench's students.
 * The folder comes from the command's argument (its tree row) or a pick among those the tree
 * knows; the comparison groups them by the folder's groups (src/extension/compare/folderContext.ts).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { FolderJobDeps } from '../cli/cliJob';
import { studentDirs, type PlannedFolder } from '../runs/plannedFolder';

export interface CompareFolderTexts {
  placeHolder: string;
  /** A pick row's description and detail. */
  describe(folder: PlannedFolder): { description: string; detail?: string };
  notFolder(dir: string): string;
  /** Said when no folder of the kind exists yet (else the empty pick says it). */
  noneYet?: string;
  noStudents(folder: PlannedFolder): string;
}

export async function compareFolder(deps: Pick<FolderJobDeps, 'tree' | 'store' | 'openCompare'>, kind: PlannedFolder['kind'], dirArg: string | undefined, say: CompareFolderTexts): Promise<void> {
  await deps.tree.scanFolders();
  const folders = deps.tree.plannedFolders().filter((f) => f.kind === kind);
  let dir = dirArg;
  if (!dir) {
    const picked = await vscode.window.showQuickPick(
      folders.map((f) => ({ label: f.name, ...say.describe(f), dir: f.dir })),
      { placeHolder: say.placeHolder },
    );
    dir = picked?.dir;
  }
  const folder = dir ? folders.find((f) => f.dir === path.resolve(dir as string)) : undefined;
  if (!folder) {
    if (dir) void vscode.window.showErrorMessage(say.notFolder(dir));
    else if (folders.length === 0 && say.noneYet) void vscode.window.showInformationMessage(say.noneYet);
    return;
  }
  const dirs = studentDirs(folder, deps.store.all());
  if (dirs.length === 0) {
    void vscode.window.showInformationMessage(say.noStudents(folder));
    return;
  }
  deps.openCompare(dirs);
}
