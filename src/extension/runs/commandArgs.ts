/**
 * What a command may be called with: a tree node, a `Uri`, a path, `{ dir }`, or nothing (then
 * the command asks). Pure duck typing, so it is unit-tested without `vscode`.
 */
function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/** A run directory from a command argument. */
export function runDirFromArg(arg: unknown): string | undefined {
  if (typeof arg === 'string' && arg.length > 0) return arg;
  if (!isRecord(arg)) return undefined;
  if (arg.kind === 'run' && isRecord(arg.run) && typeof arg.run.dir === 'string') return arg.run.dir;
  if (typeof arg.dir === 'string') return arg.dir;
  if (typeof arg.fsPath === 'string' && arg.scheme === 'file') return arg.fsPath;
  return undefined;
}

/** An experiment file from a command argument (tree node, explorer/editor `Uri`, path). */
export function experimentFileFromArg(arg: unknown): string | undefined {
  if (typeof arg === 'string' && arg.length > 0) return arg;
  if (!isRecord(arg)) return undefined;
  if (arg.kind === 'experiment' && typeof arg.file === 'string') return arg.file;
  if (typeof arg.fsPath === 'string' && (arg.scheme === 'file' || arg.scheme === 'vscode-remote')) return arg.fsPath;
  if (typeof arg.experimentFile === 'string') return arg.experimentFile;
  return undefined;
}

/** Run directories of a multi-selection: `(clicked, selected[])` from a tree, or a list. */
export function runDirsFromArgs(first: unknown, second: unknown): string[] {
  const list: unknown[] = Array.isArray(second) && second.length > 0 ? second : Array.isArray(first) ? first : first === undefined ? [] : [first];
  const dirs = list.map(runDirFromArg).filter((d): d is string => d !== undefined);
  return [...new Set(dirs)];
}
