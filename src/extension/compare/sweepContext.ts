/**
 * When every compared run lies in one sweep folder, the comparison groups them by the sweep's
 * groups and shows the sweep report's statistics, read through `skd sweep report <dir> --json`
 * (the command line's numbers, not a second implementation of them).
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { CompareSweep } from '../../protocol/webview';
import { runCliJson } from '../sweeps/skdCli';
import { compareSweepFromReport, parseSweepPlan, type SweepFolder } from '../sweeps/sweepModel';

export interface SweepContext {
  sweep?: CompareSweep;
  /** The sweep group of each run directory (absolute). */
  groupOf: Map<string, string>;
}

async function sweepFolderOf(dirs: readonly string[]): Promise<SweepFolder | undefined> {
  const parents = new Set(dirs.map((d) => path.dirname(path.resolve(d))));
  if (parents.size !== 1) return undefined;
  const [dir] = [...parents] as [string];
  let text: string;
  try {
    text = await fs.readFile(path.join(dir, 'sweep.json'), 'utf8');
  } catch {
    return undefined;
  }
  return parseSweepPlan(dir, JSON.parse(text) as unknown);
}

export async function readSweepContext(dirs: readonly string[], extensionPath: string, warn: (line: string) => void): Promise<SweepContext> {
  const groupOf = new Map<string, string>();
  let folder: SweepFolder | undefined;
  try {
    folder = await sweepFolderOf(dirs);
  } catch (err) {
    warn(`compare: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!folder) return { groupOf };
  for (const r of folder.runs) if (r.group) groupOf.set(path.join(folder.dir, r.name), r.group);
  try {
    const report = await runCliJson(extensionPath, ['sweep', 'report', folder.dir, '--json'], folder.dir);
    return { groupOf, sweep: compareSweepFromReport(report, path.join(folder.dir, 'report.json')) };
  } catch (err) {
    warn(`compare: no sweep statistics for ${folder.dir}: ${err instanceof Error ? err.message : String(err)}`);
    return { groupOf };
  }
}
