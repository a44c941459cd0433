import './vscodeMock';
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import type * as vscode from 'vscode';
import { type LanguageClient, type LanguageClientOptions, type ServerOptions, State } from 'vscode-languageclient/node';
import { RunStatusNotification, type RunInfo, type TrainerSettings } from '../../../src/protocol/lsp';
import { TFJS_NODE_PATH_ENV } from '../../../src/protocol/nativeBackend';
import { TrainerClient } from '../../../src/extension/languageClient/trainerClient';
import { ContextKeys } from '../../../src/extension/constants';
import { executedCommands, globalSettings } from './vscodeMock';

type Handler = (value: unknown) => void;

/** The part of a LanguageClient that TrainerClient uses, with no server process behind it. */
class FakeLanguageClient {
  state = State.Stopped;
  readonly notifications = new Map<string, Set<Handler>>();
  readonly stateListeners = new Set<Handler>();

  constructor(readonly serverOptions: ServerOptions) {}

  listenerCount(): number {
    let n = this.stateListeners.size;
    for (const set of this.notifications.values()) n += set.size;
    return n;
  }

  onNotification(type: { method: string }, handler: Handler): vscode.Disposable {
    const set = this.notifications.get(type.method) ?? new Set<Handler>();
    this.notifications.set(type.method, set);
    set.add(handler);
    return { dispose: () => set.delete(handler) };
  }

  onDidChangeState(listener: Handler): vscode.Disposable {
    this.stateListeners.add(listener);
    return { dispose: () => this.stateListeners.delete(listener) };
  }

  notify(method: string, params: unknown): void {
    for (const h of this.notifications.get(method) ?? []) h(params);
  }

  private setState(newState: State): void {
    const oldState = this.state;
    this.state = newState;
    for (const l of [...this.stateListeners]) l({ oldState, newState });
  }

  async start(): Promise<void> {
    this.setState(State.Starting);
    this.setState(State.Running);
  }

  needsStop(): boolean {
    return this.state !== State.Stopped;
  }

  async stop(): Promise<void> {
    this.setState(State.Stopped);
  }
}

const log = { info() {}, warn() {}, error() {}, show() {} } as unknown as vscode.LogOutputChannel;
const context = { asAbsolutePath: (p: string) => `/extension/${p}` } as unknown as vscode.ExtensionContext;
const settings = (): TrainerSettings => ({ nodePath: '', concurrentRuns: 1, trusted: true, pluginModules: [] });
const run = (dir: string) => ({ dir, state: 'running' }) as unknown as RunInfo;

function trainerWithFakes(): { trainer: TrainerClient; clients: FakeLanguageClient[] } {
  const clients: FakeLanguageClient[] = [];
  const factory = (serverOptions: ServerOptions, _options: LanguageClientOptions) => {
    const fake = new FakeLanguageClient(serverOptions);
    clients.push(fake);
    return fake as unknown as LanguageClient;
  };
  return { trainer: new TrainerClient(context, log, settings, factory), clients };
}

test('client lifecycle: a restart disposes the old client\'s listeners and registers the new ones once', async () => {
  const { trainer, clients } = trainerWithFakes();
  const statuses: string[] = [];
  let ready = 0;
  trainer.onRunStatus((info) => statuses.push(info.dir));
  trainer.onReady(() => ready++);

  await trainer.start();
  assert.equal(clients.length, 1);
  const first = clients[0] as FakeLanguageClient;
  const perClient = first.listenerCount();
  assert.equal(perClient, 4, 'three notifications (metrics, run status, log) and the state');
  assert.equal(ready, 1);

  await trainer.restart();
  await trainer.restart();
  assert.equal(clients.length, 3);
  const [, second, third] = clients as [FakeLanguageClient, FakeLanguageClient, FakeLanguageClient];
  assert.equal(first.listenerCount(), 0, 'the first client keeps no listener after its stop');
  assert.equal(second.listenerCount(), 0, 'nor does the second');
  assert.equal(third.listenerCount(), perClient, 'the running client has each listener once');
  assert.equal(ready, 3, 'ready once per start');

  first.notify(RunStatusNotification.method, run('/runs/old'));
  third.notify(RunStatusNotification.method, run('/runs/new'));
  assert.deepEqual(statuses, ['/runs/new'], 'one event from the running client, none from a stopped one');

  // The context key follows the client: the stopped clients' listeners saw their stop first.
  const running = executedCommands.filter((c) => c[0] === 'setContext' && c[1] === ContextKeys.trainerRunning).map((c) => c[2]);
  assert.deepEqual(running.slice(-1), [true]);
  assert.ok(running.includes(false));

  trainer.dispose();
  assert.equal(third.listenerCount(), 0, 'disposing the trainer client drops the running client\'s listeners');
});

test('client lifecycle: the trainer gets skdLab.tfjsNodePath as SKD_TFJS_NODE_PATH, read at each start', async () => {
  const { trainer, clients } = trainerWithFakes();
  const envOf = (c: FakeLanguageClient | undefined) => (c?.serverOptions as { run: { options?: { env?: Record<string, string> } } }).run.options?.env ?? {};
  globalSettings.delete('skdLab.tfjsNodePath');
  await trainer.start();
  assert.equal(envOf(clients[0])[TFJS_NODE_PATH_ENV], undefined);
  globalSettings.set('skdLab.tfjsNodePath', '/opt/skd-native');
  await trainer.restart();
  assert.equal(envOf(clients[1])[TFJS_NODE_PATH_ENV], '/opt/skd-native');
  trainer.dispose();
  globalSettings.delete('skdLab.tfjsNodePath');
});
