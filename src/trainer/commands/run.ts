import { gainLine } from '../../protocol/gain';
import type { Network, Summary } from '../../protocol/runDir';
import { resumeRun, runExperiment, type RunOptions, type RunOutcome } from '../engine/run';
import type { StopToken } from '../engine/trainLoop';
import { InputError } from '../errors';
import type { Experiment, ModelSpec } from '../../protocol/experiment';
import { takeSetOptions } from '../config/overrides';
import { parseArgs } from './args';
import { ProgressPrinter } from './progressBar';
import * as path from 'node:path';

/**
 * SIGTERM and SIGINT ask the run to stop: it checkpoints after the current batch and ends as
 * `stopped`. A second SIGINT ends the process at once (the last checkpoint still holds).
 */
function stopOnSignals(): StopToken {
  const stop: StopToken = { requested: false };
  const onSignal = (sig: NodeJS.Signals) => {
    if (stop.requested && sig === 'SIGINT') process.exit(130);
    stop.requested = true;
    process.stderr.write(`skd: ${sig}: stopping after the current batch (checkpointing)\n`);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return stop;
}

/** Progress on stderr: lines, and on a terminal a one-line bar with ETA (progressBar.ts). */
const printer = new ProgressPrinter(process.stderr);
process.on('exit', () => printer.finish());

function options(quiet: boolean, backend: string | undefined): RunOptions {
  return {
    backend,
    stop: stopOnSignals(),
    log: quiet ? undefined : (line) => printer.line(line),
    onEvent: quiet ? undefined : (e, exp) => printer.event(e, epochsOf(exp)),
  };
}

function epochsOf(exp: Experiment): Record<Network, number> {
  return { teacher: (exp.teacher as ModelSpec).epochs ?? 0, alone: exp.student.epochs, student: exp.student.epochs };
}

export async function runCommand(argv: string[]): Promise<number> {
  const { rest, overrides } = takeSetOptions(argv);
  const args = parseArgs(rest, ['out', 'run-dir', 'backend'], ['quiet']);
  const [file] = args.positional;
  if (!file || args.positional.length > 1) throw new InputError('command line', undefined, 'usage: skd run <experiment.skd.json> [--out <dir>] [--run-dir <dir>]');
  const outcome = await runExperiment(path.resolve(file), {
    ...options(args.switches.has('quiet'), args.options.get('backend')),
    outDir: args.options.get('out'),
    runDir: args.options.get('run-dir'),
    overrides,
  });
  return report(outcome);
}

export async function resumeCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, ['backend'], ['quiet']);
  const [dir] = args.positional;
  if (!dir || args.positional.length > 1) throw new InputError('command line', undefined, 'usage: skd resume <run dir>');
  const outcome = await resumeRun(dir, options(args.switches.has('quiet'), args.options.get('backend')));
  return report(outcome);
}

/** The summary a user reads at the end; the run directory is the last line of stdout. */
function report(outcome: RunOutcome): number {
  printer.finish();
  if (outcome.state === 'stopped') {
    process.stdout.write(`stopped: resume with "skd resume ${outcome.dir}"\n${outcome.dir}\n`);
    return 3;
  }
  const s = outcome.summary as Summary;
  const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
  process.stdout.write(
    [
      '',
      `${s.name} (${s.method}, seed ${s.seed}, ${s.data}, ${s.backend})`,
      `  teacher ${s.teacher.model.padEnd(10)} test accuracy ${pct(s.teacher.testAcc).padStart(7)}  ${s.teacher.params.toLocaleString('en')} parameters`,
      `  student ${s.student.model.padEnd(10)} test accuracy ${pct(s.student.testAcc).padStart(7)}  ${s.student.params.toLocaleString('en')} parameters`,
      ...gainLines(s),
      `  time ${s.seconds.toFixed(1)} s`,
      `  run directory:`,
      outcome.dir,
      '',
    ].join('\n'),
  );
  return 0;
}

/** `student alone 81.2%, with skd 83.0% (+1.8 points)`, and where the student alone came from when reused. */
export function gainLines(s: Summary): string[] {
  const line = s.studentAlone ? gainLine(s.studentAlone.testAcc, s.student.testAcc, s.method) : undefined;
  if (!line) return [];
  return [`  ${line}`, ...(s.studentAlone?.fromRun ? [`  (student alone reused from ${s.studentAlone.fromRun})`] : [])];
}
