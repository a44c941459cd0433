/** Path checks for anything that did not come from the user directly (e.g. restored webview state). */
import * as path from 'node:path';

export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(path.resolve(parent), path.resolve(child));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** A run directory is acceptable when it lies under one of the allowed roots (runs folder, workspace). */
export function isAllowedRunDir(dir: string, roots: readonly (string | undefined)[]): boolean {
  if (!path.isAbsolute(dir) || dir.includes('\0')) return false;
  return roots.some((r) => r !== undefined && isInside(dir, r));
}
