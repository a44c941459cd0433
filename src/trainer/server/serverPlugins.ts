/**
 * The plugin modules the language server has loaded, kept equal to the list the client sends
 * (`TrainerSettings.pluginModules`, from the extension's `registerPlugin` API), so diagnostics,
 * completion and the check before a run know the methods and model families plugins add. The
 * loader is the command line's (src/trainer/plugins.ts); a run loads its plugins again itself.
 */
import * as path from 'node:path';
import { loadPlugin, unloadPlugin } from '../plugins';

export interface PluginUpdate {
  /** Whether the known names may have changed (documents should be checked again). */
  changed: boolean;
  /** What each newly loaded module registered ("method kd-half"). */
  loaded: string[];
  /** One line per module that could not be loaded (it is tried again on the next update). */
  errors: string[];
}

export class ServerPlugins {
  /** Resolved module path -> what it registered. */
  private readonly loaded = new Map<string, string[]>();

  /** The loaded modules' paths, in load order. */
  modules(): string[] {
    return [...this.loaded.keys()];
  }

  /**
   * Loads the modules of `modulePaths` that are not loaded yet and forgets those no longer
   * named. A module is read afresh when it comes (back), so an edited plugin is picked up by
   * dropping and adding it again.
   */
  update(modulePaths: readonly string[]): PluginUpdate {
    const wanted = [...new Set(modulePaths.filter((p) => typeof p === 'string' && p.trim().length > 0).map((p) => path.resolve(p)))];
    const result: PluginUpdate = { changed: false, loaded: [], errors: [] };
    for (const module of [...this.loaded.keys()]) {
      if (wanted.includes(module)) continue;
      unloadPlugin(module);
      this.loaded.delete(module);
      result.changed = true;
    }
    for (const module of wanted) {
      if (this.loaded.has(module)) continue;
      try {
        const added = loadPlugin(module, { fresh: true });
        this.loaded.set(module, added);
        result.loaded.push(...added);
        result.changed = true;
      } catch (e) {
        // What it registered before failing goes too, so a retry starts clean.
        if (unloadPlugin(module).length > 0) result.changed = true;
        result.errors.push((e as Error).message ?? String(e));
      }
    }
    return result;
  }

  dispose(): void {
    this.update([]);
  }
}
