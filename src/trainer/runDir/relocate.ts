import * as path from 'node:path';
import { isTeacherRun, type Experiment } from '../../protocol/experiment';

/**
 * Paths in files a run directory (or a sweep folder) keeps, written so the folder can move: to
 * another place, another machine, from a cluster's shared disk to a laptop. Readers resolve them
 * against the folder that holds the file (`resolveFrom(<folder>/experiment.json, p)`), so a
 * relative path there means "relative to this folder".
 *
 * - `teacher.run` (an earlier run: usually a sibling in the same runs or sweep folder) and
 *   `method.module` are always stored relative.
 * - `data.dir` is stored relative when it shares the folder's top-level directory (`/home/me/...`
 *   next to `/home/me/...`: a project moved as a whole), and stays absolute otherwise: a system-wide
 *   data set such as `/usr/share/datasets/fashion-mnist` names the same place on every machine
 *   that has it, and a relative path climbing to `/` would not.
 */
export function relocatable<T extends Experiment | Record<string, unknown>>(experiment: T, folder: string): T {
  const out = JSON.parse(JSON.stringify(experiment)) as Record<string, any>;
  const rel = (p: string) => relativeToFolder(folder, p);
  if (out.teacher && isTeacherRun(out.teacher) && typeof out.teacher.run === 'string') out.teacher.run = rel(out.teacher.run);
  if (out.method && typeof out.method.module === 'string') out.method.module = rel(out.method.module);
  if (out.data && typeof out.data.dir === 'string' && sameTopLevel(out.data.dir, folder)) out.data.dir = rel(out.data.dir);
  return out as T;
}

/**
 * `p` as written inside a file of run directory `folder`: relative to it (`../teacher`), so the
 * file stays true when the folder moves with its siblings. Relative paths are kept as they are.
 */
export function relativeToFolder(folder: string, p: string): string {
  return path.isAbsolute(p) ? path.relative(folder, p) || '.' : p;
}

/** The inverse of `relativeToFolder`: a path read from a file of run directory `folder`. */
export function resolveInFolder(folder: string, p: string): string {
  return path.resolve(folder, p);
}

/** Whether two absolute paths share their first component (`/home`, `/work`, `/tmp`). */
export function sameTopLevel(a: string, b: string): boolean {
  if (!path.isAbsolute(a) || !path.isAbsolute(b)) return true;
  const top = (p: string) => path.resolve(p).split(path.sep)[1] ?? '';
  return top(a) !== '' && top(a) === top(b);
}
