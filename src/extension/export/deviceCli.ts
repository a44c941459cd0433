/**
 * How the extension asks the trainer's command line to send an export to a device
 * (`node dist/cli.js device <export dir> --copy <dir> | --adb [<remote path>] | --serve [--host <h>] [--port <p>]`,
 * built from src/trainer/export/device.ts; the serve mode prints its URL). Pure, unit-tested.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RUN_FILES } from '../../protocol/runDir';
import { dirEntries } from '../../trainer/util/dirEntries';

export type DeviceTarget =
  | { kind: 'copy'; folder: string }
  | { kind: 'adb'; remoteDir?: string }
  | { kind: 'serve'; host: string; port?: number };

export function deviceArgs(cliPath: string, exportDir: string, target: DeviceTarget): string[] {
  const args = [cliPath, 'device', exportDir];
  switch (target.kind) {
    case 'copy':
      return [...args, '--copy', target.folder];
    case 'adb':
      return [...args, '--adb', ...(target.remoteDir ? [target.remoteDir] : [])];
    case 'serve':
      return [...args, '--serve', '--host', target.host, ...(target.port !== undefined ? ['--port', String(target.port)] : [])];
  }
}

/** The first http(s) URL in a line of the command's output (the serve mode prints it). */
export function findUrl(line: string): string | undefined {
  return /https?:\/\/[^\s"'<>]+/.exec(line)?.[0];
}


/** Export folders of runs: `<run>/exports/<name>` that hold a model.json or a .onnx file. */
export function listExportFolders(runDirs: readonly string[]): string[] {
  const out: string[] = [];
  for (const run of runDirs) {
    const root = path.join(run, RUN_FILES.exports);
    for (const e of dirEntries(root)) {
      if (!e.isDirectory()) continue;
      const dir = path.join(root, e.name);
      try {
        if (fs.readdirSync(dir).some((f) => f === 'model.json' || f.endsWith('.onnx'))) out.push(dir);
      } catch {
        // Unreadable: skip.
      }
    }
  }
  return out;
}

export type ExportFormat = 'tfjs' | 'onnx';

/** The format of an export folder (its model.json or .onnx file), or undefined for another folder. */
export function exportFormatOf(dir: string): ExportFormat | undefined {
  let files: string[];
  try {
    files = fs.readdirSync(dir);
  } catch {
    return undefined;
  }
  if (files.includes('model.json')) return 'tfjs';
  if (files.some((f) => f.endsWith('.onnx'))) return 'onnx';
  return undefined;
}

/** The newest export folder of a run (by its files' time), or undefined when it has none. */
export function newestExport(runDir: string): string | undefined {
  const time = (dir: string): number => {
    try {
      return Math.max(0, ...fs.readdirSync(dir).map((f) => fs.statSync(path.join(dir, f)).mtimeMs));
    } catch {
      return 0;
    }
  };
  return listExportFolders([runDir])
    .map((dir) => ({ dir, t: time(dir) }))
    .sort((a, b) => b.t - a.t)[0]?.dir;
}

/**
 * What "Send to Device" was given: an export folder (sent as it is), or a run directory (its
 * newest export is sent; `exportDir` is undefined when the run has none yet).
 */
export function sendSource(dir: string): { kind: 'export'; exportDir: string } | { kind: 'run'; runDir: string; exportDir?: string } {
  if (exportFormatOf(dir)) return { kind: 'export', exportDir: dir };
  return { kind: 'run', runDir: dir, exportDir: newestExport(dir) };
}

/** The targets offered for an export: the phone page runs tf.js models only, so no serving for ONNX. */
export function targetsFor(format: ExportFormat | undefined): DeviceTarget['kind'][] {
  return format === 'onnx' ? ['copy', 'adb'] : ['copy', 'adb', 'serve'];
}
