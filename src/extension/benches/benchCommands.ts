/**
 * Run Method Bench, Stop Method Bench and Compare Methods: `skd bench methods` from the editor.
 * A bench trains one teacher from an experiment file, then the student of every chosen method
 * for seeds 1..n against it, paired by seed, and reports each method's mean ± std and its paired
 * difference to KD. It runs as a child process the extension owns (src/extension/cli/cliJob.ts):
 * the window follows its runs in the Experiments tree (one row per bench folder) and can stop it
 * (its runs checkpoint; Run Method Bench on the bench's row resumes it). Compare Methods opens
 * the comparison grouped by method, with the bench report's figures.
 */
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { BENCH_FILES, DEFAULT_BENCH_SEEDS } from '../../protocol/bench';
import { BUILTIN_METHOD_SUMMARIES } from '../../protocol/methods';
import { announceEnd, startCliJob, type FolderJobDeps } from '../cli/cliJob';
import { compareFolder } from '../compare/compareFolder';
import { EXPERIMENT_SUFFIX } from '../constants';
import { experimentFileFromArg } from '../runs/commandArgs';
import { pickExperimentFile } from '../runs/pickers';
import { SWEEP_FILE_SUFFIX } from '../runs/treeModel';
import { runsFolder, workspaceRoot } from '../settings';
import { requireTrust } from '../trust';
import { benchFolderFromLine, benchOutcome, DEFAULT_BENCH_METHODS, parseSeedsInput } from './benchModel';

/** A bench row of the tree (or a bench folder's path) from a command argument. */
function benchDirFromArg(arg: unknown): string | undefined {
  if (typeof arg === 'object' && arg !== null && (arg as { kind?: unknown }).kind === 'bench') {
    const dir = (arg as { dir?: unknown }).dir;
    return typeof dir === 'string' ? dir : undefined;
  }
  if (typeof arg === 'string' && (fs.existsSync(path.join(arg, BENCH_FILES.plan)) || fs.existsSync(path.join(arg, BENCH_FILES.draws)))) return path.resolve(arg);
  return undefined;
}

/** What a resume continues: a draw's bench is resumed with its whole draws folder (whose report pools them). */
function resumeTarget(benchDir: string): string {
  const parent = path.dirname(benchDir);
  return fs.existsSync(path.join(parent, BENCH_FILES.draws)) ? parent : benchDir;
}

export class BenchCommands implements vscode.Disposable {
  /** Running `skd bench methods` processes, each with the folders it works on (known once it prints them). */
  private readonly running = new Map<ChildProcess, Set<string>>();

  constructor(private readonly deps: FolderJobDeps) {}

  /** On an experiment file: a new bench from it. On a bench's row: resume that bench. */
  async runBench(arg?: unknown): Promise<void> {
    if (!requireTrust('run method benches')) return;
    const benchDir = benchDirFromArg(arg);
    if (benchDir) {
      const target = resumeTarget(benchDir);
      if (this.runnerOf(target)) {
        void vscode.window.showInformationMessage(`SKD: bench ${path.basename(target)} is running already.`);
        return;
      }
      this.start(['bench', 'methods', '--resume', target], `bench ${path.basename(target)}`, [target], path.dirname(target));
      return;
    }
    let file = experimentFileFromArg(arg);
    const active = vscode.window.activeTextEditor?.document;
    if (!file && active?.uri.scheme === 'file' && active.fileName.endsWith(EXPERIMENT_SUFFIX) && !active.fileName.endsWith(SWEEP_FILE_SUFFIX)) file = active.fileName;
    file ??= await pickExperimentFile('Experiment to bench: its teacher, student and data');
    if (!file) return;
    if (file.endsWith(SWEEP_FILE_SUFFIX) || !file.endsWith(EXPERIMENT_SUFFIX)) {
      void vscode.window.showErrorMessage(`SKD: ${path.basename(file)} is not an experiment file (*${EXPERIMENT_SUFFIX}); a method bench starts from one.`);
      return;
    }
    const doc = vscode.workspace.textDocuments.find((d) => d.fileName === file);
    if (doc?.isDirty) await doc.save();
    const methods = await this.pickMethods();
    if (!methods) return;
    const seeds = await vscode.window.showInputBox({
      title: 'SKD: Run Method Bench',
      prompt: 'Seeds per method (1..n): every method trains one student per seed, paired by seed',
      value: String(DEFAULT_BENCH_SEEDS),
      validateInput: (v) => (parseSeedsInput(v) === undefined ? 'a whole number from 1 to 100' : undefined),
    });
    const n = seeds === undefined ? undefined : parseSeedsInput(seeds);
    if (n === undefined) return;
    const out = runsFolder() ?? path.join(path.dirname(file), 'runs');
    this.start(['bench', 'methods', '--experiment', file, '--methods', methods.join(','), '--seeds', String(n), '--out', out], `bench of ${path.basename(file)}`, [], workspaceRoot() ?? path.dirname(file));
  }

  private async pickMethods(): Promise<string[] | undefined> {
    const picked = await vscode.window.showQuickPick(
      BUILTIN_METHOD_SUMMARIES.map(([name, summary]) => ({ label: name, description: summary, picked: DEFAULT_BENCH_METHODS.includes(name) })),
      { title: 'SKD: Run Method Bench', placeHolder: 'Methods to compare (paired differences are to kd, else to none)', canPickMany: true },
    );
    if (!picked || picked.length === 0) return undefined;
    return picked.map((p) => p.label);
  }

  private runnerOf(dir: string): ChildProcess | undefined {
    const target = path.resolve(dir);
    for (const [child, dirs] of this.running) if (dirs.has(target) || dirs.has(resumeTarget(target))) return child;
    return undefined;
  }

  private syncTree(): void {
    this.deps.tree.setRunning('bench', [...this.running.values()].flatMap((dirs) => [...dirs]));
  }

  private start(args: string[], what: string, known: string[], cwd: string): void {
    const dirs = new Set(known.map((d) => path.resolve(d)));
    const { child, ended } = startCliJob({
      extensionPath: this.deps.extensionPath,
      args,
      cwd,
      output: this.deps.output,
      title: `SKD: ${what}`,
      refresh: () => this.deps.refresh(),
      progress: () => {
        const rows = this.deps.tree.getChildren().filter((n) => n.kind === 'bench' && (dirs.has(n.dir) || dirs.has(path.dirname(n.dir))));
        return rows.map((r) => (r.kind === 'bench' ? r.description : '')).join(' · ') || undefined;
      },
      cancel: () => void this.stopChild(child, what),
      onLine: (line) => {
        // `bench folder: <dir>` (and, with draws, `draws folder:` and each draw's): the rows this process runs.
        const dir = benchFolderFromLine(line);
        if (dir && !dirs.has(path.resolve(dir))) {
          dirs.add(path.resolve(dir));
          this.syncTree();
          void this.deps.tree.scanFolders();
        }
      },
    });
    this.running.set(child, dirs);
    this.syncTree();
    void ended.then(async (code) => {
      this.running.delete(child);
      this.syncTree();
      await this.deps.refresh();
      await this.deps.tree.scanFolders();
      const bench = [...dirs].find((d) => fs.existsSync(path.join(d, BENCH_FILES.plan)));
      const label = bench ? `bench ${path.basename(bench)}` : what;
      const choice = await announceEnd(this.deps.output, label, benchOutcome(code), bench && (code === 0 || code === 1 || code === 3) ? ['Compare Methods'] : []);
      if (choice === 'Compare Methods' && bench) await this.compareBench(bench);
    });
  }

  private stopChild(child: ChildProcess, what: string): void {
    this.deps.output.info(`stopping ${what} (its running runs checkpoint; Run Method Bench on its row resumes it)`);
    child.kill('SIGTERM');
  }

  /** A bench of this window: SIGTERM, and `skd bench methods` stops its runs at their next batch (they checkpoint). */
  stop(arg?: unknown): void {
    const dir = benchDirFromArg(arg);
    const child = dir ? this.runnerOf(dir) : this.running.size === 1 ? [...this.running.keys()][0] : undefined;
    if (!child) {
      void vscode.window.showInformationMessage('SKD: no method bench of this window is running there.');
      return;
    }
    this.stopChild(child, dir ? `bench ${path.basename(dir)}` : 'the method bench');
  }

  /** The comparison of a bench's students, grouped by method, with the bench report's paired differences. */
  async compareBench(arg?: unknown): Promise<void> {
    await compareFolder(this.deps, 'bench', benchDirFromArg(arg), {
      placeHolder: 'Method bench to compare',
      describe: (b) => ({ description: b.groups.join(', '), detail: b.dir }),
      notFolder: (dir) => `SKD: ${dir} is not a method bench folder (no ${BENCH_FILES.plan}).`,
      noneYet: 'SKD: no method bench in the runs folder yet (SKD: Run Method Bench starts one).',
      noStudents: (b) => `SKD: bench ${b.name} has no student runs yet (its teacher trains first).`,
    });
  }

  dispose(): void {
    for (const child of this.running.keys()) child.kill('SIGTERM');
    this.running.clear();
  }
}
