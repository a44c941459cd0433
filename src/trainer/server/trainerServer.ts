/**
 * The trainer's language server: language features for experiment files (`*.skd.json`) and
 * the run requests of `src/protocol/lsp.ts`. It takes any connection, so tests drive it over
 * in-memory streams and `server.ts` over the IPC channel the extension opens.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type ParseError, parse as parseJsonc, printParseErrorCode } from 'jsonc-parser';
import {
  type Connection,
  LSPErrorCodes,
  ResponseError,
  TextDocumentSyncKind,
  TextDocuments,
  WorkDoneProgressCancelNotification,
} from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import {
  ExportStudentRequest,
  ListRunsRequest,
  MetricsNotification,
  ReadMetricsRequest,
  ResumeRunRequest,
  RunStatusNotification,
  StartRunRequest,
  StopRunRequest,
  TrainerLogNotification,
  type RefusalData,
  type TrainerInitializationOptions,
  type TrainerSettings,
} from '../../protocol/lsp';
import { experimentSchema } from '../config/schema';
import { validateExperimentObject } from '../config/validate';
import { experimentCompletions } from './completion';
import { type ExperimentValidator, experimentDiagnostics } from './diagnostics';
import { isExperimentDocument } from './experimentDocument';
import { experimentHover } from './hover';
import { RunManager } from './runManager';
import { RunRequestError } from './runRequestError';
import { SchemaNavigator, type SchemaNode } from './schemaNavigator';
import { type PluginUpdate, ServerPlugins } from './serverPlugins';
import { defaultSettings, mergeSettings } from './settings';

export interface TrainerServerOptions {
  /** The command line bundle that runs, resumes and exports (default: cli.js beside this bundle). */
  cliPath?: string;
  validate?: ExperimentValidator;
  schema?: SchemaNode;
  /**
   * Completion, hover, and JSON syntax and schema diagnostics from the server (default true). The
   * client's `initializationOptions.schemaFeatures: false` turns them off where the editor has
   * them already (VS Code: the schema contributed through `jsonValidation`).
   */
  schemaFeatures?: boolean;
  /** Delay between a change and its diagnostics, so typing is not re-validated per key. */
  validateDelayMs?: number;
  /** How long a stopping run may take to checkpoint before it is killed. */
  stopGraceMs?: number;
  pollMs?: number;
}

export class TrainerServer {
  private settings: TrainerSettings = defaultSettings();
  private readonly documents = new TextDocuments(TextDocument);
  private readonly schema: SchemaNavigator;
  private readonly validate: ExperimentValidator;
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private runs: RunManager | undefined;
  private schemaFeatures: boolean;
  private readonly plugins = new ServerPlugins();

  constructor(private readonly options: TrainerServerOptions = {}) {
    this.schema = new SchemaNavigator(options.schema ?? (experimentSchema as SchemaNode));
    this.validate = options.validate ?? validateExperimentObject;
    this.schemaFeatures = options.schemaFeatures ?? true;
  }

  get runManager(): RunManager | undefined {
    return this.runs;
  }

  listen(connection: Connection): void {
    const runs = new RunManager({
      cliPath: this.options.cliPath ?? path.join(__dirname, 'cli.js'),
      settings: () => this.settings,
      graceMs: this.options.stopGraceMs,
      pollMs: this.options.pollMs,
      progress: (token) => connection.window.attachWorkDoneProgress(token),
      check: (file) => runProblems(file, this.validate),
      events: {
        status: (info) => void connection.sendNotification(RunStatusNotification.type, info),
        metrics: (dir, from, events) => void connection.sendNotification(MetricsNotification.type, { dir, from, events }),
        log: (level, message, dir) => void connection.sendNotification(TrainerLogNotification.type, { level, message, dir }),
      },
    });
    this.runs = runs;

    // Plugin problems found while initializing wait for `initialized`: the client listens then.
    let initialPluginErrors: string[] = [];
    connection.onInitialize((params) => {
      this.settings = mergeSettings(this.settings, params.initializationOptions);
      const asked = (params.initializationOptions as TrainerInitializationOptions | undefined)?.schemaFeatures;
      if (typeof asked === 'boolean') this.schemaFeatures = asked;
      initialPluginErrors = this.updatePlugins().errors;
      return {
        capabilities: {
          textDocumentSync: TextDocumentSyncKind.Incremental,
          // Without schema features completion still offers what plugins add: the editor's
          // schema knows the built-in names only.
          completionProvider: { triggerCharacters: ['"', ':'] },
          ...(this.schemaFeatures ? { hoverProvider: true } : {}),
        },
        serverInfo: { name: 'SKD Lab trainer' },
      };
    });
    connection.onInitialized(() => {
      // Registered here, after the library's own handler (it only knows server-created
      // progress), because ours are the client's tokens given with start and resume.
      connection.onNotification(WorkDoneProgressCancelNotification.type, (p) => runs.cancelProgress(p.token));
      for (const message of initialPluginErrors) void connection.sendNotification(TrainerLogNotification.type, { level: 'error', message });
    });
    connection.onDidChangeConfiguration((params) => {
      this.settings = mergeSettings(this.settings, params);
      const plugins = this.updatePlugins();
      for (const message of plugins.errors) void connection.sendNotification(TrainerLogNotification.type, { level: 'error', message });
      // The names a document may use changed: every open experiment is checked again.
      if (plugins.changed) for (const doc of this.documents.all()) this.scheduleValidation(connection, doc);
      runs.settingsChanged();
    });

    this.documents.onDidChangeContent((e) => this.scheduleValidation(connection, e.document));
    this.documents.onDidClose((e) => {
      this.cancelValidation(e.document.uri);
      if (isExperimentDocument(e.document)) void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
    });
    connection.onCompletion((p) => {
      const doc = this.experimentDocument(p.textDocument.uri);
      return doc ? guard(() => experimentCompletions(doc, p.position, this.schema, { pluginNamesOnly: !this.schemaFeatures }), []) : [];
    });
    connection.onHover((p) => {
      const doc = this.schemaFeatures ? this.experimentDocument(p.textDocument.uri) : undefined;
      return doc ? guard(() => experimentHover(doc, p.position, this.schema), null) : null;
    });

    connection.onRequest(StartRunRequest.type, (p) => handle(() => runs.start(p)));
    connection.onRequest(StopRunRequest.type, (p) => handle(() => runs.stop(p.dir)));
    connection.onRequest(ResumeRunRequest.type, (p) => handle(() => runs.resume(p.dir, p.workDoneToken)));
    connection.onRequest(ListRunsRequest.type, (p) => handle(() => runs.list(p.folders ?? [])));
    connection.onRequest(ReadMetricsRequest.type, (p) => handle(() => runs.readMetrics(p.dir, p.from ?? 0)));
    connection.onRequest(ExportStudentRequest.type, (p) => handle(() => runs.exportStudent(p)));

    // Runs outlive this server (a closed window must not cost training): on shutdown they are
    // left running, detached, for the next server to adopt; only Stop ends one.
    connection.onShutdown(() => this.dispose());

    this.documents.listen(connection);
    connection.listen();
  }

  async dispose(): Promise<void> {
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
    this.plugins.dispose();
    await this.runs?.dispose();
  }

  /**
   * Loads the plugin modules the client names (none in an untrusted workspace: loading one runs
   * its code) and forgets those it dropped.
   */
  private updatePlugins(): PluginUpdate {
    return this.plugins.update(this.settings.trusted ? this.settings.pluginModules : []);
  }

  private experimentDocument(uri: string): TextDocument | undefined {
    const doc = this.documents.get(uri);
    return doc && isExperimentDocument(doc) ? doc : undefined;
  }

  private scheduleValidation(connection: Connection, doc: TextDocument): void {
    if (!isExperimentDocument(doc)) return;
    this.cancelValidation(doc.uri);
    const run = () => {
      this.pending.delete(doc.uri);
      const current = this.documents.get(doc.uri);
      if (!current) return;
      const diagnostics = guard(() => experimentDiagnostics(current, this.validate, { schemaFeatures: this.schemaFeatures }), []);
      void connection.sendDiagnostics({ uri: current.uri, version: current.version, diagnostics });
    };
    this.pending.set(doc.uri, setTimeout(run, this.options.validateDelayMs ?? 150));
  }

  private cancelValidation(uri: string): void {
    const timer = this.pending.get(uri);
    if (timer) clearTimeout(timer);
    this.pending.delete(uri);
  }
}

/**
 * Every error of an experiment file (syntax, schema and semantic: the editor may show only some
 * of them) as one line, or undefined when it can run.
 */
function runProblems(file: string, validate: ExperimentValidator): string | undefined {
  const errors: ParseError[] = [];
  let value: unknown;
  try {
    value = parseJsonc(fs.readFileSync(file, 'utf8'), errors, { allowTrailingComma: true });
  } catch (e) {
    return `cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)})`;
  }
  if (errors.length > 0) return `not valid JSON (${printParseErrorCode(errors[0].error)} at offset ${errors[0].offset})`;
  const issues = validate(value, file, { checkFiles: true }).filter((i) => i.severity === 'error');
  const lines = issues.map((i) => `${i.path.length > 0 ? `${i.path.join('.')}: ` : ''}${i.message}`);
  if (lines.length === 0) return undefined;
  return lines.length === 1 ? lines[0] : `${lines.length} problems: ${lines.join('; ')}`;
}

/** Language features must never take the server down; a failure answers "nothing here". */
function guard<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}

/** Refusals become errors the client can show as they are; anything else is a failure too. */
async function handle<T>(f: () => T | Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof RunRequestError) throw new ResponseError(LSPErrorCodes.RequestFailed, e.message, { refused: true } satisfies RefusalData);
    throw new ResponseError(LSPErrorCodes.RequestFailed, `SKD Lab trainer: ${(e as Error).message ?? String(e)}`);
  }
}
