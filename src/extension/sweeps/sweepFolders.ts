/** Finds sweep folders on disk: folders with a `sweep.json` among the runs folder's children and the parents of known runs. */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { parseSweepPlan, type SweepFolder } from './sweepModel';

async function readPlan(dir: string): Promise<SweepFolder | undefined> {
  let text: string;
  try {
    text = await fs.readFile(path.join(dir, 'sweep.json'), 'utf8');
  } catch {
    return undefined; // not a sweep folder
  }
  return parseSweepPlan(dir, JSON.parse(text) as unknown);
}

/**
 * The sweep folders among `runsFolder`'s sub-folders (a sweep that has not started a run yet)
 * and the parents of `runDirs`. A broken `sweep.json` is reported through `warn`, not thrown.
 */
export async function findSweepFolders(runsFolder: string | undefined, runDirs: readonly string[], warn: (line: string) => void): Promise<SweepFolder[]> {
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
        return await readPlan(dir);
      } catch (err) {
        warn(err instanceof SyntaxError ? `${path.join(dir, 'sweep.json')}: not valid JSON (${err.message})` : String(err instanceof Error ? err.message : err));
        return undefined;
      }
    }),
  );
  return found.filter((s): s is SweepFolder => s !== undefined).sort((a, b) => a.name.localeCompare(b.name));
}
