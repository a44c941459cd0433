/**
 * The bundled entry (dist/server.js) as the extension starts it, here over stdio: it answers,
 * refuses runs until trusted, and exits cleanly on shutdown + exit.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { StreamMessageReader, StreamMessageWriter, createMessageConnection } from 'vscode-jsonrpc/node';
import { DidOpenTextDocumentNotification, ExitNotification, HoverRequest, InitializeRequest, InitializedNotification, ShutdownRequest, type MarkupContent } from 'vscode-languageserver-protocol';
import { ListRunsRequest, StartRunRequest } from '../../../src/protocol/lsp';

const SERVER = path.resolve(__dirname, '..', '..', '..', 'dist', 'server.js');
const missing = fs.existsSync(SERVER) ? false : 'dist/server.js is missing: run "npm run build" first';

describe('the bundled trainer server', { skip: missing }, () => {
  it('starts, answers, and exits cleanly', async () => {
    const child = spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const client = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
    client.listen();
    try {
      const t0 = Date.now();
      const init = await client.sendRequest(InitializeRequest.type, {
        processId: process.pid,
        rootUri: null,
        capabilities: {},
        initializationOptions: { trusted: false },
      });
      assert.equal(init.capabilities.hoverProvider, true);
      assert.ok(Date.now() - t0 < 10_000, `initialize took ${Date.now() - t0} ms`);
      await client.sendNotification(InitializedNotification.type, {});
      const uri = 'file:///tmp/bundle-check.skd.json';
      await client.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'jsonc', version: 1, text: '{\n  "seed": 3\n}' } });
      const hover = await client.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 1, character: 4 } });
      assert.match((hover?.contents as MarkupContent).value, /seed/);
      await assert.rejects(client.sendRequest(StartRunRequest.type, { experimentFile: '/tmp/x.skd.json', outDir: '/tmp' }), /untrusted/);
      assert.deepEqual(await client.sendRequest(ListRunsRequest.type, { folders: [path.join(__dirname, 'no-such-folder')] }), []);
      await client.sendRequest(ShutdownRequest.type);
      await client.sendNotification(ExitNotification.type);
      assert.equal(await exited, 0);
    } finally {
      client.dispose();
      child.kill();
    }
  });
});
