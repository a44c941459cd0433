import * as path from 'node:path';
import { registerDataFormat } from './data';
import type { DataFormat } from './data/types';
import { PLUGINS_ENV } from '../protocol/lsp';
import { InputError } from './errors';
import { registerExportFormat } from './export';
import type { ExportFormat } from './export/types';
import { registerMethod } from './methods';
import type { MethodFactory } from './methods/types';
import { registerModelFamily } from './models';
import type { ModelFamily } from './models/types';

/**
 * Plugin modules: CommonJS files that add a distillation method (`name` + `create`), a model
 * family (`family`), a data format (`dataFormat`) or an export format (`exportFormat`), any
 * of them in one module. The extension's API (`registerPlugin`) hands their paths to the
 * language server, which passes them to every run in `SKD_PLUGINS` (paths joined by the
 * platform's path delimiter); the command line reads the same variable.
 */

interface PluginModule {
  name?: unknown;
  create?: unknown;
  family?: ModelFamily;
  dataFormat?: DataFormat;
  exportFormat?: ExportFormat;
}

/** Loads one plugin module and registers what it provides; returns what it registered. */
export function loadPlugin(modulePath: string): string[] {
  const resolved = path.resolve(modulePath);
  let mod: PluginModule;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(resolved) as PluginModule;
  } catch (e) {
    throw new InputError(modulePath, undefined, `cannot load the plugin module: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`);
  }
  const added: string[] = [];
  if (typeof mod.name === 'string' && typeof mod.create === 'function') {
    registerMethod(mod.name, mod.create as MethodFactory);
    added.push(`method ${mod.name}`);
  }
  if (mod.family && typeof mod.family.build === 'function') {
    registerModelFamily(mod.family);
    added.push(`model ${mod.family.name}`);
  }
  if (mod.dataFormat && typeof mod.dataFormat.load === 'function') {
    registerDataFormat(mod.dataFormat);
    added.push(`data format ${mod.dataFormat.name}`);
  }
  if (mod.exportFormat && typeof mod.exportFormat.write === 'function') {
    registerExportFormat(mod.exportFormat);
    added.push(`export format ${mod.exportFormat.name}`);
  }
  if (added.length === 0) {
    throw new InputError(modulePath, undefined, 'a plugin module must export a method (`name` and `create`), `family`, `dataFormat` or `exportFormat`');
  }
  return added;
}

/** Loads the plugins named in SKD_PLUGINS, if any. */
export function loadPluginsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  const list = (env[PLUGINS_ENV] ?? '').split(path.delimiter).filter((p) => p.trim().length > 0);
  return list.flatMap((p) => loadPlugin(p));
}
