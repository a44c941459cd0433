/**
 * A small stand-in for the `vscode` module, for unit tests of extension classes outside the
 * editor. Importing this file installs it (before the code under test is imported): `require
 * ('vscode')` then returns `vscodeMock`. It holds what the classes under test touch, and the
 * classes vscode-languageclient extends when it loads; the end-to-end tests use the real editor.
 */
import Module from 'node:module';

type Listener<T> = (value: T) => unknown;

export class Disposable {
  constructor(private readonly fn: () => unknown) {}
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => items.forEach((i) => i.dispose()));
  }
  dispose(): void {
    this.fn();
  }
}

export class EventEmitter<T> {
  private listeners = new Set<Listener<T>>();
  readonly event = (listener: Listener<T>): Disposable => {
    this.listeners.add(listener);
    return new Disposable(() => this.listeners.delete(listener));
  };
  fire(value: T): void {
    for (const l of [...this.listeners]) l(value);
  }
  dispose(): void {
    this.listeners.clear();
  }
}

/** Every `commands.executeCommand` call, in order. */
export const executedCommands: unknown[][] = [];
/** The values `workspace.getConfiguration(section).inspect(key)` reports as the user's. */
export const globalSettings = new Map<string, unknown>();
/** Messages shown through `window.show*Message`, in order. */
export const shownMessages: { level: 'error' | 'warning' | 'info'; text: string }[] = [];
/** What `window.showQuickPick` answers: by default the first item. */
export const quickPick: { answer: <T>(items: readonly T[]) => T | undefined } = { answer: (items) => items[0] };

const show = (level: 'error' | 'warning' | 'info') => async (text: string) => {
  shownMessages.push({ level, text });
  return undefined;
};
const noCancel = { isCancellationRequested: false, onCancellationRequested: () => new Disposable(() => {}) };

class Placeholder {}

export const vscodeMock = {
  Disposable,
  EventEmitter,
  // Classes vscode-languageclient extends at load time.
  CompletionItem: class extends Placeholder {},
  CodeLens: class extends Placeholder {},
  DocumentLink: class extends Placeholder {},
  CodeAction: class extends Placeholder {},
  Diagnostic: class extends Placeholder {},
  CallHierarchyItem: class extends Placeholder {},
  TypeHierarchyItem: class extends Placeholder {},
  SymbolInformation: class extends Placeholder {},
  InlayHint: class extends Placeholder {},
  CancellationError: class extends Error {},
  ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
  ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
  workspace: {
    isTrusted: true,
    workspaceFolders: undefined,
    createFileSystemWatcher: () => ({ dispose() {}, onDidCreate: () => new Disposable(() => {}), onDidChange: () => new Disposable(() => {}), onDidDelete: () => new Disposable(() => {}) }),
    getConfiguration: (section?: string) => ({
      get: <T>(_key: string, fallback?: T) => fallback,
      inspect: <T>(key: string) => ({ key, globalValue: globalSettings.get(section ? `${section}.${key}` : key) as T | undefined }),
      update: async (key: string, value: unknown) => {
        globalSettings.set(section ? `${section}.${key}` : key, value);
      },
    }),
  },
  commands: {
    executeCommand: async (...args: unknown[]) => {
      executedCommands.push(args);
      return undefined;
    },
    registerCommand: () => new Disposable(() => {}),
  },
  window: {
    showErrorMessage: show('error'),
    showWarningMessage: show('warning'),
    showInformationMessage: show('info'),
    showQuickPick: async <T>(items: readonly T[]) => quickPick.answer(items),
    withProgress: async <R>(_options: unknown, task: (progress: { report(): void }, token: typeof noCancel) => Promise<R>) => task({ report() {} }, noCancel),
  },
};

const loader = Module as unknown as { _load(request: string, parent: unknown, isMain: boolean): unknown };
const load = loader._load;
loader._load = function (request: string, parent: unknown, isMain: boolean): unknown {
  if (request === 'vscode') return vscodeMock;
  return load.call(this, request, parent, isMain);
};
