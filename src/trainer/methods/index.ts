import * as path from 'node:path';
import { InputError } from '../errors';
import { at } from './at';
import { dkd } from './dkd';
import { fitnet } from './fitnet';
import { kd } from './kd';
import { none } from './none';
import { rco } from './rco';
import type { MethodFactory } from './types';

/**
 * Distillation methods by name (mdistiller's `distiller_dict`). The baselines are built in;
 * SKD and its ablations register themselves with `registerMethod`, and a user's module is
 * added with `loadMethodModule`.
 */
const methods = new Map<string, MethodFactory>([
  ['none', none],
  ['kd', kd],
  ['fitnet', fitnet],
  ['at', at],
  ['rco', rco],
  ['dkd', dkd],
]);

/** Names of the registered methods, in registration order; kept current by `registerMethod`. */
export const METHOD_NAMES: readonly string[] = [...methods.keys()];

export function registerMethod(name: string, factory: MethodFactory): void {
  if (typeof name !== 'string' || name.length === 0) throw new TypeError('a method needs a non-empty name');
  if (typeof factory !== 'function') throw new TypeError(`method "${name}": the factory must be a function`);
  if (!methods.has(name)) (METHOD_NAMES as string[]).push(name);
  methods.set(name, factory);
}

/** The factory of a registered method; an InputError naming `method.name` if there is none. */
export function getMethod(name: string, experimentFile = 'experiment'): MethodFactory {
  const factory = methods.get(name);
  if (!factory) {
    throw new InputError(experimentFile, 'method.name', `unknown method "${name}" (known: ${METHOD_NAMES.join(', ')}; or give method.module)`);
  }
  return factory;
}

/**
 * A user's method plugin: a CommonJS module exporting `name` (a string) and `create` (a
 * MethodFactory). It is registered under its name, which is returned. A path is resolved
 * from the working directory.
 */
export function loadMethodModule(modulePath: string): string {
  const resolved = path.resolve(modulePath);
  let mod: { name?: unknown; create?: unknown };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(resolved) as typeof mod;
  } catch (e) {
    const reason = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    throw new InputError(modulePath, 'method.module', `cannot load the method module: ${reason}`);
  }
  if (typeof mod.name !== 'string' || mod.name.length === 0 || typeof mod.create !== 'function') {
    throw new InputError(modulePath, 'method.module', 'a method plugin must export `name` (a string) and `create` (a MethodFactory)');
  }
  const existing = methods.get(mod.name);
  if (existing && existing !== mod.create) {
    throw new InputError(modulePath, 'method.module', `the plugin's name "${mod.name}" is already taken by another method`);
  }
  registerMethod(mod.name, mod.create as MethodFactory);
  return mod.name;
}
