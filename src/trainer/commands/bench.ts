import { formatTable, runThroughputBench } from '../bench/throughput';
import { parseArgs } from './args';

/** `skd bench`: training throughput per backend against PyTorch. */
export async function benchCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, ['seconds'], ['json']);
  const json = args.switches.has('json');
  const report = await runThroughputBench({ json, seconds: args.options.has('seconds') ? Number(args.options.get('seconds')) : undefined });
  process.stdout.write(json ? JSON.stringify(report) + '\n' : formatTable(report));
  return 0;
}
