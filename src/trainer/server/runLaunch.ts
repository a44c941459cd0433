/** The trainer child process a queued run starts as: its command line, environment and output files. */
import * as path from 'node:path';
import { PLUGINS_ENV, type TrainerSettings } from '../../protocol/lsp';
import { aloneBesideEnv } from '../engine/aloneBesideSetting';
import type { ManagedRun } from './managedRun';
import { RUN_OUTPUT_FILES, RunProcess } from './runProcess';

export interface LaunchOptions {
  /** The trainer's command line bundle (`dist/cli.js`). */
  cliPath: string;
  settings: TrainerSettings;
  graceMs: number;
  log(level: 'info' | 'error', line: string, dir: string): void;
}

/** Starts `cli.js run` for a new run, `cli.js resume` for a resumed one. */
export function launchTrainer(run: ManagedRun, options: LaunchOptions): RunProcess {
  const { settings } = options;
  const args =
    run.mode === 'run'
      ? [options.cliPath, 'run', run.experimentFile as string, '--run-dir', run.dir]
      : [options.cliPath, 'resume', run.dir];
  if (run.mode === 'run' && run.backend) args.push('--backend', run.backend);
  return new RunProcess({
    nodePath: settings.nodePath,
    args,
    cwd: run.experimentFile ? path.dirname(run.experimentFile) : run.dir,
    // Plugin modules registered through the extension's API (never in untrusted workspaces:
    // the server refuses to start runs there at all).
    // With several runs at once, each keeps to one core: none trains its student alone beside its teacher.
    env: {
      ...(settings.pluginModules.length ? { [PLUGINS_ENV]: settings.pluginModules.join(path.delimiter) } : {}),
      ...aloneBesideEnv(settings.concurrentRuns),
    },
    graceMs: options.graceMs,
    onStderrLine: (line) => {
      if (line.trim()) options.log(/error|fail/i.test(line) ? 'error' : 'info', line, run.dir);
    },
    // Detached, writing into its run directory: the run outlives this server and its window.
    outputFiles: { stdout: path.join(run.dir, RUN_OUTPUT_FILES.stdout), stderr: path.join(run.dir, RUN_OUTPUT_FILES.stderr) },
  });
}
