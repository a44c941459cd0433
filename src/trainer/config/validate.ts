import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { isTeacherRun, stagesTheStudent, type Experiment, type ModelSpec } from '../../protocol/experiment';
import { RUN_FILES } from '../../protocol/runDir';
import { getDataFormat } from '../data';
import { InputError } from '../errors';
import { isMethodName, methodNames } from '../methods';
import { isModelName, modelFamilyNames } from '../models';
import { withDefaults } from './defaults';
import { schemaIssues } from './schema';

export interface ExperimentIssue {
  path: (string | number)[];
  message: string;
  severity: 'error' | 'warning';
  /** `schema`: the JSON Schema says it, so an editor that validates with the schema shows it too. */
  source?: 'schema';
}

/** Resolves a path of the experiment file against the file's own folder. */
export function resolveFrom(file: string, p: string): string {
  return path.isAbsolute(p) ? p : path.resolve(path.dirname(file), p);
}

/**
 * Every problem of an experiment object: JSON Schema errors first, then semantic checks the
 * schema cannot express (unknown plugins, missing data, stages that don't fit the epochs).
 * Used by the language server for diagnostics and by `skd run` before anything is written.
 */
export function validateExperimentObject(value: unknown, file: string, opts: { checkFiles?: boolean } = {}): ExperimentIssue[] {
  const issues: ExperimentIssue[] = schemaIssues(value).map((i) => ({ ...i, severity: 'error' as const, source: 'schema' as const }));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return issues;
  const exp = value as Partial<Experiment>;
  const err = (p: (string | number)[], message: string, severity: 'error' | 'warning' = 'error') => {
    if (!issues.some((i) => i.path.join('.') === p.join('.'))) issues.push({ path: p, message, severity });
  };

  // JSON number literals beyond float range (1e400) parse as Infinity, which JSON Schema's
  // "number" accepts; no setting means that, and experiment.json could not even store it.
  for (const [p, v] of numbersIn(value)) {
    if (!Number.isFinite(v)) err(p, `must be a finite number, got ${v} (a number literal beyond the float range)`);
  }

  const method = exp.method;
  // Checked against the registries as they are now: built-ins and the plugins this process loaded.
  if (method && typeof method.name === 'string' && !isMethodName(method.name) && !method.module) {
    err(['method', 'name'], `unknown method "${method.name}" (known: ${methodNames().join(', ')}; or give a plugin "module")`);
  }
  if (method?.module && opts.checkFiles && !fs.existsSync(resolveFrom(file, method.module))) {
    err(['method', 'module'], `plugin module not found: ${resolveFrom(file, method.module)}`);
  }
  // `studentAlone` (a boolean, the schema checks) is the run itself under method `none`.
  if (exp.studentAlone === true && method?.name === 'none') {
    err(['studentAlone'], 'has no effect with method "none": that run\'s student is the student alone', 'warning');
  }
  const checkNetwork = (key: 'teacher' | 'student', spec: ModelSpec) => {
    if (typeof spec.model === 'string' && !isModelName(spec.model)) {
      err([key, 'model'], `unknown model "${spec.model}" (known: ${modelFamilyNames().join(', ')})`);
    }
    if (spec.model === 'resnet' && typeof spec.depth === 'number' && (spec.depth - 2) % 6 !== 0) {
      err([key, 'depth'], `a ResNet's depth must be 6n+2 (8, 14, 20, 26, 32, ...), got ${spec.depth}`);
    }
    const stages = typeof method?.stages === 'number' ? method.stages : 4;
    // The teacher's trajectory is cut into the stages for every method but `none` (a recorded
    // teacher serves them all); the student's epochs only where its method follows them.
    const staged = key === 'teacher' ? method?.name !== 'none' : typeof method?.name !== 'string' || stagesTheStudent(method.name);
    if (typeof spec.epochs === 'number' && spec.epochs < stages && staged) {
      err([key, 'epochs'], `${spec.epochs} epochs cannot hold ${stages} learning stages (method.stages); use at least ${stages} epochs, or fewer stages`);
    }
  };
  if (exp.student && typeof exp.student === 'object') checkNetwork('student', exp.student);
  if (exp.teacher && typeof exp.teacher === 'object') {
    if (isTeacherRun(exp.teacher)) {
      if (opts.checkFiles) {
        const dir = resolveFrom(file, exp.teacher.run);
        if (!fs.existsSync(path.join(dir, RUN_FILES.trajectory, 'trajectory.json'))) {
          err(['teacher', 'run'], `${dir} holds no recorded teacher trajectory (teacher/trajectory/trajectory.json); only a run that trained its teacher with SKD Lab can be reused`);
        }
      }
    } else {
      checkNetwork('teacher', exp.teacher as ModelSpec);
    }
  }

  const data = exp.data;
  if (data && typeof data === 'object') {
    if (data.format === 'builtin' && !data.name) err(['data', 'name'], 'the builtin format needs a data set name, e.g. "fashion-mnist-mini"');
    if (data.format && data.format !== 'builtin' && !data.dir) err(['data', 'dir'], `the ${data.format} format needs "dir", the folder with its files`);
    const expected = typeof data.format === 'string' ? getDataFormat(data.format)?.expectedFiles : undefined;
    if (opts.checkFiles && data.dir && expected?.length) {
      const dir = resolveFrom(file, data.dir);
      if (!fs.existsSync(dir)) err(['data', 'dir'], `folder not found: ${dir}`);
      else if (!expected.some((f) => fs.existsSync(path.join(dir, f)))) {
        err(['data', 'dir'], `${dir} has no ${expected[0]} (expected for format ${data.format})`);
      }
    }
  }
  return issues;
}

/** Every number in a parsed JSON value, with its path. */
function numbersIn(value: unknown, at: (string | number)[] = [], out: [(string | number)[], number][] = [], depth = 0): [(string | number)[], number][] {
  if (typeof value === 'number') out.push([at, value]);
  else if (value && typeof value === 'object' && depth < 64) {
    for (const [k, v] of Object.entries(value)) numbersIn(v, [...at, Array.isArray(value) ? Number(k) : k], out, depth + 1);
  }
  return out;
}

/** Reads, validates and resolves an experiment file; the first problem is thrown as one line. */
export function loadExperiment(file: string): Experiment {
  return checkedExperiment(readJsonWithComments(file, 'experiment file'), file);
}

/** A JSON-with-comments file's value; one-line input errors naming the file when it cannot be read or parsed. */
export function readJsonWithComments(file: string, what: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(file, undefined, `cannot read the ${what} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  try {
    return parseJsonWithComments(text);
  } catch (e) {
    throw new InputError(file, undefined, `not valid JSON: ${(e as Error).message}`);
  }
}

/** Validates an already-parsed experiment (e.g. a run's experiment.json) and fills defaults. */
export function checkedExperiment(value: unknown, file: string): Experiment {
  const issues = validateExperimentObject(value, file, { checkFiles: true }).filter((i) => i.severity === 'error');
  if (issues.length > 0) {
    const [first, ...rest] = issues;
    const others = rest.map((i) => `${i.path.length > 0 ? `${i.path.join('.')}: ` : ''}${i.message}`);
    const tail = rest.length > 0 ? `; ${others.join('; ')} (${issues.length} problems)` : '';
    throw new InputError(file, first.path.join('.') || undefined, first.message + tail);
  }
  return withDefaults(value as Experiment);
}

/**
 * Parses an experiment file as VS Code does (JSON with comments and trailing commas, the same
 * parser as the language server), throwing one line with the position of the first error.
 */
export function parseJsonWithComments(text: string): unknown {
  const errors: ParseError[] = [];
  // Editors on Windows may save a byte order mark; it is not part of the JSON.
  const body = text.replace(/^\uFEFF/, '');
  if (body.trim() === '') throw new Error('the file is empty');
  const value: unknown = parseJsonc(body, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0) {
    const { error, offset } = errors[0];
    const before = body.slice(0, offset).split('\n');
    throw new Error(`${printParseErrorCode(error)} at line ${before.length}, column ${before[before.length - 1].length + 1}`);
  }
  return value;
}
