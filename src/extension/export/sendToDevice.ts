/**
 * "Send Student to Device...": pick an export folder (from a run's context menu: the run's newest
 * export, or an export made first), then copy it to a folder (a mounted board or phone), push it
 * with adb, or serve a tf.js export with a page that runs it in a phone's browser. The work is
 * done by the trainer's command line in a child process this class owns.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExportResult } from '../../protocol/lsp';
import { isLoopbackHost, lanAddresses, urlHost } from '../../trainer/export/lanAddress';
import { findOnPath } from '../../trainer/util/findOnPath';
import { Commands } from '../constants';
import type { TrainerClient } from '../languageClient/trainerClient';
import { runFolderName } from '../runs/format';
import { runDirFromArg } from '../runs/commandArgs';
import type { RunStore } from '../runs/runStore';
import { nodePath, serveHost, workspaceRoot } from '../settings';
import { requireTrust } from '../trust';
import {
  deviceArgs,
  exportFormatOf,
  findUrl,
  listExportFolders,
  sendSource,
  targetsFor,
  type DeviceTarget,
  type ExportFormat,
} from './deviceCli';

export class SendToDevice implements vscode.Disposable {
  private readonly children = new Set<ChildProcess>();

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly trainer: TrainerClient,
    private readonly store: RunStore,
  ) {}

  async run(arg?: unknown): Promise<void> {
    if (!requireTrust('send students to devices')) return;
    const given = runDirFromArg(arg);
    let exportDir: string | undefined;
    if (given) {
      const source = sendSource(given);
      exportDir = source.exportDir ?? (source.kind === 'run' ? await this.exportFirst(source.runDir) : undefined);
    } else {
      exportDir = await this.pickExport();
    }
    if (!exportDir) return;
    const target = await this.pickTarget(exportFormatOf(exportDir));
    if (!target) return;
    const args = deviceArgs(this.context.asAbsolutePath('dist/cli.js'), exportDir, target);
    const node = nodePath() || process.execPath;
    this.trainer.log.info(`device: ${node} ${args.join(' ')}`);
    const child = spawn(node, args, {
      cwd: workspaceRoot() ?? path.dirname(exportDir),
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.children.add(child);
    const output: string[] = [];
    let announced = false;
    const onLine = (line: string): void => {
      if (!line.trim()) return;
      output.push(line);
      this.trainer.log.info(`device: ${line}`);
      const url = target.kind === 'serve' ? findUrl(line) : undefined;
      if (url && !announced) {
        announced = true;
        void vscode.window.showInformationMessage(`SKD: serving the student at ${url} — ${servingHint(url)}`, 'Open in Browser', 'Stop Serving').then((c) => {
          if (c === 'Open in Browser') void vscode.env.openExternal(vscode.Uri.parse(url));
          else if (c === 'Stop Serving') child.kill();
        });
      }
    };
    for (const stream of [child.stdout, child.stderr]) {
      let rest = '';
      stream?.on('data', (chunk: Buffer) => {
        const lines = (rest + chunk.toString('utf8')).split(/\r?\n/);
        rest = lines.pop() ?? '';
        lines.forEach(onLine);
      });
    }
    child.on('error', (err) => void vscode.window.showErrorMessage(`SKD: could not start the device command: ${err.message}`));
    child.on('exit', (code, signal) => {
      this.children.delete(child);
      if (target.kind === 'serve') {
        if (code !== 0 && signal === null) void vscode.window.showErrorMessage(`SKD: serving stopped: ${output.slice(-1)[0] ?? `exit ${code}`}`);
        return;
      }
      if (code === 0) void vscode.window.showInformationMessage(`SKD: ${target.kind === 'copy' ? `copied the student to ${target.folder}` : 'pushed the student with adb'}.`);
      else void vscode.window.showErrorMessage(`SKD: sending to the device failed: ${output.slice(-1)[0] ?? `exit ${code ?? signal}`}`, 'Show Trainer Log').then((c) => c && this.trainer.log.show());
    });
  }

  private async pickExport(): Promise<string | undefined> {
    const folders = listExportFolders(this.store.all().map((r) => r.dir));
    const items: (vscode.QuickPickItem & { dir?: string })[] = folders.map((dir) => ({
      label: path.basename(dir),
      description: path.basename(path.dirname(path.dirname(dir))),
      detail: dir,
      dir,
    }));
    items.push({ label: 'Choose a folder…', description: 'an export folder elsewhere' });
    const picked = await vscode.window.showQuickPick(items, { placeHolder: 'Exported student to send' });
    if (!picked) return undefined;
    if (picked.dir) return picked.dir;
    const chosen = await vscode.window.showOpenDialog({ canSelectFiles: false, canSelectFolders: true, openLabel: 'Send This Export' });
    return chosen?.[0]?.fsPath;
  }

  /** A run without an export: offers to export it first, and answers with the new export folder. */
  private async exportFirst(runDir: string): Promise<string | undefined> {
    const picked = await vscode.window.showQuickPick([{ label: '$(package) Export the student first…', description: 'tf.js or ONNX' }], {
      placeHolder: `${runFolderName(runDir)} has no exported student yet`,
    });
    if (!picked) return undefined;
    const result = await vscode.commands.executeCommand<ExportResult | undefined>(Commands.exportStudent, runDir);
    return result?.outDir;
  }

  private async pickTarget(format: ExportFormat | undefined): Promise<DeviceTarget | undefined> {
    const adb = findOnPath('adb');
    // The setting, else the LAN address: a phone cannot open this machine's loopback.
    const host = serveHost() || lanAddresses()[0] || '127.0.0.1';
    const offered = targetsFor(format);
    const items = [
      { label: '$(folder) Copy to a folder…', description: 'a mounted board, phone or SD card', target: 'copy' as const },
      { label: '$(device-mobile) Push with adb', description: adb ? `adb at ${adb}` : 'adb is not on the PATH', target: 'adb' as const },
      { label: '$(globe) Serve for a phone\'s browser', description: `http://${urlHost(host)}:… (setting skdLab.device.serveHost)`, target: 'serve' as const },
    ].filter((i) => offered.includes(i.target));
    const placeHolder = format === 'onnx' ? 'How to send it (the phone page runs tf.js exports; export as tfjs to serve it)' : 'How to send it';
    const picked = await vscode.window.showQuickPick(items, { placeHolder });
    if (!picked) return undefined;
    if (picked.target === 'copy') {
      const folder = await vscode.window.showOpenDialog({ canSelectFiles: false, canSelectFolders: true, openLabel: 'Copy Here' });
      return folder?.[0] ? { kind: 'copy', folder: folder[0].fsPath } : undefined;
    }
    if (picked.target === 'adb') {
      if (!adb) {
        void vscode.window.showErrorMessage('SKD: adb is not on the PATH. Install Android platform tools or copy to a folder instead.');
        return undefined;
      }
      return { kind: 'adb' };
    }
    return { kind: 'serve', host };
  }

  dispose(): void {
    for (const c of this.children) c.kill();
    this.children.clear();
  }
}

/** What the user needs to know to open a served URL from a phone. */
function servingHint(url: string): string {
  const host = new URL(url).hostname;
  if (isLoopbackHost(host)) return 'only this machine can open it; set skdLab.device.serveHost to this machine\'s LAN address to open it from a phone.';
  const remote = vscode.env.remoteName ? ` (VS Code Remote: it is served by the remote host, which the phone must reach)` : '';
  return `open it on a phone in the same network${remote}.`;
}
