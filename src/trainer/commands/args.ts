import { InputError } from '../errors';

/** Parsed command-line arguments: positionals, `--flag value` options and bare `--switches`. */
export interface Args {
  positional: string[];
  options: Map<string, string>;
  switches: Set<string>;
}

/**
 * Parses argv against the options that take a value; anything else starting with `--` is a
 * switch. Unknown options are an error naming the option.
 */
export function parseArgs(argv: string[], valued: string[], switches: string[] = []): Args {
  const out: Args = { positional: [], options: new Map(), switches: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      out.positional.push(a);
      continue;
    }
    const [name, inline] = a.slice(2).split('=', 2);
    if (valued.includes(name)) {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new InputError('command line', `--${name}`, 'needs a value');
      out.options.set(name, v);
    } else if (switches.includes(name)) {
      out.switches.add(name);
    } else {
      throw new InputError('command line', `--${name}`, `unknown option (known: ${[...valued, ...switches].map((o) => `--${o}`).join(', ')})`);
    }
  }
  return out;
}

export function intOption(args: Args, name: string, fallback: number, min: number, max: number): number {
  const raw = args.options.get(name);
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max) throw new InputError('command line', `--${name}`, `must be an integer in ${min}..${max}, got "${raw}"`);
  return v;
}
