/**
 * The trainer's settings: defaults, and merging what the client sends (in
 * `initializationOptions` and `workspace/didChangeConfiguration`), field by field, so a
 * malformed value never replaces a good one.
 */
import type { TrainerSettings } from '../../protocol/lsp';

export function defaultSettings(): TrainerSettings {
  return {
    nodePath: process.execPath,
    concurrentRuns: 1,
    // Nothing runs until the client says the workspace is trusted.
    trusted: false,
    pluginModules: [],
  };
}

/**
 * Accepts `TrainerSettings`, `{ skdLab: TrainerSettings }` or `{ settings: ... }` (the shape of
 * `didChangeConfiguration` params), partial or whole.
 */
export function mergeSettings(current: TrainerSettings, incoming: unknown): TrainerSettings {
  const raw = unwrap(incoming);
  if (!raw) return current;
  const next = { ...current };
  if (typeof raw.nodePath === 'string' && raw.nodePath.length > 0) next.nodePath = raw.nodePath;
  if (typeof raw.concurrentRuns === 'number' && Number.isFinite(raw.concurrentRuns)) {
    next.concurrentRuns = Math.max(1, Math.min(64, Math.floor(raw.concurrentRuns)));
  }
  if (typeof raw.trusted === 'boolean') next.trusted = raw.trusted;
  if (Array.isArray(raw.pluginModules)) next.pluginModules = raw.pluginModules.filter((m): m is string => typeof m === 'string');
  return next;
}

function unwrap(value: unknown): Record<string, unknown> | undefined {
  let v = value;
  for (let i = 0; i < 3; i++) {
    if (typeof v !== 'object' || v === null) return undefined;
    const o = v as Record<string, unknown>;
    if ('settings' in o) v = o.settings;
    else if ('skdLab' in o) v = o.skdLab;
    else return o;
  }
  return undefined;
}
