/**
 * Run Sweep, Stop Sweep and Compare Sweep. A sweep runs as `skd sweep <file>` in a child process
 * the extension owns (not in a terminal): the window can stop it (SIGTERM: every run
 * checkpoints and the next Run Sweep resumes it), follows it in the Experiments tree and a
 * cancellable notification, and offers the comparison when it ends. Its output goes to the
 * "SKD Sweeps" output channel. A sweep that must outlive the window goes to Slurm (the
 * process then only submits) or to `skd sweep` in a terminal.
 */
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseJsonc } from 'jsonc-parser';
import * as vscode from 'vscode';
import { experimentFileFromArg } from '../runs/commandArgs';
import { SWEEP_FILE_SUFFIX } from '../runs/treeModel';
import { runsFolder, workspaceRoot } from '../settings';
import { requireTrust } from '../trust';
import { findOnPath } from '../../trainer/util/findOnPath';
import { SWEEP_FILES } from '../../protocol/sweep';
import { announceEnd, startCliJob, type FolderJobDeps } from '../cli/cliJob';
import { compareFolder } from '../compare/compareFolder';
import { runCli } from '../cli/skdCli';
import { folderProgress } from '../runs/plannedFolder';
import { sweepOutcome, type Executor } from './sweepModel';

/** The sweep's name (its folder under the runs folder), read from the file; undefined when unreadable. */
function sweepName(file: string): string | undefined {
  try {
    const v = parseJsonc(fs.readFileSync(file, 'utf8')) as unknown;
    const name = typeof v === 'object' && v !== null ? (v as { name?: unknown }).name : undefined;
    return typeof name === 'string' && name ? name : undefined;
  } catch {
    return undefined;
  }
}

function sweepDirFromArg(arg: unknown): string | undefined {
  if (typeof arg === 'object' && arg !== null && (arg as { kind?: unknown }).kind === 'sweep') {
    const dir = (arg as { dir?: unknown }).dir;
    return typeof dir === 'string' ? dir : undefined;
  }
  return typeof arg === 'string' ? path.resolve(arg) : undefined;
}

export class SweepCommands implements vscode.Disposable {
  /** Running `skd sweep` processes by sweep folder. */
  private readonly running = new Map<string, ChildProcess>();
  /** Slurm sweeps submitted from this window: their runs are listed again until all have ended. */
  private readonly following = new Map<string, NodeJS.Timeout>();

  constructor(private readonly deps: FolderJobDeps) {}

  async runSweep(arg?: unknown): Promise<void> {
    if (!requireTrust('run sweeps')) return;
    let file = experimentFileFromArg(arg);
    const active = vscode.window.activeTextEditor?.document;
    if (!file && active?.uri.scheme === 'file' && active.fileName.endsWith(SWEEP_FILE_SUFFIX)) file = active.fileName;
    file ??= await this.pickSweepFile();
    if (!file) return;
    if (!file.endsWith(SWEEP_FILE_SUFFIX)) {
      void vscode.window.showErrorMessage(`SKD: ${path.basename(file)} is not a sweep file (*${SWEEP_FILE_SUFFIX}).`);
      return;
    }
    const doc = vscode.workspace.textDocuments.find((d) => d.fileName === file);
    if (doc?.isDirty) await doc.save();
    const executor = await this.pickExecutor();
    if (!executor) return;
    const out = runsFolder() ?? path.join(path.dirname(file), 'runs');
    const name = sweepName(file);
    const sweepDir = path.join(out, name ?? path.basename(file, SWEEP_FILE_SUFFIX));
    if (this.running.has(sweepDir)) {
      void vscode.window.showInformationMessage(`SKD: sweep ${path.basename(sweepDir)} is running already.`);
      return;
    }
    this.start(file, sweepDir, out, executor);
  }

  private start(file: string, sweepDir: string, out: string, executor: Executor): void {
    const label = path.basename(sweepDir);
    const { child, ended } = startCliJob({
      extensionPath: this.deps.extensionPath,
      args: ['sweep', file, '--executor', executor, '--out', out],
      cwd: workspaceRoot() ?? path.dirname(file),
      output: this.deps.output,
      title: `SKD: sweep ${label} (${executor})`,
      refresh: () => this.deps.refresh(),
      progress: () => this.deps.tree.getChildren().find((n) => n.kind === 'sweep' && n.dir === path.resolve(sweepDir))?.description,
      cancel: () => void this.stop(sweepDir),
    });
    this.running.set(sweepDir, child);
    this.deps.tree.setRunning('sweep', this.running.keys());
    void ended.then(async (code) => {
      this.running.delete(sweepDir);
      this.deps.tree.setRunning('sweep', this.running.keys());
      await this.deps.refresh();
      await this.deps.tree.scanFolders();
      if (executor === 'slurm' && code === 0) this.follow(sweepDir);
      const choice = await announceEnd(this.deps.output, `sweep ${label}`, sweepOutcome(code, executor), code === 0 || code === 1 ? ['Compare Sweep'] : []);
      if (choice === 'Compare Sweep') await this.compareSweep(sweepDir);
    });
  }

  private follow(sweepDir: string): void {
    clearInterval(this.following.get(sweepDir));
    const timer = setInterval(() => {
      void this.deps.refresh().then(() => {
        const sweep = this.deps.tree.plannedFolders().find((s) => s.dir === path.resolve(sweepDir));
        const p = sweep ? folderProgress(sweep, this.deps.store.all()) : undefined;
        if (!p || p.done + p.failed >= p.total) {
          clearInterval(timer);
          this.following.delete(sweepDir);
        }
      });
    }, 10_000);
    this.following.set(sweepDir, timer);
  }

  /**
   * A local sweep of this window: SIGTERM, and the local executor stops every run at its next
   * batch (they checkpoint). A sweep submitted to Slurm (its folder holds the job list): its jobs
   * are cancelled through `skd sweep cancel`, which asks `scancel`.
   */
  async stop(arg?: unknown): Promise<void> {
    // From the palette (no argument): the one running sweep, if there is exactly one.
    const dir = sweepDirFromArg(arg) ?? (this.running.size === 1 ? [...this.running.keys()][0] : undefined);
    const child = dir ? this.running.get(dir) : undefined;
    if (!child && dir && fs.existsSync(path.join(dir, SWEEP_FILES.jobs))) {
      const yes = 'Cancel Slurm jobs';
      const answer = await vscode.window.showWarningMessage(`SKD: cancel the Slurm jobs of sweep ${path.basename(dir)}? Running the sweep again resumes it.`, { modal: true }, yes);
      if (answer !== yes) return;
      try {
        const line = await runCli(this.deps.extensionPath, ['sweep', 'cancel', dir], dir);
        this.deps.output.info(`sweep ${path.basename(dir)}: ${line}`);
        void vscode.window.showInformationMessage(`SKD: ${line || `cancelled the Slurm jobs of sweep ${path.basename(dir)}`}`);
      } catch (e) {
        void vscode.window.showErrorMessage(`SKD: ${(e as Error).message}`);
      }
      return;
    }
    if (!child) {
      void vscode.window.showInformationMessage('SKD: no sweep of this window is running there.');
      return;
    }
    this.deps.output.info(`stopping sweep ${path.basename(dir as string)} (its runs checkpoint first)`);
    child.kill('SIGTERM');
  }

  async compareSweep(arg?: unknown): Promise<void> {
    await compareFolder(this.deps, 'sweep', sweepDirFromArg(arg), {
      placeHolder: 'Sweep to compare',
      describe: (s) => ({ description: s.dir }),
      notFolder: (dir) => `SKD: ${dir} is not a sweep folder (no sweep.json).`,
      noStudents: (s) => `SKD: sweep ${s.name} has no student runs yet.`,
    });
  }

  private async pickSweepFile(): Promise<string | undefined> {
    const uris = await vscode.workspace.findFiles(`**/*${SWEEP_FILE_SUFFIX}`, '**/node_modules/**', 200);
    if (uris.length === 0) {
      void vscode.window.showInformationMessage(`SKD: this workspace has no sweep files (*${SWEEP_FILE_SUFFIX}).`);
      return undefined;
    }
    if (uris.length === 1) return uris[0]?.fsPath;
    const root = workspaceRoot();
    const picked = await vscode.window.showQuickPick(
      uris.map((u) => ({ label: path.basename(u.fsPath), description: root ? path.relative(root, path.dirname(u.fsPath)) : path.dirname(u.fsPath), file: u.fsPath })),
      { placeHolder: 'Sweep to run' },
    );
    return picked?.file;
  }

  /** Local always; Slurm only where `sbatch` is on PATH (without it there is nothing to ask). */
  private async pickExecutor(): Promise<Executor | undefined> {
    if (!findOnPath('sbatch')) return 'local';
    const picked = await vscode.window.showQuickPick(
      [
        { label: 'local', description: 'on this machine, several runs at once; stops with the window', value: 'local' as const },
        { label: 'slurm', description: 'one Slurm job array (sbatch); runs on the cluster, outlives the window', value: 'slurm' as const },
      ],
      { placeHolder: 'Where should the sweep run?' },
    );
    return picked?.value;
  }

  dispose(): void {
    for (const timer of this.following.values()) clearInterval(timer);
    this.following.clear();
    for (const child of this.running.values()) child.kill('SIGTERM');
    this.running.clear();
  }
}
