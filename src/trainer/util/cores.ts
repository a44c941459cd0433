import * as os from 'node:os';

/** The cores this process may run on (its CPU affinity where Node can tell, else all of them). */
export function availableCores(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}
