/**
 * Diagnostics of an experiment file: JSON syntax errors first; once the JSON parses, the
 * validator's schema and semantic issues, each placed on the key or value it is about.
 * Where the editor validates the syntax and the JSON Schema itself (VS Code's JSON support,
 * through the extension's `jsonValidation`), only what a schema cannot say is reported here,
 * so each problem appears once.
 */
import { type Node, getNodeValue, printParseErrorCode } from 'jsonc-parser';
import { type Diagnostic, DiagnosticSeverity } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { documentFile, parseExperiment } from './experimentDocument';
import { rangeOfPath } from './jsonRanges';

export interface ExperimentIssue {
  path: (string | number)[];
  message: string;
  severity: 'error' | 'warning';
  /** `schema`: the JSON Schema says it (see src/trainer/config/validate.ts). */
  source?: 'schema';
}

/** The signature of `validateExperimentObject` in src/trainer/config/validate.ts. */
export type ExperimentValidator = (value: unknown, file: string, opts?: { checkFiles?: boolean }) => ExperimentIssue[];

export const DIAGNOSTIC_SOURCE = 'skd';

export interface DiagnosticsOptions {
  /** Report JSON syntax and JSON Schema problems too (false where the editor has the schema). */
  schemaFeatures?: boolean;
}

export function experimentDiagnostics(doc: TextDocument, validate: ExperimentValidator, opts: DiagnosticsOptions = {}): Diagnostic[] {
  const schemaFeatures = opts.schemaFeatures ?? true;
  const text = doc.getText();
  const { root, errors } = parseExperiment(text);
  const out: Diagnostic[] = (schemaFeatures ? errors : []).map((e) => ({
    range: { start: doc.positionAt(e.offset), end: doc.positionAt(e.offset + Math.max(e.length, 1)) },
    message: `JSON syntax: ${syntaxMessage(printParseErrorCode(e.error))}`,
    severity: DiagnosticSeverity.Error,
    source: DIAGNOSTIC_SOURCE,
  }));
  // A file that does not parse yet gives half a value; its schema errors would only be noise.
  if (errors.length > 0 || !root) return out;
  const file = documentFile(doc.uri);
  let issues: ExperimentIssue[];
  try {
    issues = validate(getNodeValue(root), file ?? doc.uri, { checkFiles: file !== undefined });
  } catch (e) {
    // The validator must never take the server down with it; say what happened instead.
    issues = [{ path: [], message: `the experiment could not be checked: ${(e as Error).message ?? String(e)}`, severity: 'warning' }];
  }
  for (const issue of issues) if (schemaFeatures || issue.source !== 'schema') out.push(issueDiagnostic(doc, root, issue));
  return out;
}

function issueDiagnostic(doc: TextDocument, root: Node, issue: ExperimentIssue): Diagnostic {
  const onKey = /^unknown key/.test(issue.message);
  const { start, end } = rangeOfPath(root, issue.path, onKey);
  const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return {
    range: { start: doc.positionAt(start), end: doc.positionAt(end) },
    message: `${where}${issue.message}`,
    severity: issue.severity === 'warning' ? DiagnosticSeverity.Warning : DiagnosticSeverity.Error,
    source: DIAGNOSTIC_SOURCE,
  };
}

/** jsonc-parser's codes (`PropertyNameExpected`) as words (`property name expected`). */
function syntaxMessage(code: string): string {
  return code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}
