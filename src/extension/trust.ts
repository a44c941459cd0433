/** Workspace trust: no training, export or plugin in an untrusted workspace. */
import * as vscode from 'vscode';

/** True when trusted; otherwise says why nothing happens and offers to manage trust. */
export function requireTrust(action: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window
    .showWarningMessage(
      `SKD Lab does not ${action} in an untrusted workspace (training runs code and reads files the experiment names). Language features for experiment files still work.`,
      'Manage Workspace Trust',
    )
    .then((choice) => {
      if (choice) void vscode.commands.executeCommand('workbench.trust.manage');
    });
  return false;
}
