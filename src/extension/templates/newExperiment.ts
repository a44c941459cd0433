/** "New Experiment from Template": writes a template into the workspace and opens it. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { workspaceRoot } from '../settings';
import { freeFileName, instantiateTemplate, TEMPLATES } from './templates';

export async function newExperiment(context: vscode.ExtensionContext, templateArg?: unknown): Promise<vscode.Uri | undefined> {
  let template = TEMPLATES.find((t) => t.file === templateArg || t.label === templateArg);
  if (!template) {
    const picked = await vscode.window.showQuickPick(
      TEMPLATES.map((t) => ({ label: t.label, detail: t.detail, template: t })),
      { placeHolder: 'Template for the new experiment', matchOnDetail: true },
    );
    template = picked?.template;
  }
  if (!template) return undefined;
  const text = await fs.promises.readFile(context.asAbsolutePath(path.join('examples', 'templates', template.file)), 'utf8');
  const base = template.file.replace(/\.skd\.json$/, '');

  let target: vscode.Uri | undefined;
  const root = workspaceRoot();
  if (root) {
    const name = freeFileName(base, (n) => fs.existsSync(path.join(root, n)));
    target = vscode.Uri.file(path.join(root, name));
  } else {
    target = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(`${base}.skd.json`), filters: { 'SKD experiment': ['skd.json'] } });
  }
  if (!target) return undefined;
  const runName = path.basename(target.fsPath).replace(/\.skd\.json$/, '').replace(/\.json$/, '');
  await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(instantiateTemplate(text, runName)));
  await vscode.window.showTextDocument(target);
  return target;
}
