/**
 * Run, stop, resume and refresh: the custom requests of the trainer, with a cancellable
 * progress notification fed by the server's `$/progress` for the client's work-done token.
 */
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  ListRunsRequest,
  ResumeRunRequest,
  StartRunRequest,
  StopRunRequest,
  isRefusal,
  type RunInfo,
} from '../../protocol/lsp';
import { EXPERIMENT_SUFFIX } from '../constants';
import type { TrainerClient } from '../languageClient/trainerClient';
import { backend, runsFolder } from '../settings';
import { requireTrust } from '../trust';
import { experimentFileFromArg, runDirFromArg, runDirsFromArgs } from './commandArgs';
import { isActive, isResumable, runFolderName } from './format';
import { pickExperimentFile, pickRun, pickRuns } from './pickers';
import type { RunStore } from './runStore';

export interface RunCommandDeps {
  trainer: TrainerClient;
  store: RunStore;
  openDashboard(dir: string, preserveFocus?: boolean): unknown;
  openCompare(dirs: string[]): unknown;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class RunCommands {
  constructor(private readonly deps: RunCommandDeps) {}

  /** Asks the server for the runs in the runs folder (and the folders of known runs). */
  async refresh(): Promise<RunInfo[]> {
    const folder = runsFolder();
    const folders = new Set<string>(folder ? [folder] : []);
    for (const r of this.deps.store.all()) folders.add(path.dirname(r.dir));
    if (folders.size === 0) {
      this.deps.store.setAll([]);
      return [];
    }
    try {
      const runs = await this.deps.trainer.request(ListRunsRequest.type, { folders: [...folders] });
      this.deps.store.setAll(runs);
      return runs;
    } catch (err) {
      this.deps.trainer.log.warn(`Could not list runs: ${errorText(err)}`);
      return this.deps.store.all();
    }
  }

  async runExperiment(arg?: unknown): Promise<RunInfo | undefined> {
    if (!requireTrust('start training')) return undefined;
    let file = experimentFileFromArg(arg);
    if (!file) {
      const active = vscode.window.activeTextEditor?.document;
      if (active && active.uri.scheme === 'file' && active.fileName.endsWith(EXPERIMENT_SUFFIX)) file = active.fileName;
    }
    file ??= await pickExperimentFile();
    if (!file) return undefined;
    const doc = vscode.workspace.textDocuments.find((d) => d.fileName === file);
    if (doc?.isDirty) await doc.save();
    const outDir = runsFolder() ?? path.join(path.dirname(file), 'runs');
    const setting = backend();
    return this.withRunProgress(`Run ${path.basename(file)}`, (workDoneToken) =>
      this.deps.trainer.request(StartRunRequest.type, {
        experimentFile: file as string,
        outDir,
        backend: setting === 'auto' ? undefined : setting,
        workDoneToken,
      }),
    );
  }

  async resumeRun(arg?: unknown): Promise<RunInfo | undefined> {
    if (!requireTrust('resume training')) return undefined;
    const dir = runDirFromArg(arg) ?? (await pickRun(this.deps.store.all().filter(isResumable), 'Run to resume'))?.dir;
    if (!dir) return undefined;
    return this.withRunProgress(`Resume ${runFolderName(dir)}`, (workDoneToken) =>
      this.deps.trainer.request(ResumeRunRequest.type, { dir, workDoneToken }),
    );
  }

  async stopRun(arg?: unknown): Promise<RunInfo | undefined> {
    const dir = runDirFromArg(arg) ?? (await pickRun(this.deps.store.active(), 'Run to stop'))?.dir;
    if (!dir) return undefined;
    try {
      const info = await this.deps.trainer.request(StopRunRequest.type, { dir });
      this.deps.store.update(info);
      return info;
    } catch (err) {
      void vscode.window.showErrorMessage(`SKD: could not stop ${runFolderName(dir)}: ${errorText(err)}`);
      return undefined;
    }
  }

  async openDashboard(arg?: unknown): Promise<void> {
    const dir = runDirFromArg(arg) ?? (await pickRun(this.deps.store.all(), 'Run whose dashboard to open'))?.dir;
    if (dir) this.deps.openDashboard(dir);
  }

  async compareRuns(first?: unknown, second?: unknown): Promise<void> {
    let dirs = runDirsFromArgs(first, second);
    if (dirs.length < 2) {
      const picked = await pickRuns(this.deps.store.all(), 'Runs to compare (pick two or more)');
      dirs = [...new Set([...dirs, ...picked.map((r) => r.dir)])];
    }
    if (dirs.length === 0) return;
    this.deps.openCompare(dirs);
  }

  /**
   * Sends a start or resume with a fresh work-done token and shows the server's progress for it
   * as a cancellable notification (cancel = stop the run). Answers as soon as the run is queued;
   * the progress goes on until the run ends.
   */
  private async withRunProgress(
    title: string,
    send: (token: string) => Promise<RunInfo>,
  ): Promise<RunInfo | undefined> {
    const token = `skd-run-${randomUUID()}`;
    let resolveStarted!: (info: RunInfo | undefined) => void;
    const started = new Promise<RunInfo | undefined>((r) => (resolveStarted = r));
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `SKD: ${title}`, cancellable: true },
      async (progress, cancel) => {
        let last = 0;
        let dir: string | undefined;
        let finish!: () => void;
        const finished = new Promise<void>((r) => (finish = r));
        const report = (percentage: number | undefined, message: string | undefined): void => {
          if (percentage !== undefined && percentage > last) {
            progress.report({ increment: percentage - last, message });
            last = percentage;
          } else if (message) progress.report({ message });
        };
        const subs: vscode.Disposable[] = [];
        try {
          subs.push(
            await this.deps.trainer.onProgress(token, (v) => {
              if (v.kind === 'end') finish();
              else report(v.percentage, v.message);
            }),
          );
          subs.push(
            new vscode.Disposable(
              this.deps.store.onDidChange(() => {
                const run = dir ? this.deps.store.get(dir) : undefined;
                if (run && !isActive(run)) finish();
              }).dispose,
            ),
          );
          subs.push(cancel.onCancellationRequested(() => {
            if (dir) void this.stopRun(dir);
            finish();
          }));
          const info = await send(token);
          dir = info.dir;
          this.deps.store.update(info);
          resolveStarted(info);
          this.deps.openDashboard(info.dir, true);
          if (!isActive(info)) finish();
          await finished;
        } catch (err) {
          resolveStarted(undefined);
          // A refusal (the experiment has problems, the workspace is untrusted) is not a failure.
          const outcome = isRefusal((err as { data?: unknown } | undefined)?.data) ? 'refused' : 'failed';
          void vscode.window.showErrorMessage(`SKD: ${title} ${outcome}: ${errorText(err)}`, 'Show Trainer Log').then((c) => {
            if (c) this.deps.trainer.log.show();
          });
        } finally {
          for (const s of subs) s.dispose();
        }
      },
    );
    return started;
  }
}
