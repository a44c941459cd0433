/**
 * `skd`: the command line of SKD Lab's trainer. The same engine runs behind the extension's
 * language server, so an experiment runs the same headless, in CI or on a remote box.
 */
import { version as VERSION } from '../../package.json';
import { commandHelp, commandNames, wantsHelp } from './commands/help';
import { isInputError } from './errors';
import { RUN_FORMATS } from './pluginFormats';
import { loadPluginsFromEnv } from './plugins';
import { compareCommand } from './commands/compare';
import { benchCommand } from './commands/bench';
import { resumeCommand, runCommand } from './commands/run';
import { exportCommands } from './commands/export';
import { sweepCommand, SWEEP_USAGE } from './commands/sweep';

const USAGE = `usage:
  skd run <experiment.skd.json> [--out <dir>] [--run-dir <dir>] [--set key=value]... [--backend <name>] [--quiet]
  skd resume <run dir> [--backend <name>]
  skd export <run dir> --format tfjs|onnx [--quantize none|float16|uint8] [--out <dir>]
  skd device <export dir> --copy <dir> | --adb [<remote path>] | --serve [--host <h>] [--port <p>]
  skd compare <run dir>... [--sort <column>] [--group-by <column>] [--json | --csv]
  skd bench [--json] [--backends a,b] [--seconds N] [--networks a,b] [--repeat N] [--no-per-core] [--save <file>]
  skd bench --profile [--networks a,b] [--seconds N] [--repeat N] [--json] [--save <file>]
  skd bench --gemm [--seconds N] [--repeat N] [--json] [--save <file>]
  skd bench methods [--experiment <file.skd.json>] [--set key=value]... [--seeds 5] [--methods a,b,c]
                    [--data auto|full|builtin] [--limit-train N] [--teacher-epochs N] [--student-epochs N]
                    [--parallel N] [--out <dir>] [--data-seeds a,b,c] [--json]
  skd bench methods --resume <bench or draws dir> [--seeds N] [--methods a,b,c] [--parallel N] [--json]
  skd bench methods --pool <bench, draws or sweep dir>... [--reference <method>] [--json]
  skd bench methods --report <bench or draws dir> [--json]
${SWEEP_USAGE}`;

/** Exit codes: 0 done, 1 failed, 2 bad input or usage, 3 stopped (resumable). */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--version' || command === '-V' || command === 'version') {
    process.stdout.write(`skd ${VERSION} (SKD Lab)\n`);
    return 0;
  }
  // `skd <command> --help` and `skd help <command>`: that command's usage, without running it.
  const helpFor = command === 'help' || command === '--help' || command === '-h' ? rest[0] : command !== undefined && wantsHelp(rest) ? command : undefined;
  if (helpFor !== undefined) {
    const text = commandHelp(helpFor, USAGE);
    if (!text) {
      process.stderr.write(`skd: unknown command "${helpFor}" (commands: ${commandNames(USAGE).join(', ')})\n`);
      return 2;
    }
    process.stdout.write(`${text}\n`);
    return 0;
  }
  loadPluginsFromEnv(process.env, RUN_FORMATS);
  switch (command) {
    case 'run':
      return runCommand(rest);
    case 'resume':
      return resumeCommand(rest);
    case 'compare':
      return compareCommand(rest);
    case 'bench':
      return benchCommand(rest);
    case 'sweep':
      return sweepCommand(rest);
    case 'export':
    case 'device':
      return exportCommands(command, rest);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(`${USAGE}\n\n"skd <command> --help" for one command; "skd --version" for the version.\n`);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`skd: unknown command "${command}"\n${USAGE}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (isInputError(e)) {
      process.stderr.write(`skd: ${e.message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`skd: ${e instanceof Error ? (process.env.SKD_DEBUG ? e.stack : e.message) : String(e)}\n`);
      process.exitCode = 1;
    }
  },
);
