/** The answer to an export request, read back from the model card the export wrote. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ExportResult } from '../../protocol/lsp';
import { EXPORT_FILES } from '../../protocol/runDir';
import { RunRequestError } from './runRequestError';

// The card's names come from the run-directory contract, not from the export code, so the
// server bundle does not pull in the export code and its runtimes.
const EXPORT_CARD_JSON = EXPORT_FILES.cardJson;
const EXPORT_CARD_MD = EXPORT_FILES.cardMd;

/** The ExportResult of a finished export, from its `model-card.json`. */
export function exportResultFromCard(outDir: string): ExportResult {
  let card: { files?: { name: string }[]; bytes?: number; accuracy?: { exported?: number; testSet?: string; testImages?: number }; verification?: { maxAbsLogitDiff?: number } };
  try {
    card = JSON.parse(fs.readFileSync(path.join(outDir, EXPORT_CARD_JSON), 'utf8')) as typeof card;
  } catch (e) {
    throw new RunRequestError(`export finished but its model card is unreadable: ${(e as Error).message}`);
  }
  const files = (card.files ?? []).map((f) => f.name);
  return {
    outDir,
    files: [...files, EXPORT_CARD_MD, EXPORT_CARD_JSON],
    bytes: card.bytes ?? 0,
    maxAbsLogitDiff: card.verification?.maxAbsLogitDiff ?? Number.NaN,
    accuracy: card.accuracy?.exported ?? Number.NaN,
    testSet: card.accuracy?.testSet ?? 'test split',
    testImages: card.accuracy?.testImages ?? 0,
    card: path.join(outDir, EXPORT_CARD_MD),
  };
}
