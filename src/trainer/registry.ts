/**
 * A registry of named plugins of one kind (distillation methods, model families): the one
 * place their names come from. The built-ins are registered explicitly by the module that owns
 * the registry; plugin modules are registered under their origin (the module's path), so the
 * language server can drop what a plugin brought when the plugin goes away.
 */

interface Entry<T> {
  value: T;
  /** One line for help texts and the schema's description; built-ins have one. */
  summary?: string;
  /** Absent for a built-in; the plugin module's path otherwise. */
  origin?: string;
}

export class Registry<T> {
  private readonly entries = new Map<string, Entry<T>>();

  /** `kind` names the plugin kind in messages ("method", "model"). */
  constructor(readonly kind: string) {}

  registerBuiltin(name: string, value: T, summary: string): void {
    this.check(name, value);
    if (this.entries.has(name)) throw new Error(`the built-in ${this.kind} "${name}" is registered twice`);
    this.entries.set(name, { value, summary });
  }

  /**
   * Registers a plugin's entry. A name is the plugin's own: taking a built-in's or another
   * module's name throws (the message says which); the same module registering again replaces
   * its earlier entry (a reloaded plugin).
   */
  register(name: string, value: T, origin: string): void {
    this.check(name, value);
    const existing = this.entries.get(name);
    if (existing && existing.value !== value && existing.origin !== origin) {
      const owner = existing.origin === undefined ? 'a built-in' : `the plugin ${existing.origin}`;
      throw new Error(`the ${this.kind} name "${name}" is already taken by ${owner}`);
    }
    this.entries.set(name, { value, origin });
  }

  /** Removes what one plugin module registered; returns the names removed. */
  unregisterOrigin(origin: string): string[] {
    const removed: string[] = [];
    for (const [name, entry] of this.entries) {
      if (entry.origin === origin) {
        this.entries.delete(name);
        removed.push(name);
      }
    }
    return removed;
  }

  get(name: string): T | undefined {
    return this.entries.get(name)?.value;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** Every name known now: the built-ins in their order, then plugins in registration order. */
  names(): string[] {
    return [...this.entries.keys()];
  }

  builtinNames(): string[] {
    return [...this.entries].filter(([, e]) => e.origin === undefined).map(([name]) => name);
  }

  /** The names that plugin modules added. */
  pluginNames(): string[] {
    return [...this.entries].filter(([, e]) => e.origin !== undefined).map(([name]) => name);
  }

  summary(name: string): string | undefined {
    return this.entries.get(name)?.summary;
  }

  private check(name: string, value: T): void {
    if (typeof name !== 'string' || name.length === 0) throw new TypeError(`a ${this.kind} needs a non-empty name`);
    if (value === undefined || value === null) throw new TypeError(`${this.kind} "${name}": nothing to register`);
  }
}
