import * as path from 'node:path';
import type { Experiment } from '../../protocol/experiment';
import { InputError } from '../errors';
import { checkedExperiment, loadExperiment, readJsonWithComments, validateExperimentObject } from './validate';
import { experimentSchema } from './schema';

/**
 * `--set key=value` overrides of an experiment (`skd run`, `skd sweep`) and the override maps of
 * sweep files. A key is a dotted path into the experiment (`method.temperature`,
 * `student.epochs`); the JSON Schema says what it may hold, so a value typed on the command line
 * becomes a number, a boolean, a string or (for arrays and objects) parsed JSON. A bad key or
 * value is one line naming it.
 */

export interface Override {
  key: string;
  value: unknown;
  /** How the user wrote it, for messages: `--set student.epochs=2`, or `grid "student.epochs"`. */
  source: string;
}

/** Keys holding file paths: resolved against `base` (the current folder for the command line). */
export const PATH_KEYS = ['data.dir', 'teacher.run', 'method.module'];

type Schema = Record<string, unknown>;

const definitions = (experimentSchema.definitions ?? {}) as Record<string, Schema>;

function deref(s: Schema): Schema {
  const ref = s.$ref;
  if (typeof ref === 'string' && ref.startsWith('#/definitions/')) {
    const target = definitions[ref.slice('#/definitions/'.length)];
    // A `$ref` sibling's own description stays; the target supplies the rest.
    return target ? { ...target, ...Object.fromEntries(Object.entries(s).filter(([k]) => k !== '$ref')) } : s;
  }
  return s;
}

/** The alternatives a schema node stands for (`oneOf` / `anyOf` branches with properties, or itself). */
function branches(s: Schema): Schema[] {
  const node = deref(s);
  const alts = [...((node.oneOf as Schema[] | undefined) ?? []), ...((node.anyOf as Schema[] | undefined) ?? [])].map(deref);
  const withProps = alts.filter((a) => a.properties || a.type);
  return withProps.length ? withProps.map((a) => ({ ...node, oneOf: undefined, anyOf: undefined, ...a })) : [node];
}

/** The schema nodes a dotted key can name (several where a `oneOf` allows either). */
export function schemaNodesAt(key: string): { nodes: Schema[]; known: string[]; failedAt?: string } {
  let nodes: Schema[] = [experimentSchema];
  const parts = key.split('.');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    const next: Schema[] = [];
    const known = new Set<string>();
    for (const n of nodes) {
      for (const b of branches(n)) {
        const props = b.properties as Record<string, Schema> | undefined;
        if (!props) continue;
        Object.keys(props).filter((k) => k !== '$schema').forEach((k) => known.add(k));
        if (props[part]) next.push(props[part]);
      }
    }
    if (next.length === 0) return { nodes: [], known: [...known], failedAt: parts.slice(0, i + 1).join('.') };
    nodes = next;
  }
  return { nodes, known: [] };
}

/** The JSON types a node allows (`integer` counts as a number). */
function typesOf(nodes: Schema[]): Set<string> {
  const out = new Set<string>();
  for (const n of nodes) {
    for (const b of branches(n)) {
      const t = b.type;
      if (typeof t === 'string') out.add(t);
      else if (Array.isArray(t)) t.forEach((x) => out.add(String(x)));
      else if (Array.isArray(b.enum)) (b.enum as unknown[]).forEach((v) => out.add(typeof v === 'number' ? 'number' : typeof v));
    }
  }
  return out;
}

/** Checks that `key` names a setting of the experiment schema; throws naming the key otherwise. */
export function checkKey(key: string, source: string): void {
  if (!/^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*$/.test(key)) {
    throw new InputError('command line', source, `"${key}" is not a setting: use a dotted key such as method.temperature`);
  }
  const found = schemaNodesAt(key);
  if (found.failedAt !== undefined) {
    const parent = found.failedAt.includes('.') ? found.failedAt.slice(0, found.failedAt.lastIndexOf('.')) : 'an experiment';
    const hint = found.known.length ? ` (${parent} has: ${found.known.join(', ')})` : ` (${parent} holds no settings)`;
    throw new InputError('command line', source, `unknown key "${found.failedAt}"${hint}`);
  }
}

/**
 * The typed value of `raw` for `key`: a number where the schema wants one, true/false for a
 * boolean, JSON for an array or object, else the string itself.
 */
export function parseValue(key: string, raw: string, source: string): unknown {
  const types = typesOf(schemaNodesAt(key).nodes);
  const want = (t: string) => types.has(t);
  if (want('number') || want('integer')) {
    const n = raw.trim() === '' ? NaN : Number(raw);
    if (Number.isFinite(n)) {
      if (want('integer') && !want('number') && !Number.isInteger(n)) throw new InputError('command line', source, `must be an integer, got "${raw}"`);
      return n;
    }
    if (!want('string') && !want('boolean') && !want('array') && !want('object')) {
      throw new InputError('command line', source, `must be ${want('integer') && !want('number') ? 'an integer' : 'a number'}, got "${raw}"`);
    }
  }
  if (want('boolean')) {
    if (raw === 'true' || raw === 'false') return raw === 'true';
    if (!want('string') && !want('array') && !want('object')) throw new InputError('command line', source, `must be true or false, got "${raw}"`);
  }
  if (want('array') || want('object')) {
    const looksJson = /^\s*[[{]/.test(raw);
    if (looksJson || !want('string')) {
      try {
        return JSON.parse(raw) as unknown;
      } catch (e) {
        throw new InputError('command line', source, `must be JSON (${want('array') ? 'an array' : 'an object'}): ${(e as Error).message.split('\n')[0]}`);
      }
    }
  }
  return raw;
}

/** `key=value` from the command line as a typed override. */
export function parseSetOption(text: string, base = process.cwd()): Override {
  const source = `--set ${text}`;
  const eq = text.indexOf('=');
  if (eq <= 0) throw new InputError('command line', source, 'expected key=value, e.g. --set method.temperature=2');
  const key = text.slice(0, eq).trim();
  checkKey(key, source);
  let value = parseValue(key, text.slice(eq + 1), source);
  if (PATH_KEYS.includes(key) && typeof value === 'string' && value !== '') value = path.resolve(base, value);
  return { key, value, source };
}

/** Takes every `--set key=value` (or `--set=key=value`) out of argv; the rest is returned. */
export function takeSetOptions(argv: string[], base = process.cwd()): { rest: string[]; overrides: Override[] } {
  const rest: string[] = [];
  const overrides: Override[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--set') {
      const v = argv[++i];
      if (v === undefined) throw new InputError('command line', '--set', 'needs key=value');
      overrides.push(parseSetOption(v, base));
    } else if (a.startsWith('--set=')) {
      overrides.push(parseSetOption(a.slice('--set='.length), base));
    } else {
      rest.push(a);
    }
  }
  return { rest, overrides };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The experiment object with the overrides applied (a deep copy). Setting a key of one branch
 * of a `oneOf` switches to that branch: `teacher.run` on a teacher network replaces the network.
 */
export function applyOverrides(experiment: Record<string, unknown>, overrides: readonly Override[]): Record<string, unknown> {
  const out = JSON.parse(JSON.stringify(experiment)) as Record<string, unknown>;
  for (const o of overrides) {
    checkKey(o.key, o.source);
    const parts = o.key.split('.');
    let obj: Record<string, unknown> = out;
    for (let i = 0; i < parts.length - 1; i++) {
      const here = parts.slice(0, i + 1).join('.');
      if (!isObject(obj[parts[i]])) obj[parts[i]] = {};
      obj = obj[parts[i]] as Record<string, unknown>;
      switchBranch(obj, here, parts[i + 1]);
    }
    if (parts.length === 1) switchBranch(out, '', parts[0]);
    obj[parts[parts.length - 1]] = JSON.parse(JSON.stringify(o.value)) as unknown;
  }
  return out;
}

/** Drops the keys another `oneOf` branch owns when `key` belongs to one branch only. */
function switchBranch(obj: Record<string, unknown>, at: string, key: string): void {
  if (at === '') return;
  const { nodes } = schemaNodesAt(at);
  const alts = nodes.flatMap((n) => branches(n)).filter((b) => isObject(b.properties));
  if (alts.length < 2) return;
  const owner = alts.filter((b) => key in (b.properties as Schema));
  if (owner.length !== 1) return;
  const allowed = new Set(Object.keys(owner[0].properties as Schema));
  for (const k of Object.keys(obj)) if (!allowed.has(k)) delete obj[k];
}

/**
 * Problems of an overridden experiment that an override caused, as one line naming it: the
 * first schema or semantic issue whose path lies under (or over) an overridden key.
 */
export function checkOverridden(value: Record<string, unknown>, overrides: readonly Override[], file: string): void {
  const issues = validateExperimentObject(value, file, { checkFiles: true }).filter((i) => i.severity === 'error');
  for (const issue of issues) {
    const p = issue.path.join('.');
    const culprit = [...overrides].reverse().find((o) => p === o.key || p.startsWith(`${o.key}.`) || o.key.startsWith(`${p}.`));
    if (culprit) {
      const shown = typeof culprit.value === 'string' ? culprit.value : JSON.stringify(culprit.value);
      const where = culprit.source.startsWith('--set') ? `--set ${culprit.key}=${shown}` : culprit.source;
      throw new InputError('command line', where, p === culprit.key ? issue.message : `${p}: ${issue.message}`);
    }
  }
}

/** Reads an experiment file, applies the overrides (none: the file as it is), validates and fills defaults. */
export function loadExperimentWithOverrides(file: string, overrides: readonly Override[] = []): Experiment {
  if (overrides.length === 0) return loadExperiment(file);
  const value = readJsonWithComments(file, 'experiment file');
  if (!isObject(value)) return checkedExperiment(value, file);
  const applied = applyOverrides(value, overrides);
  checkOverridden(applied, overrides, file);
  return checkedExperiment(applied, file);
}
