import type { ModelSpec } from '../../protocol/experiment';
import { InputError } from '../errors';
import { Registry } from '../registry';
import { cnn } from './cnn';
import { mobilenet } from './mobilenet';
import { resnet } from './resnet';
import type { BuiltModel, ModelContext, ModelFamily } from './types';

/**
 * Model families by name: the one list model names come from (validation, completion, the
 * JSON Schema's enum, kept in step by test/unit/config/schemaNames.test.ts). Plugin modules add
 * theirs through src/trainer/plugins.ts.
 */
const BUILTIN_MODELS = [
  [cnn, 'three conv blocks'],
  [resnet, 'CIFAR-style ResNet, depth 6n+2'],
  [mobilenet, 'depthwise-separable blocks'],
] as const satisfies readonly (readonly [ModelFamily, string])[];

export const modelRegistry = new Registry<ModelFamily>('model');
for (const [family, summary] of BUILTIN_MODELS) modelRegistry.registerBuiltin(family.name, family, summary);

/** Registers a plugin's model family; `origin` is the plugin module's path (src/trainer/plugins.ts). */
export function registerModelFamily(family: ModelFamily, origin: string): void {
  if (!family || typeof family.name !== 'string' || typeof family.build !== 'function') {
    throw new TypeError('a model family needs a `name` and a `build(spec, ctx)`');
  }
  modelRegistry.register(family.name, family, origin);
}

/** Names of the registered model families: the built-ins, then plugins. */
export function modelFamilyNames(): string[] {
  return modelRegistry.names();
}

export function builtinModelNames(): string[] {
  return modelRegistry.builtinNames();
}

export function isModelName(name: unknown): boolean {
  return typeof name === 'string' && modelRegistry.has(name);
}

/** "resnet (CIFAR-style ResNet, depth 6n+2), cnn (...)": the built-ins with their summaries. */
export function modelSummaries(): string {
  return modelRegistry.builtinNames().map((n) => `${n} (${modelRegistry.summary(n)})`).join(', ');
}

export function buildModel(spec: ModelSpec, ctx: ModelContext): BuiltModel {
  const family = modelRegistry.get(spec.model);
  if (!family) {
    throw new InputError(ctx.experimentFile, `${ctx.field}.model`, `unknown model "${spec.model}" (known: ${modelFamilyNames().join(', ')})`);
  }
  return family.build(spec, ctx);
}
