/**
 * The plugin API that `activate()` returns: other extensions register module paths that
 * provide a distillation method, a model family, a dataset format or an export format. The
 * paths go to the trainer in `TrainerSettings.pluginModules` (only in a trusted workspace), whose
 * language server loads them with the command line's loader (src/trainer/plugins.ts), so its
 * diagnostics and completion know their names, and hands them to every run.
 */
import * as path from 'node:path';
import { Emitter, type DisposableLike } from '../util/disposable';

export type PluginKind = 'method' | 'model' | 'dataset' | 'export';
export const PLUGIN_KINDS: readonly PluginKind[] = ['method', 'model', 'dataset', 'export'];

export interface SkdLabApi {
  registerPlugin(kind: PluginKind, modulePath: string): DisposableLike;
}

interface Registration {
  kind: PluginKind;
  modulePath: string;
}

export class PluginRegistry {
  private readonly registrations: Registration[] = [];
  private readonly changed = new Emitter<void>();
  readonly onDidChange = this.changed.event;

  /** Module paths, each once, in registration order. */
  modules(): string[] {
    return [...new Set(this.registrations.map((r) => r.modulePath))];
  }

  register(kind: unknown, modulePath: unknown): DisposableLike {
    if (typeof kind !== 'string' || !(PLUGIN_KINDS as readonly string[]).includes(kind)) {
      throw new TypeError(`registerPlugin: kind must be one of ${PLUGIN_KINDS.join(', ')}`);
    }
    if (typeof modulePath !== 'string' || !path.isAbsolute(modulePath) || modulePath.includes('\0')) {
      throw new TypeError('registerPlugin: modulePath must be an absolute path');
    }
    const reg: Registration = { kind: kind as PluginKind, modulePath: path.normalize(modulePath) };
    this.registrations.push(reg);
    this.changed.fire();
    let disposed = false;
    return {
      dispose: () => {
        if (disposed) return;
        disposed = true;
        const i = this.registrations.indexOf(reg);
        if (i >= 0) this.registrations.splice(i, 1);
        this.changed.fire();
      },
    };
  }

  api(): SkdLabApi {
    return { registerPlugin: (kind, modulePath) => this.register(kind, modulePath) };
  }

  dispose(): void {
    this.changed.dispose();
  }
}
