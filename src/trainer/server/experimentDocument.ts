/**
 * Which open documents are experiment files, and their parsed tree. Parsing is tolerant
 * (jsonc-parser recovers from errors), so a half-typed file still gets completion and hover.
 */
import { type Node, type ParseError, parseTree } from 'jsonc-parser';
import { fileURLToPath } from 'node:url';
import type { TextDocument } from 'vscode-languageserver-textdocument';

const EXPERIMENT_LANGUAGES = new Set(['json', 'jsonc']);

export function isExperimentDocument(doc: Pick<TextDocument, 'uri' | 'languageId'>): boolean {
  const uri = doc.uri.toLowerCase();
  // Sweep files (`*.sweep.skd.json`) have their own schema (schema/sweep.schema.json).
  return EXPERIMENT_LANGUAGES.has(doc.languageId) && uri.endsWith('.skd.json') && !uri.endsWith('.sweep.skd.json');
}

export interface ParsedExperiment {
  root: Node | undefined;
  errors: ParseError[];
}

export function parseExperiment(text: string): ParsedExperiment {
  const errors: ParseError[] = [];
  // VS Code opens *.skd.json as JSON with comments, and the CLI strips comments and trailing
  // commas too, so neither is an error here.
  const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  return { root, errors };
}

/** The file system path of a document, when it has one (untitled documents have none). */
export function documentFile(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return fileURLToPath(uri);
  } catch {
    return undefined;
  }
}
