import { parseArgs as nodeParseArgs } from 'node:util';
import { InputError } from '../errors';

/** Parsed command-line arguments: positionals, `--flag value` options and bare `--switches`. */
export interface Args {
  positional: string[];
  options: Map<string, string>;
  switches: Set<string>;
}

/**
 * Parses argv with Node's `util.parseArgs` (strict): `valued` options take a value (`--out dir` or
 * `--out=dir`), `switches` take none. An unknown option, a missing value or a value given to a
 * switch is an InputError naming the option, in the words the commands have always used.
 */
export function parseArgs(argv: string[], valued: string[], switches: string[] = []): Args {
  const options: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const name of valued) options[name] = { type: 'string' };
  for (const name of switches) options[name] = { type: 'boolean' };
  let parsed: ReturnType<typeof nodeParseArgs>;
  try {
    parsed = nodeParseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw argumentError(e, [...valued, ...switches]);
  }
  const out: Args = { positional: [...parsed.positionals], options: new Map(), switches: new Set() };
  for (const [name, value] of Object.entries(parsed.values)) {
    if (typeof value === 'string') out.options.set(name, value);
    else if (value === true) out.switches.add(name);
  }
  return out;
}

/** util.parseArgs's errors (`ERR_PARSE_ARGS_*`) as the InputErrors users and tests know. */
function argumentError(e: unknown, known: string[]): Error {
  const code = (e as { code?: string }).code;
  const message = e instanceof Error ? e.message : String(e);
  const option = /'(-{1,2}[^'\s=]+)/.exec(message)?.[1];
  const knownText = `known: ${known.map((o) => `--${o}`).join(', ') || 'none'}`;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return new InputError('command line', option, `unknown option (${knownText})`);
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    if (/does not take an argument/.test(message)) return new InputError('command line', option, 'takes no value');
    if (/ambiguous/.test(message)) return new InputError('command line', option, `a value starting with "-" goes as ${option}=<value>`);
    return new InputError('command line', option, 'needs a value');
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return new InputError('command line', undefined, message);
  return e instanceof Error ? e : new Error(message);
}

export function intOption(args: Args, name: string, fallback: number, min: number, max: number): number {
  const raw = args.options.get(name);
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max) throw new InputError('command line', `--${name}`, `must be an integer in ${min}..${max}, got "${raw}"`);
  return v;
}
