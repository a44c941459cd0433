/** `skd <command> --help` and `skd help <command>`: a command's usage lines and what it does. */
import { builtinMethodNames } from '../methods';

const ABOUT: Record<string, string> = {
  run: 'Trains an experiment: teacher, student alone, meta-networks and the distilled student, into a new run directory.',
  resume: 'Continues a stopped or failed run from its last checkpoint.',
  export: 'Exports a finished run\'s student (tf.js or ONNX, optionally quantized), checked against the trained model, with a model card.',
  device: 'Sends an exported student to a device: copies it to a folder, pushes it with adb, or serves it to a phone\'s browser.',
  compare: 'Compares runs, finished or not: hyperparameters, final accuracies, gain, time and provenance; --sort <column> (accuracies best first), --group-by <column> (mean ± std per group), --json or --csv.',
  bench: `Measures training speed per backend (--profile: where a step goes; --gemm: the matrix-multiply ceiling, wasm against PyTorch, one thread each), or compares distillation methods over seeds (bench methods; --methods takes any of ${builtinMethodNames().join(', ')}).`,
  sweep: 'Runs a sweep of experiments (a grid and/or list of overrides, seeds) locally or on Slurm; status, cancel, report.',
};

/** The usage lines of `command` in the full usage text (its lines and their continuations). */
export function usageOf(command: string, usage: string): string[] {
  const out: string[] = [];
  let inside = false;
  for (const line of usage.split('\n')) {
    const m = /^\s*skd (\S+)/.exec(line);
    if (m) inside = m[1] === command;
    else if (!/^\s{4,}/.test(line)) inside = false;
    if (inside) out.push(line);
  }
  return out;
}

export function commandNames(usage: string): string[] {
  return [...new Set([...usage.matchAll(/^\s*skd (\S+)/gm)].map((m) => m[1]).filter((c) => /^[a-z]/.test(c)))];
}

/** The help text of one command, or undefined for an unknown one. */
export function commandHelp(command: string, usage: string): string | undefined {
  const lines = usageOf(command, usage);
  if (lines.length === 0) return undefined;
  const about = ABOUT[command];
  return [`usage:`, ...lines, ...(about ? ['', about] : []), '', 'Exit codes: 0 done, 1 failed, 2 bad input or usage, 3 stopped (resumable).'].join('\n');
}

/** Whether argv asks for help (`--help` or `-h` before a `--` terminator). */
export function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}
