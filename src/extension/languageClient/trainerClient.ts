/**
 * Owns the trainer process (a language server in `dist/server.js`) through
 * vscode-languageclient, after lsp-sample and rust-analyzer's `Ctx`: start, restart, stop,
 * crash reporting, and the typed custom messages of `src/protocol/lsp.ts`.
 */
import * as vscode from 'vscode';
import {
  CloseAction,
  DidChangeConfigurationNotification,
  ErrorAction,
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  State,
  TransportKind,
  WorkDoneProgress,
  type WorkDoneProgressBegin,
  type WorkDoneProgressEnd,
  type WorkDoneProgressReport,
  type RequestType,
} from 'vscode-languageclient/node';
import {
  MetricsNotification,
  type MetricsParams,
  RunStatusNotification,
  TrainerLogNotification,
  type RunInfo,
  type TrainerInitializationOptions,
  type TrainerSettings,
} from '../../protocol/lsp';
import { Commands, ContextKeys, EXPERIMENT_GLOB } from '../constants';
import { tfjsNodeEnv } from '../native/tfjsNodePath';
import { Disposer } from '../util/disposable';

export type ProgressValue = WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd;

/** Crashes within this window count towards giving up on restarts. */
const CRASH_WINDOW_MS = 3 * 60_000;
const MAX_CRASHES = 5;

/** Makes the language client; tests pass one that starts no process. */
export type ClientFactory = (serverOptions: ServerOptions, clientOptions: LanguageClientOptions) => LanguageClient;

const languageClient: ClientFactory = (serverOptions, clientOptions) => new LanguageClient('skdTrainer', 'SKD Trainer', serverOptions, clientOptions);

export class TrainerClient implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private starting: Promise<LanguageClient> | undefined;
  private readonly disposer = new Disposer();
  /**
   * Listeners on the current language client (rust-analyzer's `clientSubscriptions`): made at
   * each start and disposed when that client stops, so a restart neither leaves the old client's
   * listeners behind nor registers them twice. Listeners on this object's own events live as long
   * as the extension (`disposer`).
   */
  private clientSubscriptions: Disposer | undefined;
  private readonly crashes: number[] = [];
  private readonly watcher = this.disposer.track(vscode.workspace.createFileSystemWatcher(EXPERIMENT_GLOB));

  private readonly metricsEmitter = this.disposer.track(new vscode.EventEmitter<MetricsParams>());
  private readonly statusEmitter = this.disposer.track(new vscode.EventEmitter<RunInfo>());
  private readonly readyEmitter = this.disposer.track(new vscode.EventEmitter<void>());
  /** New metric events of a run (`skd/metrics`). */
  readonly onMetrics = this.metricsEmitter.event;
  /** A run's status changed (`skd/runStatus`). */
  readonly onRunStatus = this.statusEmitter.event;
  /** The server is (again) running: after the first start and after every restart. */
  readonly onReady = this.readyEmitter.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    readonly log: vscode.LogOutputChannel,
    private readonly settings: () => TrainerSettings,
    private readonly createClient: ClientFactory = languageClient,
  ) {}

  get running(): boolean {
    return this.client?.state === State.Running;
  }

  /** Starts the server once; later calls wait for the same start. */
  start(): Promise<LanguageClient> {
    if (this.client && this.client.state !== State.Stopped) return this.starting ?? Promise.resolve(this.client);
    this.starting = this.createAndStart().catch((err: unknown) => {
      this.starting = undefined;
      throw err;
    });
    return this.starting;
  }

  private async createAndStart(): Promise<LanguageClient> {
    const settings = this.settings();
    let sentPlugins = settings.pluginModules;
    const module = this.context.asAbsolutePath('dist/server.js');
    const runtime = settings.nodePath || undefined;
    // Added to the editor's environment; the server passes it on to each run it starts.
    const env = tfjsNodeEnv();
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.ipc, runtime, options: { env } },
      debug: { module, transport: TransportKind.ipc, runtime, options: { env, execArgv: ['--nolazy', '--inspect=6019'] } },
    };
    const selector = (['file', 'vscode-remote'] as const).flatMap((scheme) =>
      ['json', 'jsonc'].map((language) => ({ scheme, language, pattern: EXPERIMENT_GLOB })),
    );
    const clientOptions: LanguageClientOptions = {
      documentSelector: selector,
      // VS Code's JSON support has the schema (`jsonValidation`): completion, hover and schema
      // problems come from it, and the server adds only what a schema cannot say.
      // Read at each (re)start, so a restarted server gets the plugins registered meanwhile.
      initializationOptions: () => {
        const current = this.settings();
        sentPlugins = current.pluginModules;
        return { ...current, schemaFeatures: false } satisfies TrainerInitializationOptions;
      },
      outputChannel: this.log,
      synchronize: { fileEvents: this.watcher },
      errorHandler: {
        error: (_error, _message, count) => ({ action: (count ?? 0) <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown }),
        closed: () => this.onServerClosed(),
      },
    };
    const client = this.createClient(serverOptions, clientOptions);
    this.client = client;
    // A client whose start failed was never stopped: its listeners go with it now.
    this.clientSubscriptions?.dispose();
    const subscriptions = new Disposer();
    this.clientSubscriptions = subscriptions;
    subscriptions.track(client.onNotification(MetricsNotification.type, (p) => this.metricsEmitter.fire(p)));
    subscriptions.track(client.onNotification(RunStatusNotification.type, (p) => this.statusEmitter.fire(p)));
    subscriptions.track(
      client.onNotification(TrainerLogNotification.type, (p) => {
        const line = p.dir ? `[${p.dir}] ${p.message}` : p.message;
        if (p.level === 'error') this.log.error(line);
        else if (p.level === 'warn') this.log.warn(line);
        else this.log.info(line);
      }),
    );
    subscriptions.track(
      client.onDidChangeState((e) => {
        void vscode.commands.executeCommand('setContext', ContextKeys.trainerRunning, e.newState === State.Running);
        if (e.newState === State.Running) this.readyEmitter.fire();
      }),
    );
    await client.start();
    // A plugin registered while the server was starting found it not running yet: send it now.
    if (this.settings().pluginModules.join('\n') !== sentPlugins.join('\n')) await this.sendSettings();
    return client;
  }

  /** Called by the client when the connection closes without a stop: restart and say so. */
  private onServerClosed(): { action: CloseAction; handled: boolean } {
    const t = Date.now();
    this.crashes.push(t);
    while (this.crashes.length > 0 && (this.crashes[0] ?? t) < t - CRASH_WINDOW_MS) this.crashes.shift();
    const giveUp = this.crashes.length > MAX_CRASHES;
    const text = giveUp
      ? `The SKD trainer stopped ${this.crashes.length} times in a few minutes and was not restarted. Its runs are resumable; use "Refresh" in the Experiments view to start it again.`
      : 'The SKD trainer stopped unexpectedly and was restarted. Runs it was training are shown as resumable.';
    this.log.error(text);
    void vscode.window.showErrorMessage(text, 'Show Trainer Log').then((choice) => {
      if (choice) void vscode.commands.executeCommand(Commands.showTrainerLog);
    });
    return { action: giveUp ? CloseAction.DoNotRestart : CloseAction.Restart, handled: true };
  }

  /** Sends a custom request once the server runs. */
  async request<P, R>(type: RequestType<P, R, void>, params: P, token?: vscode.CancellationToken): Promise<R> {
    const client = await this.start();
    return client.sendRequest(type, params, token);
  }

  /** Listens for `$/progress` of a work-done token the client created. */
  async onProgress(token: string | number, handler: (value: ProgressValue) => void): Promise<vscode.Disposable> {
    const client = await this.start();
    return client.onProgress(WorkDoneProgress.type, token, handler);
  }

  /** Sends the current settings (e.g. after a configuration or trust change, or a new plugin). */
  async sendSettings(): Promise<void> {
    if (!this.client || this.client.state !== State.Running) return;
    await this.client.sendNotification(DidChangeConfigurationNotification.type, { settings: { skdLab: this.settings() } });
  }

  /** Stops and starts again (e.g. the Node executable changed, or after giving up on restarts). */
  async restart(): Promise<void> {
    await this.stop();
    this.crashes.length = 0;
    await this.start();
  }

  /** The client stops the server (it checkpoints its runs); lsp-sample's `deactivate`. */
  async stop(): Promise<void> {
    const client = this.client;
    const subscriptions = this.clientSubscriptions;
    this.client = undefined;
    this.clientSubscriptions = undefined;
    this.starting = undefined;
    try {
      if (client && client.needsStop()) await client.stop(30_000);
    } catch (err) {
      this.log.warn(`trainer did not stop cleanly: ${String(err)}`);
    } finally {
      // After the stop, so the state listener has seen the client stop (the context key).
      subscriptions?.dispose();
    }
  }

  dispose(): void {
    this.clientSubscriptions?.dispose();
    this.clientSubscriptions = undefined;
    this.disposer.dispose();
  }
}
