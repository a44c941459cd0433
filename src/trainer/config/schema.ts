import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import schemaJson from '../../../schema/experiment.schema.json';

/** The experiment JSON Schema (the same file the extension contributes to VS Code). */
export const experimentSchema = schemaJson as Record<string, unknown>;

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: false });
    compiled = ajv.compile(experimentSchema);
  }
  return compiled;
}

export interface SchemaIssue {
  path: (string | number)[];
  message: string;
}

/** Schema errors as paths and readable messages, the noise of `oneOf`/`anyOf` branches folded. */
export function schemaIssues(value: unknown): SchemaIssue[] {
  const validate = validator();
  if (validate(value)) return [];
  const errors = (validate.errors ?? []).filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf');
  const out: SchemaIssue[] = [];
  const seen = new Set<string>();
  for (const e of prefer(errors)) {
    const path = toPath(e);
    const key = path.join('.');
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ path, message: describeSchemaError(e) });
  }
  return out;
}

/**
 * Within a `oneOf` (the teacher is a network or a run reference), ajv reports the failures of
 * every branch; keep those of the branch that got furthest, i.e. drop "required run" when the
 * object clearly describes a network and vice versa.
 */
function prefer(errors: ErrorObject[]): ErrorObject[] {
  // A bad "run" value means the object is a run reference: the network branch's complaints
  // (missing model and epochs, "run" as an unknown key) are noise then.
  const teacherIsRun = errors.some((e) => e.instancePath === '/teacher/run');
  const teacherIsNetwork = !teacherIsRun && errors.some((e) => e.instancePath.startsWith('/teacher/') && e.keyword !== 'additionalProperties');
  return errors.filter((e) => {
    if (!e.instancePath.startsWith('/teacher') || e.instancePath === '/teacher/run') return true;
    if (teacherIsRun && e.instancePath === '/teacher' && (e.keyword === 'required' || (e.params as { additionalProperty?: string }).additionalProperty === 'run')) return false;
    if (e.keyword === 'required' && (e.params as { missingProperty?: string }).missingProperty === 'run') return false;
    if (e.keyword === 'additionalProperties' && e.instancePath === '/teacher') {
      const extra = (e.params as { additionalProperty?: string }).additionalProperty;
      return !teacherIsNetwork && !['model', 'depth', 'width', 'epochs'].includes(extra ?? '');
    }
    if (e.keyword === 'pattern' || e.keyword === 'enum') return false;
    return true;
  });
}

function toPath(e: ErrorObject): (string | number)[] {
  const parts = e.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  if (e.keyword === 'additionalProperties') parts.push((e.params as { additionalProperty: string }).additionalProperty);
  if (e.keyword === 'required') parts.push((e.params as { missingProperty: string }).missingProperty);
  return parts;
}

/** One JSON Schema error in words, for experiment and sweep files alike. */
export function describeSchemaError(e: ErrorObject): string {
  switch (e.keyword) {
    case 'additionalProperties':
      return `unknown key "${(e.params as { additionalProperty: string }).additionalProperty}"`;
    case 'required':
      return `missing required key "${(e.params as { missingProperty: string }).missingProperty}"`;
    case 'enum':
      return `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'propertyNames':
      return 'is not a dotted setting key such as method.temperature';
    case 'type':
      return `must be ${(e.params as { type: string }).type === 'integer' ? 'an integer' : `of type ${(e.params as { type: string }).type}`}`;
    default:
      return e.message ?? 'is invalid';
  }
}
