import { InputError } from '../errors';
import { Registry } from '../registry';
import { at } from './at';
import { dkd } from './dkd';
import { fitnet } from './fitnet';
import { kd } from './kd';
import { none } from './none';
import { rco } from './rco';
import { skd, skdNoStages, skdNoTbt, skdNoTet } from './skd';
import type { MethodFactory } from './types';

/**
 * Distillation methods by name (mdistiller's `distiller_dict`): the one list every method name
 * comes from: validation, the editor's completion, the JSON Schema's enum (kept in step by
 * test/unit/config/schemaNames.test.ts), `skd bench methods`' default list. Plugin modules add
 * theirs through src/trainer/plugins.ts.
 */
const BUILTIN_METHODS = [
  ['none', none, 'the student alone (cross-entropy only)'],
  ['kd', kd, "Hinton's knowledge distillation"],
  ['fitnet', fitnet, 'hint layers (FitNets)'],
  ['at', at, 'attention transfer'],
  ['rco', rco, 'route-constrained optimization (teacher checkpoints as a curriculum)'],
  ['dkd', dkd, 'decoupled KD'],
  ['skd', skd, 'skill-transferring KD (TBT + TET + stages)'],
  ['skd-no-tbt', skdNoTbt, 'SKD without teacher behaviour teaching'],
  ['skd-no-tet', skdNoTet, 'SKD without teacher experience teaching'],
  ['skd-no-stages', skdNoStages, 'SKD without learning stages'],
] as const satisfies readonly (readonly [string, MethodFactory, string])[];

/** The name of a built-in method; a method's name in general is a string checked with `isMethodName`. */
export type BuiltinMethodName = (typeof BUILTIN_METHODS)[number][0];

export const methodRegistry = new Registry<MethodFactory>('method');
for (const [name, factory, summary] of BUILTIN_METHODS) methodRegistry.registerBuiltin(name, factory, summary);

/** Names of the registered methods: the built-ins in table order, then plugins. */
export function methodNames(): string[] {
  return methodRegistry.names();
}

export function builtinMethodNames(): BuiltinMethodName[] {
  return methodRegistry.builtinNames() as BuiltinMethodName[];
}

export function isMethodName(name: unknown): boolean {
  return typeof name === 'string' && methodRegistry.has(name);
}

/** "none: the student alone; kd: ...": the built-ins with their one-line summaries. */
export function methodSummaries(): string {
  return methodRegistry.builtinNames().map((n) => `${n}: ${methodRegistry.summary(n)}`).join('; ');
}

/** Registers a plugin's method; `origin` is the plugin module's path (src/trainer/plugins.ts). */
export function registerMethod(name: string, factory: MethodFactory, origin: string): void {
  if (typeof factory !== 'function') throw new TypeError(`method "${name}": the factory must be a function`);
  methodRegistry.register(name, factory, origin);
}

/** The factory of a registered method; an InputError naming `method.name` if there is none. */
export function getMethod(name: string, experimentFile = 'experiment'): MethodFactory {
  const factory = methodRegistry.get(name);
  if (!factory) {
    throw new InputError(experimentFile, 'method.name', `unknown method "${name}" (known: ${methodNames().join(', ')}; or give method.module)`);
  }
  return factory;
}
