import { formatMethodsTable, runMethodsBench, CORES } from '../bench/methods';
import { formatTable, runThroughputBench } from '../bench/throughput';
import { InputError } from '../errors';
import { intOption, parseArgs } from './args';
import { measureSkdOverKd } from '../bench/skdOverKd';

/** `skd bench`: training throughput per backend against PyTorch; `skd bench methods`: the method table. */
export async function benchCommand(argv: string[]): Promise<number> {
  if (argv[0] === 'methods') return methodsBench(argv.slice(1));
  const args = parseArgs(argv, ['seconds', 'backends', 'batch', 'peer-device', 'python'], ['json', 'no-ratio', 'no-data-parallel']);
  const peerDevice = args.options.get('peer-device');
  if (peerDevice !== undefined && !/^(cpu|cuda(:\d+)?)$/.test(peerDevice)) throw new InputError('command line', '--peer-device', 'must be cpu or cuda');
  const json = args.switches.has('json');
  const report = await runThroughputBench({
    json,
    backends: args.options.get('backends')?.split(','),
    seconds: args.options.has('seconds') ? Number(args.options.get('seconds')) : undefined,
    batch: args.options.has('batch') ? intOption(args, 'batch', 64, 1, 4096) : undefined,
    peerDevice,
    python: args.options.get('python'),
    dataParallel: !args.switches.has('no-data-parallel'),
    measureSkdOverKd: args.switches.has('no-ratio') ? undefined : measureSkdOverKd,
  });
  process.stdout.write(json ? JSON.stringify(report) + '\n' : formatTable(report));
  return 0;
}

async function methodsBench(argv: string[]): Promise<number> {
  const args = parseArgs(argv, ['seeds', 'data', 'out', 'parallel', 'teacher-epochs', 'student-epochs', 'methods', 'limit'], ['json']);
  const data = args.options.get('data') ?? 'auto';
  if (!['auto', 'full', 'builtin'].includes(data)) throw new InputError('command line', '--data', 'must be auto, full or builtin');
  const report = await runMethodsBench({
    seeds: intOption(args, 'seeds', 3, 1, 20),
    data: data as 'auto' | 'full' | 'builtin',
    outDir: args.options.get('out') ?? 'runs',
    parallel: intOption(args, 'parallel', Math.min(2, CORES), 1, 16),
    teacherEpochs: args.options.has('teacher-epochs') ? intOption(args, 'teacher-epochs', 1, 1, 1000) : undefined,
    studentEpochs: args.options.has('student-epochs') ? intOption(args, 'student-epochs', 1, 1, 1000) : undefined,
    methods: args.options.get('methods')?.split(','),
    limitTrain: args.options.has('limit') ? intOption(args, 'limit', 0, 100, 10000000) : undefined,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(args.switches.has('json') ? JSON.stringify(report, null, 2) + '\n' : formatMethodsTable(report));
  return 0;
}
