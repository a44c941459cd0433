/**
 * "Export Student...": quick picks for the run, the format, the quantization and the target
 * folder, then `skd/exportStudent`, then the result with its checks (size, accuracy, largest
 * logit difference from the trained student) and the model card.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ExportStudentRequest, type ExportParams, type ExportResult } from '../../protocol/lsp';
import { Commands } from '../constants';
import type { TrainerClient } from '../languageClient/trainerClient';
import { runDirFromArg } from '../runs/commandArgs';
import { formatAccuracy, formatBytes, runFolderName } from '../runs/format';
import { pickRun } from '../runs/pickers';
import type { RunStore } from '../runs/runStore';
import { requireTrust } from '../trust';

type Format = ExportParams['format'];
type Quantize = ExportParams['quantize'];

/** Optional answers for scripted use (e.g. tests): any left out are asked for. */
export interface ExportOptions {
  format?: Format;
  quantize?: Quantize;
  outDir?: string;
}

function isFormat(v: unknown): v is Format {
  return v === 'tfjs' || v === 'onnx';
}

function isQuantize(v: unknown): v is Quantize {
  return v === 'none' || v === 'float16' || v === 'uint8';
}

function optionsFromArg(arg: unknown): ExportOptions {
  if (typeof arg !== 'object' || arg === null) return {};
  const o = arg as Record<string, unknown>;
  return {
    format: isFormat(o.format) ? o.format : undefined,
    quantize: isQuantize(o.quantize) ? o.quantize : undefined,
    outDir: typeof o.outDir === 'string' && path.isAbsolute(o.outDir) ? o.outDir : undefined,
  };
}

/** The summary line of an export result. */
export function exportResultText(r: ExportResult, format: Format, quantize: Quantize): string {
  return `Exported the student (${format}, ${quantize === 'none' ? 'float32' : quantize}): ${formatBytes(r.bytes)}, test accuracy ${formatAccuracy(r.accuracy)} on the ${r.testSet} (${r.testImages.toLocaleString('en')} images), largest logit difference ${r.maxAbsLogitDiff.toExponential(1)} — ${r.outDir}`;
}

export class ExportCommand {
  constructor(
    private readonly trainer: TrainerClient,
    private readonly store: RunStore,
  ) {}

  async run(arg?: unknown, optionsArg?: unknown): Promise<ExportResult | undefined> {
    if (!requireTrust('export students')) return undefined;
    const options = optionsFromArg(optionsArg);
    const dir = runDirFromArg(arg) ?? (await pickRun(this.store.all().filter((r) => r.status.state === 'done'), 'Finished run whose student to export'))?.dir;
    if (!dir) return undefined;

    const format =
      options.format ??
      (
        await vscode.window.showQuickPick(
          [
            { label: 'tfjs', description: 'TensorFlow.js model.json + weights (browser, Node, React Native)', value: 'tfjs' as const },
            { label: 'onnx', description: 'ONNX (onnxruntime on phones, boards, servers)', value: 'onnx' as const },
          ],
          { placeHolder: 'Export format' },
        )
      )?.value;
    if (!format) return undefined;

    const quantize =
      options.quantize ??
      (
        await vscode.window.showQuickPick(
          [
            { label: 'none', description: 'float32 weights', value: 'none' as const },
            { label: 'float16', description: 'half the size, practically the same answers', value: 'float16' as const },
            { label: 'uint8', description: 'about a quarter of the size', value: 'uint8' as const },
          ],
          { placeHolder: 'Weight quantization' },
        )
      )?.value;
    if (!quantize) return undefined;

    let outDir = options.outDir;
    if (!outDir && !options.format) {
      const where = await vscode.window.showQuickPick(
        [
          { label: 'Inside the run', description: path.join(runFolderName(dir), 'exports'), choose: false },
          { label: 'Choose a folder…', choose: true },
        ],
        { placeHolder: 'Where to write the exported files' },
      );
      if (!where) return undefined;
      if (where.choose) {
        const picked = await vscode.window.showOpenDialog({ canSelectFiles: false, canSelectFolders: true, canSelectMany: false, openLabel: 'Export Here' });
        if (!picked?.[0]) return undefined;
        outDir = picked[0].fsPath;
      }
    }

    let result: ExportResult;
    try {
      result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `SKD: exporting ${runFolderName(dir)} (${format}, ${quantize})…` },
        () => this.trainer.request(ExportStudentRequest.type, { dir, format, quantize, outDir }),
      );
    } catch (err) {
      void vscode.window.showErrorMessage(`SKD: export failed: ${err instanceof Error ? err.message : String(err)}`, 'Show Trainer Log').then((c) => {
        if (c) this.trainer.log.show();
      });
      return undefined;
    }

    void vscode.window.showInformationMessage(exportResultText(result, format, quantize), 'Open Model Card', 'Send to Device...').then(async (choice) => {
      if (choice === 'Open Model Card') await this.openCard(result);
      else if (choice === 'Send to Device...') await vscode.commands.executeCommand(Commands.sendToDevice, result.outDir);
    });
    return result;
  }

  /**
   * Shows the model card rendered (the Markdown preview). `card` is its path (absolute or relative
   * to the export) or its Markdown.
   */
  private async openCard(result: ExportResult): Promise<void> {
    const candidate = path.isAbsolute(result.card) ? result.card : path.join(result.outDir, result.card);
    const uri = !result.card.includes('\n') && fs.existsSync(candidate)
      ? vscode.Uri.file(candidate)
      : (await vscode.workspace.openTextDocument({ language: 'markdown', content: result.card })).uri;
    await vscode.commands.executeCommand('markdown.showPreview', uri);
  }
}
