/**
 * When every compared run lies in one sweep or methods bench folder, the comparison groups them
 * by the sweep's groups (or the bench's methods) and shows the report's statistics, read through
 * `skd sweep report <dir> --json` or `skd bench methods --report <dir> --json` (the command
 * line's numbers, not a second implementation of them).
 */
import * as path from 'node:path';
import type { CompareSweep } from '../../protocol/webview';
import { compareBenchFromReport } from '../benches/benchModel';
import type { PlannedFolder } from '../runs/plannedFolder';
import { readPlanned } from '../runs/plannedFolders';
import { runCliJson } from '../cli/skdCli';
import { compareSweepFromReport } from '../sweeps/sweepModel';

export interface FolderContext {
  sweep?: CompareSweep;
  /** The group (a bench: the method) of each run directory (absolute). */
  groupOf: Map<string, string>;
}

async function plannedFolderOf(dirs: readonly string[]): Promise<PlannedFolder | undefined> {
  const parents = new Set(dirs.map((d) => path.dirname(path.resolve(d))));
  if (parents.size !== 1) return undefined;
  const [dir] = [...parents] as [string];
  const [folder] = await readPlanned(dir);
  return folder?.dir === dir ? folder : undefined;
}

export async function readFolderContext(dirs: readonly string[], extensionPath: string, warn: (line: string) => void): Promise<FolderContext> {
  const groupOf = new Map<string, string>();
  let folder: PlannedFolder | undefined;
  try {
    folder = await plannedFolderOf(dirs);
  } catch (err) {
    warn(`compare: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!folder) return { groupOf };
  for (const r of folder.runs) if (r.group) groupOf.set(path.join(folder.dir, r.name), r.group);
  const where = path.join(folder.dir, 'report.json');
  try {
    if (folder.kind === 'bench') {
      const report = await runCliJson(extensionPath, ['bench', 'methods', '--report', folder.dir, '--json'], folder.dir);
      return { groupOf, sweep: compareBenchFromReport(report, where) };
    }
    const report = await runCliJson(extensionPath, ['sweep', 'report', folder.dir, '--json'], folder.dir);
    return { groupOf, sweep: compareSweepFromReport(report, where) };
  } catch (err) {
    warn(`compare: no ${folder.kind} statistics for ${folder.dir}: ${err instanceof Error ? err.message : String(err)}`);
    return { groupOf };
  }
}
