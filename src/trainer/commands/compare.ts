import { InputError } from '../errors';
import { parseArgs } from './args';
import { compareOutput } from './compareTable';

export { compareRows, formatCompare, type CompareRow } from './compareTable';

export async function compareCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, ['sort', 'group-by'], ['json', 'csv']);
  if (args.positional.length === 0) throw new InputError('command line', undefined, 'usage: skd compare <run dir>... [--sort <column>] [--group-by <column>] [--json | --csv]');
  if (args.switches.has('json') && args.switches.has('csv')) throw new InputError('command line', '--csv', 'give --json or --csv, not both');
  const format = args.switches.has('json') ? 'json' : args.switches.has('csv') ? 'csv' : 'text';
  process.stdout.write(compareOutput(args.positional, { sort: args.options.get('sort'), groupBy: args.options.get('group-by'), format }));
  return 0;
}
