/**
 * Hover in experiment files: the schema's description of the key under the cursor (or of the
 * key whose value is under it), with its type, default and allowed values.
 */
import { findNodeAtOffset, getNodePath } from 'jsonc-parser';
import { type Hover, MarkupKind, type Position } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { parseExperiment } from './experimentDocument';
import { type SchemaNavigator, defaultOf, describeOf, enumValuesOf, typesOf } from './schemaNavigator';

export function experimentHover(doc: TextDocument, position: Position, schema: SchemaNavigator): Hover | null {
  const { root } = parseExperiment(doc.getText());
  if (!root) return null;
  const node = findNodeAtOffset(root, doc.offsetAt(position), true);
  if (!node || node.type === 'object' || node.type === 'array') return null;
  const path = getNodePath(node);
  const name = path[path.length - 1];
  if (name === undefined) return null;
  const schemas = schema.at(path);
  const description = describeOf(schemas);
  if (!description) return null;
  const lines = [`**${path.join('.')}**`];
  const facts: string[] = [];
  const types = typesOf(schemas);
  if (types.length > 0) facts.push(types.join(' | '));
  const fallback = defaultOf(schemas);
  if (fallback !== undefined) facts.push(`default \`${JSON.stringify(fallback)}\``);
  if (facts.length > 0) lines[0] += ` (${facts.join(', ')})`;
  lines.push('', description);
  const values = enumValuesOf(schemas);
  if (values.length > 0) lines.push('', `Allowed: ${values.map((v) => `\`${JSON.stringify(v)}\``).join(', ')}`);
  return {
    contents: { kind: MarkupKind.Markdown, value: lines.join('\n') },
    range: { start: doc.positionAt(node.offset), end: doc.positionAt(node.offset + node.length) },
  };
}
