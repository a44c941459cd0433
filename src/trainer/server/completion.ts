/**
 * Completion in experiment files: the keys an object may still take (with their schema
 * descriptions), the allowed values of enum-like keys (methods, models, formats, backends),
 * and whole `teacher` / `student` / `method` blocks as snippets. Method and model names come
 * from the registries, read at each request, so a plugin the server loaded is offered too.
 */
import { type Node, findNodeAtLocation, getLocation } from 'jsonc-parser';
import {
  type CompletionItem,
  CompletionItemKind,
  InsertTextFormat,
  MarkupKind,
  type Position,
  type Range,
} from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { BACKENDS, BUILTIN_DATASETS, DATA_FORMATS } from '../../protocol/experiment';
import { methodNames, methodRegistry } from '../methods';
import { modelFamilyNames, modelRegistry } from '../models';
import { parseExperiment } from './experimentDocument';
import {
  type JsonPath,
  type SchemaNavigator,
  type SchemaNode,
  defaultOf,
  describeOf,
  enumValuesOf,
  typesOf,
} from './schemaNavigator';

/**
 * Names that plugins may extend: the schema accepts any string there (`anyOf` with a
 * pattern), so the names come from the registries as well as from the schema.
 */
function knownValues(path: string): readonly string[] {
  if (path === 'method.name') return methodNames();
  if (path === 'teacher.model' || path === 'student.model') return modelFamilyNames();
  if (path === 'data.format') return DATA_FORMATS;
  if (path === 'data.name') return BUILTIN_DATASETS;
  if (path === 'backend') return BACKENDS;
  return [];
}

/** The names plugins added at a path: all an editor that has the schema cannot know. */
function pluginValues(path: string): string[] {
  if (path === 'method.name') return methodRegistry.pluginNames();
  if (path === 'teacher.model' || path === 'student.model') return modelRegistry.pluginNames();
  return [];
}

const choice = (values: readonly string[]) => `\${1|${values.join(',')}|}`;

/** Whole blocks for the keys users write most; `$0` lands after the block. */
function blockSnippet(key: string): { label: string; body: string } | undefined {
  if (key === 'teacher') {
    return {
      label: 'teacher: a network to train',
      body: `"teacher": {\n\t"model": "${choice(modelFamilyNames())}",\n\t"depth": \${2:14},\n\t"width": \${3:16},\n\t"epochs": \${4:8}\n}$0`,
    };
  }
  if (key === 'student') {
    const models = modelFamilyNames();
    return {
      label: 'student: the network to distil',
      body: `"student": {\n\t"model": "${choice(['cnn', ...models.filter((m) => m !== 'cnn')])}",\n\t"width": \${2:8},\n\t"epochs": \${3:8}\n}$0`,
    };
  }
  if (key === 'method') {
    const methods = methodNames();
    return {
      label: 'method: distillation method and settings',
      body: `"method": {\n\t"name": "${choice(['skd', ...methods.filter((m) => m !== 'skd')])}",\n\t"stages": \${2:4},\n\t"temperature": \${3:4}\n}$0`,
    };
  }
  return undefined;
}

export interface CompletionOptions {
  /**
   * Offer only the method and model names that plugins added (where the editor completes from
   * the JSON Schema itself, which knows the built-ins only: VS Code with `schemaFeatures` off).
   */
  pluginNamesOnly?: boolean;
}

export function experimentCompletions(doc: TextDocument, position: Position, schema: SchemaNavigator, opts: CompletionOptions = {}): CompletionItem[] {
  const text = doc.getText();
  const offset = doc.offsetAt(position);
  const location = getLocation(text, offset);
  if (opts.pluginNamesOnly) {
    const names = location.isAtPropertyKey ? [] : pluginValues(location.path.join('.'));
    return valueItems(doc, offset, names, location.previousNode, [], 'from a plugin');
  }
  const { root } = parseExperiment(text);
  if (location.isAtPropertyKey) {
    return keyCompletions(doc, offset, location.path.slice(0, -1), location.previousNode, root, schema);
  }
  if (location.path.length === 0) return [];
  return valueCompletions(doc, offset, location.path, location.previousNode, schema);
}

function keyCompletions(
  doc: TextDocument,
  offset: number,
  objectPath: JsonPath,
  previous: Node | undefined,
  root: Node | undefined,
  schema: SchemaNavigator,
): CompletionItem[] {
  const objectNode = root ? findNodeAtLocation(root, objectPath) : undefined;
  const present = new Set((objectNode?.children ?? []).map((p) => p.children?.[0]?.value as string));
  // Inside an existing key string only the name is replaced; the user's value stays.
  const inKeyString = previous?.type === 'property' && previous.offset < offset && offset <= previous.offset + previous.length;
  const range = inKeyString ? rangeOf(doc, previous.offset, previous.offset + previous.length) : wordRange(doc, offset);
  if (inKeyString) present.delete(previous.value as string);
  const items: CompletionItem[] = [];
  for (const [name, schemas] of schema.propertiesAt(objectPath)) {
    if (present.has(name) || name === '$schema') continue;
    const docs = documentation(name, schemas);
    const snippet = inKeyString ? JSON.stringify(name) : `${JSON.stringify(name)}: ${valueSnippet(schemas)}`;
    items.push({
      label: name,
      kind: CompletionItemKind.Property,
      detail: typesOf(schemas).join(' | ') || undefined,
      documentation: docs,
      filterText: JSON.stringify(name),
      insertTextFormat: InsertTextFormat.Snippet,
      textEdit: { range, newText: snippet },
    });
    const block = objectPath.length === 0 && !inKeyString ? blockSnippet(name) : undefined;
    if (block) {
      items.push({
        label: block.label,
        kind: CompletionItemKind.Snippet,
        documentation: docs,
        filterText: JSON.stringify(name),
        insertTextFormat: InsertTextFormat.Snippet,
        textEdit: { range, newText: block.body },
      });
    }
  }
  return items;
}

function valueCompletions(
  doc: TextDocument,
  offset: number,
  path: JsonPath,
  previous: Node | undefined,
  schema: SchemaNavigator,
): CompletionItem[] {
  const schemas = schema.at(path);
  const values = enumValuesOf(schemas);
  for (const v of knownValues(path.join('.'))) if (!values.includes(v)) values.push(v);
  if (values.length === 0 && typesOf(schemas).includes('boolean')) values.push(true, false);
  return valueItems(doc, offset, values, previous, schemas);
}

function valueItems(
  doc: TextDocument,
  offset: number,
  values: readonly unknown[],
  previous: Node | undefined,
  schemas: SchemaNode[],
  detail = describeOf(schemas)?.split('. ')[0],
): CompletionItem[] {
  const inValue =
    previous !== undefined &&
    previous.type !== 'property' &&
    previous.type !== 'object' &&
    previous.type !== 'array' &&
    previous.offset <= offset &&
    offset <= previous.offset + previous.length;
  const range = inValue ? rangeOf(doc, previous.offset, previous.offset + previous.length) : wordRange(doc, offset);
  return values.map((value, i) => {
    const newText = JSON.stringify(value);
    return {
      label: typeof value === 'string' ? value : newText,
      kind: CompletionItemKind.Value,
      detail,
      filterText: newText,
      sortText: String(i).padStart(3, '0'),
      textEdit: { range, newText },
    };
  });
}

/** A placeholder value for a key of this schema, so the cursor lands where typing goes on. */
function valueSnippet(schemas: SchemaNode[]): string {
  const all = enumValuesOf(schemas);
  const values = all.filter((v): v is string => typeof v === 'string');
  const types = typesOf(schemas);
  const fallback = defaultOf(schemas);
  // An enum of other values too (false, true, "trajectory"): every value as JSON, the default first.
  if (values.length > 0 && values.length < all.length) return choice([...all].sort((a, b) => Number(b === fallback) - Number(a === fallback)).map((v) => JSON.stringify(v)));
  if (values.length > 0) return `"${choice(values)}"`;
  if (types.includes('object')) return '{$1}';
  if (types.includes('array')) return '[$1]';
  if (types.includes('boolean')) return `\${1|${fallback === true ? 'true,false' : 'false,true'}|}`;
  if (types.includes('integer') || types.includes('number')) return `\${1:${typeof fallback === 'number' ? fallback : 0}}`;
  if (types.includes('string')) return '"$1"';
  return '$1';
}

function documentation(name: string, schemas: SchemaNode[]): { kind: typeof MarkupKind.Markdown; value: string } | undefined {
  const text = describeOf(schemas);
  if (!text) return undefined;
  const fallback = defaultOf(schemas);
  const tail = fallback !== undefined ? `\n\nDefault: \`${JSON.stringify(fallback)}\`` : '';
  return { kind: MarkupKind.Markdown, value: `**${name}**: ${text}${tail}` };
}

/** The bare word the user is typing before the cursor (no quotes yet), possibly empty. */
function wordRange(doc: TextDocument, offset: number): Range {
  const text = doc.getText();
  let start = offset;
  while (start > 0 && /[A-Za-z0-9_$.-]/.test(text[start - 1])) start--;
  return rangeOf(doc, start, offset);
}

function rangeOf(doc: TextDocument, start: number, end: number): Range {
  return { start: doc.positionAt(start), end: doc.positionAt(end) };
}
