import * as path from 'node:path';
import type { DataFormat } from './data/types';
import { PLUGINS_ENV } from '../protocol/lsp';
import { InputError } from './errors';
import type { ExportFormat } from './export/types';
import { methodRegistry, registerMethod } from './methods';
import type { MethodFactory } from './methods/types';
import { modelRegistry, registerModelFamily } from './models';
import type { ModelFamily } from './models/types';

/**
 * Plugin modules, the one loader: CommonJS files that add a distillation method (`name` +
 * `create`), a model family (`family`), a data format (`dataFormat`) or an export format
 * (`exportFormat`), any of them in one module. The extension's API (`registerPlugin`) hands
 * their paths to the language server, which loads them itself (so its diagnostics and
 * completion know their names) and passes them to every run in `SKD_PLUGINS` (paths joined by
 * the platform's path delimiter); the command line reads the same variable, and an
 * experiment's `method.module` is loaded the same way.
 *
 * Methods and model families are registered here; data and export formats only where the
 * caller hands their registries in (`FormatRegistrars`: the command line, src/trainer/
 * pluginFormats.ts), so the language server's bundle stays free of the data and export code.
 */

/** Where the data and export formats of a plugin go; absent in the language server. */
export interface FormatRegistrars {
  dataFormat(format: DataFormat): void;
  exportFormat(format: ExportFormat): void;
}

interface PluginModule {
  name?: unknown;
  create?: unknown;
  family?: ModelFamily;
  dataFormat?: DataFormat;
  exportFormat?: ExportFormat;
}

export interface LoadPluginOptions {
  /** The field errors name (`method.module` for an experiment's module); none for SKD_PLUGINS. */
  field?: string;
  /** Read the file again even if this process loaded it before (the server, after an edit). */
  fresh?: boolean;
  formats?: FormatRegistrars;
}

/** Loads one plugin module and registers what it provides; returns what it registered. */
export function loadPlugin(modulePath: string, opts: LoadPluginOptions = {}): string[] {
  const resolved = path.resolve(modulePath);
  const fail = (reason: string) => new InputError(modulePath, opts.field, reason);
  let mod: PluginModule;
  try {
    if (opts.fresh) delete require.cache[require.resolve(resolved)];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(resolved) as PluginModule;
  } catch (e) {
    throw fail(`cannot load the plugin module: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`);
  }
  if (typeof mod !== 'object' || mod === null) throw fail('a plugin module must export an object');
  const added: string[] = [];
  const register = (what: string, f: () => void) => {
    try {
      f();
    } catch (e) {
      throw fail((e as Error).message ?? String(e));
    }
    added.push(what);
  };
  if (typeof mod.name === 'string' && typeof mod.create === 'function') {
    register(`method ${mod.name}`, () => registerMethod(mod.name as string, mod.create as MethodFactory, resolved));
  }
  if (mod.family && typeof mod.family.build === 'function') {
    const family = mod.family;
    register(`model ${family.name}`, () => registerModelFamily(family, resolved));
  }
  if (mod.dataFormat && typeof mod.dataFormat.load === 'function') {
    const format = mod.dataFormat;
    register(`data format ${format.name}`, () => opts.formats?.dataFormat(format));
  }
  if (mod.exportFormat && typeof mod.exportFormat.write === 'function') {
    const format = mod.exportFormat;
    register(`export format ${format.name}`, () => opts.formats?.exportFormat(format));
  }
  if (added.length === 0) {
    throw fail('a plugin module must export a method (`name` and `create`), `family`, `dataFormat` or `exportFormat`');
  }
  return added;
}

/**
 * An experiment's `method.module`: a plugin that must provide a method; returns its name.
 * Errors name the module and `method.module`.
 */
export function loadMethodPlugin(modulePath: string): string {
  const added = loadPlugin(modulePath, { field: 'method.module' });
  const method = added.find((a) => a.startsWith('method '));
  if (!method) throw new InputError(modulePath, 'method.module', 'a method plugin must export `name` (a string) and `create` (a MethodFactory)');
  return method.slice('method '.length);
}

/**
 * Forgets the methods and model families a plugin module registered (the language server, when
 * the extension drops the plugin); returns what was removed. Data and export formats only
 * matter inside a run, which loads its plugins afresh, so they are left as they are.
 */
export function unloadPlugin(modulePath: string): string[] {
  const resolved = path.resolve(modulePath);
  return [
    ...methodRegistry.unregisterOrigin(resolved).map((n) => `method ${n}`),
    ...modelRegistry.unregisterOrigin(resolved).map((n) => `model ${n}`),
  ];
}

/** The plugin paths named in SKD_PLUGINS, if any. */
export function pluginsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env[PLUGINS_ENV] ?? '').split(path.delimiter).filter((p) => p.trim().length > 0);
}

/** Loads the plugins named in SKD_PLUGINS, if any. */
export function loadPluginsFromEnv(env: NodeJS.ProcessEnv = process.env, formats?: FormatRegistrars): string[] {
  return pluginsFromEnv(env).flatMap((p) => loadPlugin(p, { formats }));
}
