import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import sweepSchemaJson from '../../../schema/sweep.schema.json';
import { isTeacherRun, type Experiment } from '../../protocol/experiment';
import { RUN_FILES } from '../../protocol/runDir';
import { SWEEP_FILES, type OverrideMap, type PlannedRun, type SweepFile, type SweepGroup, type SweepPlan, type TeacherSharing } from '../../protocol/sweep';
import { applyOverrides, checkKey, checkOverridden, PATH_KEYS, type Override } from '../config/overrides';
import { parseJsonWithComments, readJsonWithComments, resolveFrom, validateExperimentObject } from '../config/validate';
import { describeSchemaError } from '../config/schema';
import { InputError, isInputError } from '../errors';
import { DEFAULT_BOUNDARIES } from '../engine/schedule';
import { relocatable } from '../runDir/relocate';
import { readJson, writeFileAtomic, writeJsonAtomic } from '../runDir/atomicFile';

/**
 * Expanding a sweep file into its runs: groups (the grid's combinations, then the listed
 * override sets) x seeds, plus the teachers they share. Everything is checked before a file is
 * written; the plan and one experiment file per run go into the sweep folder.
 */

export const sweepSchema = sweepSchemaJson as Record<string, unknown>;

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  compiled ??= new Ajv({ allErrors: true, strict: false }).compile(sweepSchema);
  return compiled;
}

/** JSON Schema problems of a sweep file, as `path: message`. */
export function sweepSchemaIssues(value: unknown): { path: string; message: string }[] {
  const validate = validator();
  if (validate(value)) return [];
  const errors = (validate.errors ?? []).filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'if');
  return errors.map((e) => ({ path: errorPath(e), message: describeSchemaError(e) }));
}

function errorPath(e: ErrorObject): string {
  const parts = e.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (e.keyword === 'additionalProperties') parts.push((e.params as { additionalProperty: string }).additionalProperty);
  if (e.keyword === 'required') parts.push((e.params as { missingProperty: string }).missingProperty);
  if (e.keyword === 'propertyNames') parts.push((e.params as { propertyName: string }).propertyName);
  return parts.join('.');
}

/** Reads and checks a sweep file (JSON with comments). */
export function loadSweepFile(file: string): SweepFile {
  const value = readJsonWithComments(file, 'sweep file');
  const issues = sweepSchemaIssues(value);
  if (issues.length) {
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
    throw new InputError(file, issues[0].path || undefined, issues[0].message + more);
  }
  return value as SweepFile;
}

export interface ExpandedSweep {
  plan: SweepPlan;
  /** Each run's experiment, by run name, as written to `experiments/<name>.json`. */
  experiments: Map<string, Record<string, unknown>>;
}

const TEACHER_KEYS = (exp: Record<string, unknown>, seed: number) => {
  const method = (exp.method ?? {}) as Record<string, unknown>;
  return JSON.stringify(canonical({ data: exp.data, teacher: exp.teacher, training: exp.training ?? {}, stages: method.stages ?? 4, boundaries: method.boundaries ?? DEFAULT_BOUNDARIES, backend: exp.backend ?? 'auto', seed }));
};

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
  return v;
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/** A name part for one value: `kd`, `temperature2`, `limit.train300` shortened to `train300`. */
function namePart(key: string, value: unknown): string {
  const last = key.split('.').pop()!;
  const shown = typeof value === 'string' ? value : JSON.stringify(value);
  const text = typeof value === 'string' && (last === 'name' || last === 'model') ? shown : `${last}${shown}`;
  return text.replace(/[^A-Za-z0-9._-]+/g, '').replace(/^[^A-Za-z0-9]+/, '') || 'x';
}

export function groupName(set: OverrideMap): string {
  const parts = Object.entries(set).map(([k, v]) => namePart(k, v));
  return parts.length ? parts.join('_') : 'base';
}

/** The groups of a sweep: the grid's combinations (first key varies slowest), then the list. */
export function expandGroups(sweep: Pick<SweepFile, 'grid' | 'runs'>, baseName: string): SweepGroup[] {
  const groups: SweepGroup[] = [];
  const grid = Object.entries(sweep.grid ?? {});
  if (grid.length) {
    let combos: OverrideMap[] = [{}];
    for (const [key, values] of grid) combos = combos.flatMap((c) => values.map((v) => ({ ...c, [key]: v })));
    for (const set of combos) groups.push({ name: groupName(set), set });
  }
  for (const r of sweep.runs ?? []) groups.push({ name: r.name ?? groupName(r.set), set: r.set });
  if (groups.length === 0) groups.push({ name: baseName, set: {} });
  // Names must be unique folder names: a clash gets a numbered suffix.
  const seen = new Map<string, number>();
  for (const g of groups) {
    const n = (seen.get(g.name) ?? 0) + 1;
    seen.set(g.name, n);
    if (n > 1) g.name = `${g.name}-${n}`;
  }
  return groups;
}

export function seedsOf(sweep: Pick<SweepFile, 'seeds'>, baseSeed: number): number[] {
  if (sweep.seeds === undefined) return [baseSeed];
  if (typeof sweep.seeds === 'number') return Array.from({ length: sweep.seeds }, (_, i) => i + 1);
  return [...sweep.seeds];
}

function overridesOf(map: OverrideMap, where: (key: string) => string, baseDir: string): Override[] {
  return Object.entries(map).map(([key, value]) => {
    const source = where(key);
    checkKey(key, source);
    const v = PATH_KEYS.includes(key) && typeof value === 'string' && value !== '' ? path.resolve(baseDir, value) : value;
    return { key, value: v, source };
  });
}

/** Paths of an experiment object made absolute against `file`'s folder. */
function absolutePaths(exp: Record<string, unknown>, file: string): Record<string, unknown> {
  const out = clone(exp);
  delete out.$schema;
  const data = out.data as Record<string, unknown> | undefined;
  if (data && typeof data.dir === 'string') data.dir = resolveFrom(file, data.dir);
  const teacher = out.teacher as Record<string, unknown> | undefined;
  if (teacher && typeof teacher.run === 'string') teacher.run = resolveFrom(file, teacher.run);
  const method = out.method as Record<string, unknown> | undefined;
  if (method && typeof method.module === 'string') method.module = resolveFrom(file, method.module);
  return out;
}

/** Rethrows an override problem as one naming the sweep file. */
function inSweep<T>(sweepFile: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (isInputError(e) && e.file === 'command line') throw new InputError(sweepFile, e.field, e.reason);
    throw e;
  }
}

function fail(sweepFile: string, run: string, issues: { path: (string | number)[]; message: string }[]): never {
  const first = issues[0];
  throw new InputError(sweepFile, `run ${run}${first.path.length ? ` ${first.path.join('.')}` : ''}`, first.message);
}

/**
 * Expands a sweep file (with command-line overrides, applied to every run last) into its plan.
 * The run names are stable, so expanding the same file again names the same runs.
 */
export function expandSweep(sweepFile: string, sweep: SweepFile, cliOverrides: readonly Override[] = []): ExpandedSweep {
  const sweepDirOfFile = path.dirname(path.resolve(sweepFile));
  let base: Record<string, unknown>;
  let baseFile: string;
  if (typeof sweep.experiment === 'string') {
    baseFile = path.resolve(sweepDirOfFile, sweep.experiment);
    let text: string;
    try {
      text = fs.readFileSync(baseFile, 'utf8');
    } catch (e) {
      throw new InputError(sweepFile, 'experiment', `cannot read ${baseFile} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    try {
      base = parseJsonWithComments(text) as Record<string, unknown>;
    } catch (e) {
      throw new InputError(baseFile, undefined, `not valid JSON: ${(e as Error).message}`);
    }
    if (!base || typeof base !== 'object' || Array.isArray(base)) throw new InputError(baseFile, undefined, 'an experiment is a JSON object');
  } else {
    baseFile = path.resolve(sweepFile);
    base = sweep.experiment;
  }
  base = absolutePaths(base, baseFile);
  const common = [...inSweep(sweepFile, () => overridesOf(sweep.set ?? {}, (key) => `set.${key}`, sweepDirOfFile))];
  base = inSweep(sweepFile, () => applyOverrides(base, common));
  base = applyOverrides(base, cliOverrides);
  inSweep(sweepFile, () => checkOverridden(base, common, baseFile));
  checkOverridden(base, cliOverrides, baseFile);
  {
    const issues = validateExperimentObject(base, baseFile, { checkFiles: true }).filter((i) => i.severity === 'error');
    // Issues of the base that a group fixes are reported per run below; names are the sweep's.
    const fatal = issues.filter((i) => i.path[0] !== 'name' && !overridesTouch(sweep, i.path.join('.')));
    if (fatal.length) {
      const p = fatal[0].path.join('.');
      throw new InputError(typeof sweep.experiment === 'string' ? baseFile : sweepFile, p ? (typeof sweep.experiment === 'string' ? p : `experiment.${p}`) : undefined, fatal[0].message);
    }
  }
  const baseSeed = typeof base.seed === 'number' ? base.seed : 1;
  const method = (base.method ?? {}) as Record<string, unknown>;
  const groups = expandGroups(sweep, typeof method.name === 'string' ? method.name : 'base');
  const seeds = seedsOf(sweep, baseSeed);
  const sharing: TeacherSharing = sweep.teacher ?? 'shared';
  if (sweep.baseline !== undefined && !groups.some((g) => g.name === sweep.baseline)) {
    throw new InputError(sweepFile, 'baseline', `no group named "${sweep.baseline}" (groups: ${groups.map((g) => g.name).join(', ')})`);
  }

  const experiments = new Map<string, Record<string, unknown>>();
  const teachers = new Map<string, { name: string; seed: number; exp: Record<string, unknown> }>();
  const students: PlannedRun[] = [];
  const teacherOf = new Map<string, string>();
  for (const seed of seeds) {
    for (const g of groups) {
      const name = `${g.name}-s${seed}`;
      const groupOverrides = inSweep(sweepFile, () => overridesOf(g.set, (key) => `${key} (group ${g.name})`, sweepDirOfFile));
      let exp = inSweep(sweepFile, () => applyOverrides(base, groupOverrides));
      // Command-line overrides win over the sweep's own.
      exp = applyOverrides(exp, cliOverrides);
      exp.name = name;
      exp.seed = seed;
      exp.studentAlone = sweep.studentAlone ?? false;
      inSweep(sweepFile, () => checkOverridden(exp, groupOverrides, baseFile));
      const own = validateExperimentObject(exp, baseFile, { checkFiles: true }).filter((i) => i.severity === 'error');
      if (own.length) fail(sweepFile, name, own);
      const run: PlannedRun = { name, kind: 'student', group: g.name, seed, experiment: `${SWEEP_FILES.experiments}/${name}.json` };
      const data = (exp.data ?? {}) as Record<string, unknown>;
      if (!isTeacherRun(exp.teacher as Experiment['teacher']) && sharing !== 'own') {
        const teacherSeed = sharing === 'shared' ? baseSeed : seed;
        // Every seed of a shared teacher sees the same images and splits: seeds are paired.
        if (data.seed === undefined) data.seed = teacherSeed;
        exp.data = data;
        const key = TEACHER_KEYS(exp, teacherSeed);
        let t = teachers.get(key);
        if (!t) {
          const teacherExp = clone(exp);
          const m = (teacherExp.method ?? {}) as Record<string, unknown>;
          teacherExp.seed = teacherSeed;
          teacherExp.method = { name: 'none', ...(m.stages !== undefined ? { stages: m.stages } : {}), ...(m.boundaries !== undefined ? { boundaries: m.boundaries } : {}) };
          // The teacher job's own student is a by-product: one epoch keeps it cheap.
          teacherExp.student = { ...(teacherExp.student as Record<string, unknown>), epochs: 1 };
          teacherExp.studentAlone = false;
          t = { name: '', seed: teacherSeed, exp: teacherExp };
          teachers.set(key, t);
        }
        teacherOf.set(name, key);
      }
      students.push(run);
      experiments.set(name, exp);
    }
  }
  // Teacher names: `teacher` alone, else numbered in order of first use (with the seed per seed).
  const list = [...teachers.values()];
  list.forEach((t, i) => {
    const n = list.length === 1 ? 'teacher' : sharing === 'per-seed' && list.length === seeds.length ? `teacher-s${t.seed}` : `teacher-${i + 1}`;
    t.name = n;
    t.exp.name = n;
  });
  const runs: PlannedRun[] = list.map((t) => ({ name: t.name, kind: 'teacher', seed: t.seed, experiment: `${SWEEP_FILES.experiments}/${t.name}.json` }));
  for (const t of list) {
    const issues = validateExperimentObject(t.exp, baseFile, { checkFiles: true }).filter((i) => i.severity === 'error');
    if (issues.length) fail(sweepFile, t.name, issues);
    experiments.set(t.name, t.exp);
  }
  for (const s of students) {
    const key = teacherOf.get(s.name);
    if (key) {
      const t = teachers.get(key)!;
      s.teacher = t.name;
      // Relative to the experiment file in experiments/: the sweep folder moves as a whole.
      experiments.get(s.name)!.teacher = { run: `../${t.name}` };
    }
    runs.push(s);
  }
  const names = new Set<string>();
  for (const r of runs) {
    if (names.has(r.name)) throw new InputError(sweepFile, 'runs', `two runs would be named "${r.name}": give the groups distinct names`);
    names.add(r.name);
  }
  const plan: SweepPlan = {
    version: 1,
    name: sweep.name,
    created: new Date().toISOString(),
    sweepFile: path.resolve(sweepFile),
    groups,
    seeds,
    teacherSharing: sharing,
    ...(sweep.baseline !== undefined ? { baseline: sweep.baseline } : {}),
    ...(sweep.concurrency !== undefined ? { concurrency: sweep.concurrency } : {}),
    ...(sweep.slurm ? { slurm: sweep.slurm } : {}),
    runs,
  };
  return { plan, experiments };
}

/** Whether any group overrides `p` (or a key above or below it). */
function overridesTouch(sweep: SweepFile, p: string): boolean {
  const keys = [...Object.keys(sweep.grid ?? {}), ...(sweep.runs ?? []).flatMap((r) => Object.keys(r.set))];
  return keys.some((k) => k === p || p.startsWith(`${k}.`) || k.startsWith(`${p}.`));
}

export function readPlan(sweepDir: string): SweepPlan {
  const file = path.join(sweepDir, SWEEP_FILES.plan);
  if (!fs.existsSync(file)) throw new InputError(sweepDir, undefined, `not a sweep folder (no ${SWEEP_FILES.plan})`);
  return readJson<SweepPlan>(file);
}

/**
 * The runs `--only` selects, with the sweep's teacher of each selected student added: a
 * student cannot start before its teacher, and a user who names students expects their
 * teacher to be trained when it is not yet (an executor skips it when it has finished). A name
 * the sweep does not hold is an input error.
 */
export function selectRuns(plan: SweepPlan, only: readonly string[]): string[] {
  const unknown = only.filter((n) => !plan.runs.some((r) => r.name === n));
  if (unknown.length) throw new InputError('command line', '--only', `no run named ${unknown.map((n) => `"${n}"`).join(', ')} in this sweep`);
  const teachers = plan.runs.filter((r) => only.includes(r.name) && r.teacher !== undefined).map((r) => r.teacher!);
  return [...new Set([...teachers, ...only])];
}

export function isSweepDir(p: string): boolean {
  return fs.existsSync(path.join(p, SWEEP_FILES.plan));
}

export function runDirOf(sweepDir: string, name: string): string {
  return path.join(sweepDir, name);
}

/**
 * Writes the plan and the experiments into the sweep folder. When the folder already holds the
 * sweep, a run that has started must keep its experiment: a changed setting is an error naming
 * the run (start a new folder instead); runs that are new or not started yet are (re)written.
 */
export function writePlan(sweepDir: string, expanded: ExpandedSweep): SweepPlan {
  const { plan } = expanded;
  const expDir = path.join(sweepDir, SWEEP_FILES.experiments);
  // Written relative to experiments/, so the sweep folder can move as a whole (relocate.ts).
  const experiments = new Map([...expanded.experiments].map(([k, v]) => [k, relocatable(v, expDir)]));
  if (isSweepDir(sweepDir)) {
    const old = readPlan(sweepDir);
    plan.created = old.created;
    for (const r of plan.runs) {
      const file = path.join(sweepDir, r.experiment);
      if (!fs.existsSync(file) || !fs.existsSync(path.join(runDirOf(sweepDir, r.name), RUN_FILES.status))) continue;
      const before = JSON.stringify(canonical(readJson<unknown>(file)));
      const now = JSON.stringify(canonical(experiments.get(r.name)));
      if (before !== now) {
        throw new InputError(sweepDir, `run ${r.name}`, `has started with other settings than the sweep file now gives (${firstDifference(readJson(file), experiments.get(r.name))}); use another --out folder or sweep name`);
      }
    }
    // Runs of the old plan the new one drops stay in the folder but leave the plan.
  }
  fs.mkdirSync(expDir, { recursive: true });
  for (const r of plan.runs) writeFileAtomic(path.join(sweepDir, r.experiment), JSON.stringify(experiments.get(r.name), null, 2) + '\n');
  writeJsonAtomic(path.join(sweepDir, SWEEP_FILES.plan), plan);
  return plan;
}

function firstDifference(a: unknown, b: unknown, at = ''): string {
  if (JSON.stringify(canonical(a)) === JSON.stringify(canonical(b))) return '';
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], at ? `${at}.${k}` : k);
      if (d) return d;
    }
  }
  return `${at || 'experiment'}: ${JSON.stringify(a)} then, ${JSON.stringify(b)} now`;
}
