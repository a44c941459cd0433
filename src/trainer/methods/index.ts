import { BUILTIN_METHOD_SUMMARIES, type BuiltinMethodName } from '../../protocol/methods';
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
 * Distillation methods by name (mdistiller's `distiller_dict`): the one registry every method name
 * is checked against: validation, the editor's completion, the JSON Schema's enum (kept in step by
 * test/unit/config/schemaNames.test.ts), `skd bench methods`' default list. The names, their order
 * and summaries are src/protocol/methods.ts's (the extension reads them too); here each gets its
 * implementation. Plugin modules add theirs through src/trainer/plugins.ts.
 */
const BUILTIN_FACTORIES: Record<BuiltinMethodName, MethodFactory> = {
  none,
  kd,
  fitnet,
  at,
  rco,
  dkd,
  skd,
  'skd-no-tbt': skdNoTbt,
  'skd-no-tet': skdNoTet,
  'skd-no-stages': skdNoStages,
};

export type { BuiltinMethodName };

export const methodRegistry = new Registry<MethodFactory>('method');
for (const [name, summary] of BUILTIN_METHOD_SUMMARIES) methodRegistry.registerBuiltin(name, BUILTIN_FACTORIES[name], summary);

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
