/**
 * A long `skd` command (a sweep, a methods bench) as a child process the extension owns, not a
 * terminal: its output goes line by line to an output channel, the runs it writes are listed
 * again every few seconds, a cancellable notification follows it, and its exit code comes back.
 * Stopping it is the caller's: SIGTERM, after which `skd` checkpoints its runs and exits 3.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as vscode from 'vscode';
import type { ExperimentsTreeProvider } from '../runs/experimentsTree';
import type { RunStore } from '../runs/runStore';
import type { Outcome } from './exitOutcome';
import { cliCommand } from './skdCli';

/**
 * What the commands that start `skd` jobs on folders of runs (Run Sweep, Run Method Bench) need:
 * the runs they list again and follow in the tree, an output channel, the comparison to open.
 */
export interface FolderJobDeps {
  extensionPath: string;
  store: RunStore;
  tree: ExperimentsTreeProvider;
  output: vscode.LogOutputChannel;
  /** Lists the runs again (the job's runs are written by its own processes, not the trainer). */
  refresh(): Promise<unknown>;
  openCompare(dirs: string[]): unknown;
}

export interface CliJobOptions {
  extensionPath: string;
  /** `skd` arguments, e.g. `['bench', 'methods', '--experiment', file]`. */
  args: string[];
  cwd: string;
  output: vscode.LogOutputChannel;
  /** The notification's title. */
  title: string;
  /** Lists the runs again (the job's runs are written by its own processes, not the trainer). */
  refresh(): Promise<unknown>;
  /** The notification's message, asked every second (the job's row in the tree says how far it is). */
  progress(): string | undefined;
  /** The notification's Cancel. */
  cancel(): void;
  /** Every line the job prints, after the output channel has it. */
  onLine?(line: string): void;
}

export interface CliJob {
  child: ChildProcess;
  /** Its exit code; null when it did not start or was killed by a signal. */
  ended: Promise<number | null>;
}

export function startCliJob(o: CliJobOptions): CliJob {
  const cmd = cliCommand(o.extensionPath, o.args);
  o.output.info(`$ skd ${o.args.join(' ')}`);
  const child = spawn(cmd.file, cmd.args, { cwd: o.cwd, env: cmd.env, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        o.output.info(line);
        o.onLine?.(line);
      }
    });
  }
  const poll = setInterval(() => void o.refresh(), 3000);
  const ended = new Promise<number | null>((resolve) => {
    child.on('error', (err) => {
      o.output.error(`skd ${o.args[0] ?? ''} did not start: ${err.message}`);
      resolve(null);
    });
    child.on('close', (code) => resolve(code));
  }).finally(() => clearInterval(poll));
  void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: o.title, cancellable: true }, async (progress, cancel) => {
    const sub = cancel.onCancellationRequested(() => o.cancel());
    const tick = setInterval(() => {
      const message = o.progress();
      if (message) progress.report({ message });
    }, 1000);
    await ended;
    clearInterval(tick);
    sub.dispose();
  });
  return { child, ended };
}

/**
 * Says how a job ended: in the output channel and a notification with `actions` and Show Output.
 * Resolves with the action chosen (Show Output is handled here).
 */
export async function announceEnd(output: vscode.LogOutputChannel, what: string, outcome: Outcome, actions: string[]): Promise<string | undefined> {
  output.info(`${what}: ${outcome.text}`);
  const show = outcome.level === 'error' ? vscode.window.showErrorMessage : outcome.level === 'warn' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
  const choice = await show(`SKD: ${what} ${outcome.text}.`, ...actions, 'Show Output');
  if (choice === 'Show Output') output.show();
  return choice === 'Show Output' ? undefined : choice;
}
