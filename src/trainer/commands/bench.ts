import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_BENCH_SEEDS } from '../../protocol/bench';
import { CORES, formatMethodsTable, readMethodsReport, runMethodsBench, writeMethodsReport, type MethodsBenchReport } from '../bench/methods';
import { formatGemmTable, runGemmBench } from '../bench/gemmCeiling';
import { formatProfileReport, formatTable, runProfileBench, runThroughputBench } from '../bench/throughput';
import { InputError, isInputError } from '../errors';
import { isMethodName, methodNames } from '../methods';
import { intOption, parseArgs } from './args';
import { measureSkdOverKd } from '../bench/skdOverKd';
import { formatPooledTable, poolReports, sweepAsMethods } from '../bench/pooledMethods';
import { drawBenchDirs, formatDrawsTable, isDrawsDir, parseDataSeeds, runDrawsBench, writeDrawsReport, type DrawsReport } from '../bench/dataDraws';
import { isSweepDir } from '../sweep/plan';
import { takeSetOptions } from '../config/overrides';

/**
 * `skd bench`: training throughput per backend against PyTorch, and per network on one and two
 * cores (`--networks`, `--repeat`); `skd bench --profile`: where a step goes, SKD Lab against
 * PyTorch's profiler; `skd bench --gemm`: the matrix-multiply ceiling, wasm against PyTorch;
 * `skd bench methods`: the method table.
 */
export async function benchCommand(argv: string[]): Promise<number> {
  if (argv[0] === 'methods') return methodsBench(argv.slice(1));
  const args = parseArgs(
    argv,
    ['seconds', 'backends', 'batch', 'peer-device', 'python', 'networks', 'repeat', 'save'],
    ['json', 'no-ratio', 'no-data-parallel', 'no-per-core', 'profile', 'gemm'],
  );
  if (args.positional.length) throw new InputError('command line', undefined, `unexpected "${args.positional[0]}"`);
  const peerDevice = args.options.get('peer-device');
  if (peerDevice !== undefined && !/^(cpu|cuda(:\d+)?)$/.test(peerDevice)) throw new InputError('command line', '--peer-device', 'must be cpu or cuda');
  const secondsRaw = args.options.get('seconds');
  const seconds = secondsRaw === undefined ? undefined : Number(secondsRaw);
  if (seconds !== undefined && !(Number.isFinite(seconds) && seconds > 0 && seconds <= 600)) {
    throw new InputError('command line', '--seconds', `must be a number of seconds in (0, 600], got "${secondsRaw}"`);
  }
  const json = args.switches.has('json');
  const batch = args.options.has('batch') ? intOption(args, 'batch', 64, 1, 4096) : undefined;
  const repeat = args.options.has('repeat') ? intOption(args, 'repeat', 1, 1, 20) : undefined;
  const save = args.options.get('save');
  const emit = (report: unknown, table: string): void => {
    const text = JSON.stringify(report);
    if (save !== undefined) fs.writeFileSync(save, `${text}\n`);
    process.stdout.write(json ? `${text}\n` : table);
  };
  if (args.switches.has('gemm')) {
    // The GEMM ceiling has fixed shapes, one thread a side, PyTorch on the CPU.
    const other = ['backends', 'batch', 'peer-device', 'networks'].find((o) => args.options.has(o)) ?? ['profile', 'no-ratio', 'no-data-parallel', 'no-per-core'].find((o) => args.switches.has(o));
    if (other !== undefined) throw new InputError('command line', `--${other}`, 'cannot be combined with --gemm');
    const report = await runGemmBench({ seconds, repeat, python: args.options.get('python') });
    emit(report, formatGemmTable(report));
    return report.shapes.some((s) => s.wasm) ? 0 : 1;
  }
  if (args.switches.has('profile')) {
    const report = await runProfileBench({ networks: args.options.get('networks'), seconds, batch, repeat, python: args.options.get('python') });
    emit(report, formatProfileReport(report));
    return report.profiles.length ? 0 : 1;
  }
  const report = await runThroughputBench({
    json,
    backends: args.options.get('backends')?.split(','),
    seconds,
    batch,
    peerDevice,
    python: args.options.get('python'),
    dataParallel: !args.switches.has('no-data-parallel'),
    measureSkdOverKd: args.switches.has('no-ratio') ? undefined : measureSkdOverKd,
    networks: args.options.get('networks'),
    repeat,
    perCore: !args.switches.has('no-per-core'),
  });
  emit(report, formatTable(report));
  return 0;
}

const METHODS_USAGE =
  'skd bench methods [--experiment <file.skd.json>] [--set key=value]... [--seeds 5] [--methods a,b,c] [--data auto|full|builtin] [--limit-train N] [--teacher-epochs N] [--student-epochs N] [--parallel N] [--out <dir>] [--data-seeds a,b,c] [--json] | --resume <bench or draws dir> [--seeds N] [--methods a,b,c] [--parallel N] [--json] | --report <bench or draws dir> [--json] | --pool <bench, draws or sweep dir>... [--reference <method>] [--json]';

/** The command line as typed, quoted where the shell would need it. */
function commandLine(): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return ['skd', ...process.argv.slice(2)].map(quote).join(' ');
}

async function methodsBench(argv: string[]): Promise<number> {
  // `--set key=value`: the same overrides as `skd run` and `skd sweep`, on the bench's base
  // experiment (teacher and students alike), e.g. another learning rate for every method.
  const { rest, overrides } = takeSetOptions(argv);
  const args = parseArgs(
    rest,
    ['experiment', 'seeds', 'data', 'out', 'parallel', 'teacher-epochs', 'student-epochs', 'methods', 'limit', 'limit-train', 'resume', 'report', 'reference', 'data-seeds'],
    ['json', 'pool'],
  );
  if (args.options.has('reference') && !args.switches.has('pool')) throw new InputError('command line', '--reference', 'goes with --pool');
  const json = args.switches.has('json');
  const given = (names: string[]) => names.filter((n) => (n === 'set' ? overrides.length > 0 : args.options.has(n))).map((n) => `--${n}`);
  if (args.switches.has('pool')) {
    // `--pool`: the bench (or sweep) folders are the positional arguments.
    const extra = given(['experiment', 'set', 'seeds', 'data', 'out', 'parallel', 'teacher-epochs', 'student-epochs', 'methods', 'limit', 'limit-train', 'resume', 'report', 'data-seeds']);
    if (extra.length) throw new InputError('command line', extra[0], 'cannot be combined with --pool');
    if (args.positional.length === 0) throw new InputError('command line', '--pool', 'needs the bench or sweep folders to pool, e.g. --pool runs/bench-a runs/bench-b');
    // A draws folder (`--data-seeds`) pools as its draws' benches.
    const dirs = args.positional.flatMap((dir) => (isDrawsDir(path.resolve(dir)) ? drawBenchDirs(dir) : [dir]));
    const reports = dirs.map((dir) => (isSweepDir(path.resolve(dir)) ? sweepAsMethods(dir) : readMethodsReport(dir)));
    const pooled = poolReports(reports, { reference: args.options.get('reference') });
    process.stdout.write(json ? JSON.stringify(pooled, null, 2) + '\n' : formatPooledTable(pooled));
    return 0;
  }
  if (args.positional.length) throw new InputError('command line', undefined, `unexpected "${args.positional[0]}"; usage: ${METHODS_USAGE}`);
  const print = (report: MethodsBenchReport) => process.stdout.write(json ? JSON.stringify(report, null, 2) + '\n' : formatMethodsTable(report));
  const printDraws = (report: DrawsReport) => process.stdout.write(json ? JSON.stringify(report, null, 2) + '\n' : formatDrawsTable(report));
  const reportDir = args.options.get('report');
  if (reportDir !== undefined) {
    const extra = given(['experiment', 'set', 'seeds', 'data', 'out', 'parallel', 'teacher-epochs', 'student-epochs', 'methods', 'limit', 'limit-train', 'resume', 'data-seeds']);
    if (extra.length) throw new InputError('command line', extra[0], 'cannot be combined with --report');
    if (isDrawsDir(path.resolve(reportDir))) {
      printDraws(writeDrawsReport(reportDir));
      return 0;
    }
    let report: MethodsBenchReport;
    try {
      report = writeMethodsReport(reportDir);
    } catch (e) {
      if (isInputError(e)) throw e;
      process.stderr.write(`skd: could not write the report into ${reportDir} (${(e as Error).message})\n`);
      report = readMethodsReport(reportDir);
    }
    print(report);
    return 0;
  }
  const resume = args.options.get('resume');
  if (resume !== undefined) {
    const extra = given(['experiment', 'set', 'data', 'out', 'teacher-epochs', 'student-epochs', 'limit', 'limit-train', 'data-seeds']);
    if (extra.length) throw new InputError('command line', extra[0], 'cannot be combined with --resume (the bench folder fixes the experiment; --seeds, --methods and --parallel may change)');
  }
  const data = args.options.get('data') ?? 'auto';
  if (!['auto', 'full', 'builtin'].includes(data)) throw new InputError('command line', '--data', 'must be auto, full or builtin');
  if (args.options.has('limit') && args.options.has('limit-train')) throw new InputError('command line', '--limit', 'give --limit-train only (--limit is its old name)');
  const limitName = args.options.has('limit') ? 'limit' : 'limit-train';
  const methods = args.options.get('methods')?.split(',').map((m) => m.trim()).filter(Boolean);
  if (methods && methods.length === 0) throw new InputError('command line', '--methods', 'needs at least one method');
  const unknown = methods?.find((m) => !isMethodName(m));
  if (unknown !== undefined) throw new InputError('command line', '--methods', `unknown method "${unknown}" (known: ${methodNames().join(', ')})`);
  const dataSeedsRaw = args.options.get('data-seeds');
  const options = {
    experiment: args.options.get('experiment'),
    overrides,
    seeds: args.options.has('seeds') ? intOption(args, 'seeds', DEFAULT_BENCH_SEEDS, 1, 100) : undefined,
    data: data as 'auto' | 'full' | 'builtin',
    outDir: args.options.get('out') ?? 'runs',
    resume,
    parallel: intOption(args, 'parallel', Math.min(2, CORES), 1, 16),
    teacherEpochs: args.options.has('teacher-epochs') ? intOption(args, 'teacher-epochs', 1, 1, 1000) : undefined,
    studentEpochs: args.options.has('student-epochs') ? intOption(args, 'student-epochs', 1, 1, 1000) : undefined,
    methods: methods ? [...new Set(methods)] : undefined,
    limitTrain: args.options.has(limitName) ? intOption(args, limitName, 0, 100, 10000000) : undefined,
    command: commandLine(),
    log: (line: string) => process.stderr.write(`${line}\n`),
  };
  const dataSeeds = dataSeedsRaw === undefined ? undefined : parseDataSeeds(dataSeedsRaw);
  // SIGTERM (the extension's Stop) or Ctrl-C: no run starts after it, the running ones
  // checkpoint, and the bench ends with exit 3; `--resume` continues it. A second Ctrl-C ends it at once.
  const stop = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (stop.signal.aborted && sig === 'SIGINT') process.exit(130);
    if (!stop.signal.aborted) options.log(`skd: ${sig}: stopping the bench (its running runs checkpoint)`);
    stop.abort();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    const ended = (report: { missing: string[]; stopped?: true }) => (report.stopped ? 3 : report.missing.length ? 1 : 0);
    if (dataSeeds !== undefined || (resume !== undefined && isDrawsDir(path.resolve(resume)))) {
      const report = await runDrawsBench({ ...options, dataSeeds, signal: stop.signal });
      printDraws(report);
      return ended(report);
    }
    const report = await runMethodsBench({ ...options, signal: stop.signal });
    print(report);
    return ended(report);
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}
