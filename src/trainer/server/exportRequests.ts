/**
 * An export of a run's student, run in a child process (`cli.js export`) so the server stays
 * responsive while the model is converted and checked.
 */
import * as path from 'node:path';
import type { ExportParams, ExportResult } from '../../protocol/lsp';
import { RUN_FILES } from '../../protocol/runDir';
import { readStatus } from '../runDir/runFiles';
import { exitReason } from './exitReason';
import { exportResultFromCard } from './exportCard';
import { RunProcess } from './runProcess';
import { RunRequestError } from './runRequestError';

export interface ExportRunner {
  cliPath: string;
  nodePath: string;
  /** The export's stderr lines, for the trainer log of the run. */
  log(line: string, dir: string): void;
}

/** Exports a finished run's student; the result is read back from the model card the export writes beside its files. */
export async function exportStudent(params: ExportParams, runner: ExportRunner): Promise<ExportResult> {
  const dir = path.resolve(params.dir);
  if (readStatus(dir)?.state !== 'done') throw new RunRequestError(`the run has no finished student to export yet: ${dir}`);
  const outDir = path.resolve(params.outDir ?? path.join(dir, RUN_FILES.exports, `${params.format}-${params.quantize}`));
  const args = [runner.cliPath, 'export', dir, '--format', params.format, '--quantize', params.quantize, '--out', outDir];
  const child = new RunProcess({
    nodePath: runner.nodePath,
    args,
    graceMs: 5_000,
    onStderrLine: (line) => {
      if (line.trim()) runner.log(line, dir);
    },
  });
  const exit = await child.exited;
  if (exit.code !== 0) throw new RunRequestError(`export failed: ${exitReason(exit)}`);
  return exportResultFromCard(outDir);
}
