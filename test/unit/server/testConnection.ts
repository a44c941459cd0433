/**
 * A TrainerServer and a JSON-RPC client joined by two in-memory streams, after vscode-dvc's
 * setup-test-connections: no VS Code, no process, the same messages.
 */
import { PassThrough } from 'node:stream';
import { type MessageConnection, StreamMessageReader, StreamMessageWriter, createMessageConnection } from 'vscode-jsonrpc/node';
import {
  DidOpenTextDocumentNotification,
  InitializeRequest,
  InitializedNotification,
  type InitializeResult,
  type PublishDiagnosticsParams,
  PublishDiagnosticsNotification,
} from 'vscode-languageserver-protocol';
import { createConnection } from 'vscode-languageserver/node';
import type { TrainerInitializationOptions } from '../../../src/protocol/lsp';
import { TrainerServer, type TrainerServerOptions } from '../../../src/trainer/server/trainerServer';

export interface TestConnection {
  client: MessageConnection;
  server: TrainerServer;
  /** What the server answered to `initialize` (its capabilities). */
  initialize: InitializeResult;
  /** Opens a document and resolves with its first diagnostics. */
  open(uri: string, text: string, languageId?: string): Promise<PublishDiagnosticsParams>;
  dispose(): Promise<void>;
}

export async function connectServer(settings: TrainerInitializationOptions = {}, options: TrainerServerOptions = {}): Promise<TestConnection> {
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  // Readers and writers rather than raw streams: given streams, the library exits the process
  // when they close, which would end the test run.
  const serverConnection = createConnection(new StreamMessageReader(toServer), new StreamMessageWriter(toClient));
  const server = new TrainerServer({ validateDelayMs: 0, ...options });
  server.listen(serverConnection);
  const client = createMessageConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer));
  const diagnostics = new Map<string, (p: PublishDiagnosticsParams) => void>();
  client.onNotification(PublishDiagnosticsNotification.type, (p) => {
    diagnostics.get(p.uri)?.(p);
    diagnostics.delete(p.uri);
  });
  client.listen();
  const initialize = await client.sendRequest(InitializeRequest.type, {
    processId: null,
    rootUri: null,
    capabilities: { window: { workDoneProgress: true } },
    initializationOptions: { nodePath: process.execPath, concurrentRuns: 1, trusted: true, pluginModules: [], ...settings },
  });
  await client.sendNotification(InitializedNotification.type, {});
  return {
    client,
    server,
    initialize,
    open(uri, text, languageId = 'json') {
      const received = new Promise<PublishDiagnosticsParams>((resolve) => diagnostics.set(uri, resolve));
      void client.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId, version: 1, text } });
      return received;
    },
    async dispose() {
      // Tests leave no trainer behind (a real server leaves its runs training: runManager.ts).
      await server.runManager?.stopAll(10_000);
      await server.dispose();
      client.dispose();
      serverConnection.dispose();
    },
  };
}
