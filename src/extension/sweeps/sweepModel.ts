/**
 * Sweep folders as the extension sees them (pure, unit-tested): the plan a sweep folder holds
 * (`sweep.json`, written by `skd sweep`), the statistics of `skd sweep report --json` in the
 * comparison's shape, and what the end of `skd sweep` means.
 */
import * as path from 'node:path';
import type { CompareSweep } from '../../protocol/webview';
import { exitOutcome, type Outcome } from '../cli/exitOutcome';
import { deltaOf, finite, isRecord, type PlannedFolder } from '../runs/plannedFolder';

/** A `sweep.json` as read from disk; a bad one is an error naming the file and the field. */
export function parseSweepPlan(dir: string, value: unknown): PlannedFolder {
  const file = path.join(dir, 'sweep.json');
  if (!isRecord(value)) throw new Error(`${file}: not a JSON object`);
  if (typeof value.name !== 'string' || !value.name) throw new Error(`${file}: "name" must be a non-empty string`);
  if (!Array.isArray(value.runs)) throw new Error(`${file}: "runs" must be a list`);
  const runs = value.runs.map((r, i) => {
    if (!isRecord(r) || typeof r.name !== 'string' || (r.kind !== 'teacher' && r.kind !== 'student')) {
      throw new Error(`${file}: "runs[${i}]" needs a name and a kind (teacher or student)`);
    }
    return {
      name: r.name,
      kind: r.kind,
      ...(typeof r.group === 'string' ? { group: r.group } : {}),
      seed: typeof r.seed === 'number' ? r.seed : 0,
    } as PlannedFolder['runs'][number];
  });
  const groups = Array.isArray(value.groups) ? value.groups.flatMap((g) => (isRecord(g) && typeof g.name === 'string' ? [g.name] : [])) : [];
  return { kind: 'sweep', dir: path.resolve(dir), name: value.name, runs, groups, ...(typeof value.baseline === 'string' ? { baseline: value.baseline } : {}) };
}

/**
 * `skd sweep report <dir> --json` in the comparison's shape. The report is the command line's
 * (src/trainer/sweep/report.ts): the extension only reads it, so both show the same numbers.
 */
export function compareSweepFromReport(value: unknown, where: string): CompareSweep {
  if (!isRecord(value)) throw new Error(`${where}: the sweep report is not a JSON object`);
  if (typeof value.sweep !== 'string') throw new Error(`${where}: the sweep report has no "sweep" name`);
  if (!Array.isArray(value.groups)) throw new Error(`${where}: the sweep report has no "groups" list`);
  const groups = value.groups.map((g, i): CompareSweep['groups'][number] => {
    if (!isRecord(g) || typeof g.group !== 'string') throw new Error(`${where}: "groups[${i}].group" must be a string`);
    const test = isRecord(g.test) ? g.test : {};
    const vs = isRecord(g.vsBaseline) ? g.vsBaseline : {};
    const d = deltaOf(vs.test);
    const held = deltaOf(vs.heldOutVal);
    return {
      group: g.group,
      runs: typeof g.runs === 'number' ? g.runs : 0,
      testMean: finite(test.mean),
      testStd: finite(test.std),
      ...(d ? { delta: d } : {}),
      ...(held ? { heldOutDelta: held } : {}),
    };
  });
  return { source: 'sweep', name: value.sweep, baseline: typeof value.baseline === 'string' ? value.baseline : '', groups };
}

export type Executor = 'local' | 'slurm';

/** How `skd sweep` ended (its exit codes): 0 done or submitted, 1 a run failed, 2 bad input, 3 stopped. */
export function sweepOutcome(code: number | null, executor: Executor): Outcome {
  return exitOutcome(code, {
    done: executor === 'slurm' ? 'submitted to Slurm; the tree follows its runs' : 'done',
    failed: 'ended with failed runs (see the SKD Sweeps output); Run Sweep again reruns them',
    refused: 'refused the sweep file (see the SKD Sweeps output)',
    stopped: 'stopped; Run Sweep again resumes it',
  });
}
