import * as path from 'node:path';
import { parseArgs } from './args';
import { InputError } from '../errors';
import { adbPush, copyExport, DEFAULT_ADB_PATH, serveStudent } from '../export/device';
import { qrColor, terminalQr } from '../export/qr';
import { exportFormatNames, exportRun } from '../export/index';

/**
 * `skd export <run dir> --format tfjs|onnx [--quantize none|float16|uint8] [--out <dir>]`
 * and `skd device <export dir> --copy <dir> | --adb [<remote path>] | --serve [--host H] [--port P]`.
 * Bad input throws InputError (the caller prints it and exits 2); a failed verification
 * throws too (exit 1).
 */

export async function exportCommand(argv: string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const args = parseArgs(argv, ['format', 'quantize', 'out', 'max-images']);
  const [runDir, ...extra] = args.positional;
  if (!runDir || extra.length) throw new InputError('command line', undefined, 'usage: skd export <run dir> --format tfjs|onnx [--quantize none|float16|uint8] [--out <dir>]');
  const format = args.options.get('format');
  if (!format) throw new InputError('command line', '--format', `required (${exportFormatNames().join(' or ')})`);
  const maxImages = args.options.has('max-images') ? Number(args.options.get('max-images')) : undefined;
  if (maxImages !== undefined && !(Number.isInteger(maxImages) && maxImages > 0)) throw new InputError('command line', '--max-images', 'must be a whole number > 0');
  const r = await exportRun(runDir, { format, quantize: args.options.get('quantize') ?? 'none', outDir: args.options.get('out'), maxImages });
  out.write(
    [
      `exported ${r.outDir}`,
      `  files     ${r.files.join(', ')} (${r.bytes.toLocaleString('en')} bytes)`,
      `  accuracy  ${(r.accuracy * 100).toFixed(2)}% on the ${r.testSet} (${r.testImages.toLocaleString('en')} images); largest logit difference ${r.maxAbsLogitDiff.toExponential(2)}`,
      `  card      ${r.card}`,
      '',
    ].join('\n'),
  );
  return 0;
}

export async function deviceCommand(argv: string[], out: NodeJS.WritableStream = process.stdout, stop?: Promise<unknown>): Promise<number> {
  const args = parseArgs(argv, ['copy', 'host', 'port'], ['adb', 'serve']);
  const [exportDir, remote, ...extra] = args.positional;
  const modes = [args.options.has('copy'), args.switches.has('adb'), args.switches.has('serve')].filter(Boolean).length;
  if (!exportDir || modes !== 1 || extra.length || (remote && !args.switches.has('adb'))) {
    throw new InputError('command line', undefined, 'usage: skd device <export dir> --copy <dir> | --adb [<remote path>] | --serve [--host <h>] [--port <p>]');
  }
  const copyTo = args.options.get('copy');
  if (copyTo) {
    out.write(`copied to ${copyExport(exportDir, path.resolve(copyTo))}\n`);
    return 0;
  }
  if (args.switches.has('adb')) {
    const r = await adbPush(exportDir, remote ?? DEFAULT_ADB_PATH);
    out.write(`pushed to ${r.remote} on the device\n${r.output ? r.output + '\n' : ''}`);
    return 0;
  }
  const port = args.options.has('port') ? Number(args.options.get('port')) : 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InputError('command line', '--port', 'must be a port number 0..65535');
  const served = await serveStudent(exportDir, { host: args.options.get('host'), port });
  out.write(`serving the student at ${served.url} (Ctrl+C to stop)\n`);
  const qr = await terminalQr(served.url, qrColor(out));
  if (qr) out.write(`scan with a phone on the same network:\n${qr}${qr.endsWith('\n') ? '' : '\n'}`);
  await (stop ?? interrupted());
  await served.close();
  return 0;
}

function interrupted(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}
