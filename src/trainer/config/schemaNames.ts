/**
 * The places in the experiment JSON Schema (schema/experiment.schema.json) that list the
 * built-in methods and model families, and what the registries say they must hold. VS Code
 * reads the schema file as it is (the extension's `jsonValidation`), so the file keeps static
 * copies of the names; test/unit/config/schemaNames.test.ts fails when they drift.
 */
import { builtinMethodNames, methodSummaries } from '../methods';
import { builtinModelNames, modelSummaries } from '../models';

export interface SchemaNameSlot {
  /** Where in the schema, as a readable path. */
  where: string;
  get(schema: SchemaLike): unknown;
  expected(): unknown;
}

type SchemaLike = Record<string, unknown>;

/** Follows a path of keys and indexes; undefined where it leaves the schema. */
function at(value: unknown, ...keys: (string | number)[]): unknown {
  let v = value;
  for (const k of keys) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string | number, unknown>)[k];
  }
  return v;
}

/** A snippet choice `${1|a,b,c|}` with `first` first. */
const choice = (names: string[], first: string) => `\${1|${[first, ...names.filter((n) => n !== first)].join(',')}|}`;

export const SCHEMA_NAME_SLOTS: readonly SchemaNameSlot[] = [
  {
    where: 'properties.method.properties.name.anyOf[0].enum',
    get: (s) => at(s, 'properties', 'method', 'properties', 'name', 'anyOf', 0, 'enum'),
    expected: () => builtinMethodNames(),
  },
  {
    where: 'properties.method.properties.name.description',
    get: (s) => at(s, 'properties', 'method', 'properties', 'name', 'description'),
    expected: () => `${methodSummaries()}; or the name of a plugin method given in \`module\`.`,
  },
  {
    where: 'properties.method.defaultSnippets[0].body.name',
    get: (s) => at(s, 'properties', 'method', 'defaultSnippets', 0, 'body', 'name'),
    expected: () => choice(builtinMethodNames(), 'skd'),
  },
  {
    where: 'definitions.network.properties.model.anyOf[0].enum',
    get: (s) => at(s, 'definitions', 'network', 'properties', 'model', 'anyOf', 0, 'enum'),
    expected: () => builtinModelNames(),
  },
  {
    where: 'definitions.network.properties.model.description',
    get: (s) => at(s, 'definitions', 'network', 'properties', 'model', 'description'),
    expected: () => `Model family: ${modelSummaries()}, or a plugin family.`,
  },
  {
    where: 'properties.teacher.defaultSnippets[0].body.model',
    get: (s) => at(s, 'properties', 'teacher', 'defaultSnippets', 0, 'body', 'model'),
    expected: () => choice(builtinModelNames(), 'resnet'),
  },
  {
    where: 'properties.student.defaultSnippets[0].body.model',
    get: (s) => at(s, 'properties', 'student', 'defaultSnippets', 0, 'body', 'model'),
    expected: () => choice(builtinModelNames(), 'cnn'),
  },
];

/** One line per slot whose value differs from the registries' (empty: in step). */
export function schemaNameDrift(schema: SchemaLike): string[] {
  const out: string[] = [];
  for (const slot of SCHEMA_NAME_SLOTS) {
    const have = JSON.stringify(slot.get(schema));
    const want = JSON.stringify(slot.expected());
    if (have !== want) out.push(`${slot.where}: is ${have}, the registries say ${want}`);
  }
  return out;
}
