import { availableCores } from '../util/cores';

/**
 * When a run trains its student alone on a second thread beside its teacher (aloneBeside.ts):
 * by default where a core is spare. Whoever starts several runs at once on one machine (the
 * editor's run queue with `skdLab.concurrentRuns` above 1, a local sweep) gives each run one core
 * and turns it off through the environment; a user's own setting is kept.
 */
export const ALONE_BESIDE_ENV = 'SKD_ALONE_BESIDE';

/** Whether a run trains its student alone beside its teacher unless told otherwise (`1` asks for it whatever the cores). */
export function aloneBesideByDefault(env: NodeJS.ProcessEnv = process.env, cores = availableCores()): boolean {
  return env[ALONE_BESIDE_ENV] === '1' || (cores > 1 && env[ALONE_BESIDE_ENV] !== '0');
}

/** The environment of a run started beside `runsAtOnce - 1` others: one core each. */
export function aloneBesideEnv(runsAtOnce: number, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return runsAtOnce > 1 && env[ALONE_BESIDE_ENV] === undefined ? { [ALONE_BESIDE_ENV]: '0' } : {};
}
