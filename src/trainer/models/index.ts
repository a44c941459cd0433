import type { ModelSpec } from '../../protocol/experiment';
import { InputError } from '../errors';
import { cnn } from './cnn';
import { mobilenet } from './mobilenet';
import { resnet } from './resnet';
import type { BuiltModel, ModelContext, ModelFamily } from './types';

/** Model families by name; a plugin module adds one with `registerModelFamily`. */
const families = new Map<string, ModelFamily>([cnn, resnet, mobilenet].map((f) => [f.name, f]));

export function registerModelFamily(family: ModelFamily): void {
  families.set(family.name, family);
}

export function modelFamilyNames(): string[] {
  return [...families.keys()];
}

export function buildModel(spec: ModelSpec, ctx: ModelContext): BuiltModel {
  const family = families.get(spec.model);
  if (!family) {
    throw new InputError(ctx.experimentFile, `${ctx.field}.model`, `unknown model "${spec.model}" (known: ${modelFamilyNames().join(', ')})`);
  }
  return family.build(spec, ctx);
}

/**
 * A plugin module that provides a model family: it exports `family` (a ModelFamily).
 */
export function loadModelModule(modulePath: string): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(modulePath) as { family?: ModelFamily };
  if (!mod.family || typeof mod.family.build !== 'function' || typeof mod.family.name !== 'string') {
    throw new InputError(modulePath, 'family', 'a model plugin must export `family` with a `name` and a `build(spec, ctx)`');
  }
  registerModelFamily(mod.family);
}
