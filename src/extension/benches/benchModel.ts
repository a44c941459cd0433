/**
 * Methods bench folders as the extension sees them (pure, unit-tested): the plan a bench folder
 * holds (`bench.json`, written by `skd bench methods`) as a planned folder whose groups are the
 * methods, the statistics of `skd bench methods --report <dir> --json` in the comparison's shape,
 * and what the end of `skd bench methods` means.
 */
import * as path from 'node:path';
import { BENCH_FILES, plannedRuns } from '../../protocol/bench';
import type { CompareSweep } from '../../protocol/webview';
import { exitOutcome, type Outcome } from '../cli/exitOutcome';
import { deltaOf, finite, isRecord, type PlannedFolder } from '../runs/plannedFolder';

function isIntList(v: unknown): v is number[] {
  return Array.isArray(v) && v.length > 0 && v.every((x) => Number.isInteger(x));
}

/** The methods' paired differences are taken against KD, else against the student alone. */
function baselineOf(methods: readonly string[]): string | undefined {
  return methods.includes('kd') ? 'kd' : methods.includes('none') ? 'none' : undefined;
}

/**
 * A `bench.json` as read from disk; a bad one is an error naming the file and the field. `name`
 * is the row's name (a draw's bench is named after its draws folder too).
 */
export function parseBenchPlan(dir: string, value: unknown, name = path.basename(dir)): PlannedFolder {
  const file = path.join(dir, BENCH_FILES.plan);
  if (!isRecord(value)) throw new Error(`${file}: not a JSON object`);
  const { methods, seeds, teacher } = value;
  if (!Array.isArray(methods) || methods.length === 0 || !methods.every((m) => typeof m === 'string' && m)) {
    throw new Error(`${file}: "methods" must be a non-empty list of method names`);
  }
  if (!isIntList(seeds)) throw new Error(`${file}: "seeds" must be a non-empty list of integers`);
  if (!isRecord(teacher) || typeof teacher.trainedHere !== 'boolean') throw new Error(`${file}: "teacher.trainedHere" must be true or false`);
  if (typeof teacher.seed !== 'number') throw new Error(`${file}: "teacher.seed" must be a number`);
  const view = { methods: methods as string[], seeds, teacher: { dir: String(teacher.dir ?? ''), trainedHere: teacher.trainedHere, seed: teacher.seed } };
  // A teacher trained here is also the student alone of its seed: the `none` group's run there.
  const runs: PlannedFolder['runs'] = view.teacher.trainedHere
    ? [{ name: BENCH_FILES.teacher, kind: 'teacher', seed: view.teacher.seed, ...(view.methods.includes('none') ? { group: 'none' } : {}) }]
    : [];
  // Seed by seed, as the bench runs them.
  for (const r of plannedRuns(view)) runs.push({ name: r.name, kind: 'student', group: r.method, seed: r.seed });
  const baseline = baselineOf(view.methods);
  return { kind: 'bench', dir: path.resolve(dir), name, runs, groups: [...(methods as string[])], ...(baseline ? { baseline } : {}) };
}

/**
 * `skd bench methods --report <dir> --json` in the comparison's shape: per method its runs' test
 * mean ± std and the paired difference to KD (or to the student alone where the bench has no KD)
 * on test and on held-out validation. The report is the command line's
 * (src/trainer/bench/methods.ts): the extension only reads it, so both show the same numbers.
 */
export function compareBenchFromReport(value: unknown, where: string): CompareSweep {
  if (!isRecord(value)) throw new Error(`${where}: the bench report is not a JSON object`);
  if (typeof value.benchDir !== 'string') throw new Error(`${where}: the bench report has no "benchDir"`);
  if (!Array.isArray(value.rows)) throw new Error(`${where}: the bench report has no "rows" list`);
  const methods = value.rows.map((r, i) => {
    if (!isRecord(r) || typeof r.method !== 'string') throw new Error(`${where}: "rows[${i}].method" must be a string`);
    return r.method;
  });
  const baseline = baselineOf(methods) ?? '';
  const against = baseline === 'kd' ? 'vsKd' : 'vsNone';
  const groups = (value.rows as Record<string, unknown>[]).map((r): CompareSweep['groups'][number] => {
    const test = isRecord(r.test) ? r.test : {};
    const vs = r.method !== baseline && isRecord(r[against]) ? (r[against] as Record<string, unknown>) : {};
    const d = deltaOf(vs.test);
    const held = deltaOf(vs.heldOutVal);
    return {
      group: r.method as string,
      runs: typeof r.runs === 'number' ? r.runs : 0,
      testMean: finite(test.mean),
      testStd: finite(test.std),
      ...(d ? { delta: d } : {}),
      ...(held ? { heldOutDelta: held } : {}),
    };
  });
  return { source: 'bench', name: path.basename(value.benchDir), baseline, groups };
}

/** How `skd bench methods` ended (its exit codes): 0 done, 1 a run failed, 2 bad input, 3 stopped. */
export function benchOutcome(code: number | null): Outcome {
  return exitOutcome(code, {
    done: 'done',
    failed: 'ended with failed runs (see the SKD Benches output); Run Method Bench on its row runs them again',
    refused: 'refused its input (see the SKD Benches output)',
    stopped: 'stopped; Run Method Bench on its row resumes it',
  });
}

/**
 * The folder `skd bench methods` says it works in: its `bench folder: <dir>` line, a draws
 * folder's `draws folder: <dir> (data seeds ...)` and each draw's `data seed <d>: bench folder: <dir>`.
 */
export function benchFolderFromLine(line: string): string | undefined {
  const m = /^(?:data seed -?\d+: )?(?:bench|draws) folder: (.+?)(?: \(data seeds [-\d, ]+\))?$/.exec(line.trim());
  return m?.[1];
}

/** The methods Run Method Bench offers ticked: the student alone, KD and SKD, the comparison SKD Lab exists for. */
export const DEFAULT_BENCH_METHODS: readonly string[] = ['none', 'kd', 'skd'];

/** The seeds box: a whole number from 1 to 100 (the command line's bounds), else undefined. */
export function parseSeedsInput(text: string): number | undefined {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return undefined;
  const n = Number(t);
  return n >= 1 && n <= 100 ? n : undefined;
}
