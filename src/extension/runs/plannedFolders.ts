/**
 * Finds planned folders on disk: sweeps (a `sweep.json`) and methods benches (a `bench.json`;
 * a draws folder's `draws.json` stands for its benches, one per draw) among the runs folder's
 * children and the parents of known runs.
 */
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { BENCH_FILES } from '../../protocol/bench';
import { SWEEP_FILES } from '../../protocol/sweep';
import { parseBenchPlan } from '../benches/benchModel';
import { parseSweepPlan } from '../sweeps/sweepModel';
import { isRecord, type PlannedFolder } from './plannedFolder';

async function readJsonIfThere(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return undefined; // not there
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${(err as Error).message})`);
  }
}

/** The draws folder's bench folders (absolute), from its `draws.json`. */
function drawBenchDirs(drawsDir: string, plan: unknown): string[] {
  if (!isRecord(plan) || !Array.isArray(plan.benches)) throw new Error(`${path.join(drawsDir, BENCH_FILES.draws)}: "benches" must be a list`);
  return plan.benches.flatMap((b) => (isRecord(b) && typeof b.dir === 'string' ? [path.join(drawsDir, b.dir)] : []));
}

/** The planned folders `dir` is or holds: a sweep, a bench, or a draws folder's benches. */
export async function readPlanned(dir: string): Promise<PlannedFolder[]> {
  const sweep = await readJsonIfThere(path.join(dir, SWEEP_FILES.plan));
  if (sweep !== undefined) return [parseSweepPlan(dir, sweep)];
  const bench = await readJsonIfThere(path.join(dir, BENCH_FILES.plan));
  if (bench !== undefined) {
    // A draw's bench is named after its draws folder too: `bench-draws-<time>/data-seed-2`.
    const parent = path.dirname(dir);
    const inDraws = await fs.access(path.join(parent, BENCH_FILES.draws)).then(() => true, () => false);
    return [parseBenchPlan(dir, bench, inDraws ? `${path.basename(parent)}/${path.basename(dir)}` : path.basename(dir))];
  }
  const draws = await readJsonIfThere(path.join(dir, BENCH_FILES.draws));
  if (draws === undefined) return [];
  const found = await Promise.all(drawBenchDirs(dir, draws).map((d) => readPlanned(d)));
  return found.flat();
}

/**
 * The planned folders among `runsFolder`'s sub-folders (one that has not started a run yet) and
 * the parents of `runDirs`. A broken plan is reported through `warn`, not thrown.
 */
export async function findPlannedFolders(runsFolder: string | undefined, runDirs: readonly string[], warn: (line: string) => void): Promise<PlannedFolder[]> {
  const candidates = new Set(runDirs.map((d) => path.dirname(path.resolve(d))));
  if (runsFolder) {
    try {
      for (const e of await fs.readdir(runsFolder, { withFileTypes: true })) {
        if (e.isDirectory() && !e.name.startsWith('.')) candidates.add(path.join(path.resolve(runsFolder), e.name));
      }
    } catch {
      // no runs folder yet
    }
  }
  const found = await Promise.all(
    [...candidates].map(async (dir) => {
      try {
        return await readPlanned(dir);
      } catch (err) {
        warn(String(err instanceof Error ? err.message : err));
        return [];
      }
    }),
  );
  const byDir = new Map(found.flat().map((f) => [f.dir, f]));
  return [...byDir.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Whether an experiment file is one a methods bench wrote into its folder (`<bench>/kd-s1.skd.json`,
 * one per run): the bench's row stands for those, so the Experiments tree and the pickers leave them out.
 */
export function isBenchRunFile(file: string): boolean {
  return existsSync(path.join(path.dirname(file), BENCH_FILES.plan));
}
