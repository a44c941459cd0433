/**
 * A method that a plugin brings (fixtures/kdHalfPlugin.js, as the extension's `registerPlugin`
 * passes it in `pluginModules`): the server loads it, so an experiment using it gets no
 * diagnostic, completion offers it, and a run of it is accepted and trains to done with the
 * real command line (dist/cli.js). Dropping the plugin brings the diagnostic back.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CompletionRequest,
  type CompletionItem,
  DidChangeConfigurationNotification,
  DidOpenTextDocumentNotification,
  type PublishDiagnosticsParams,
  PublishDiagnosticsNotification,
} from 'vscode-languageserver-protocol';
import { StartRunRequest, type TrainerSettings } from '../../../src/protocol/lsp';
import { NotificationRecorder } from './notifications';
import { type TestConnection, connectServer } from './testConnection';

const CLI = path.resolve(__dirname, '..', '..', '..', 'dist', 'cli.js');
// Copied to a folder with no node_modules above it: the plugin computes with the tf.js that
// SKD Lab hands it (`setup.tf`), as a user's plugin file outside any package does.
const pluginDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skd-plugin-module-'));
const PLUGIN = path.join(pluginDir, 'kdHalfPlugin.js');
fs.copyFileSync(path.join(__dirname, 'fixtures', 'kdHalfPlugin.js'), PLUGIN);
after(() => fs.rmSync(pluginDir, { recursive: true, force: true }));
const missing = fs.existsSync(CLI) ? false : 'dist/cli.js is missing: run "npm run build" first';

const experiment = (name: string) => ({
  name,
  seed: 1,
  data: { format: 'builtin', name: 'fashion-mnist-mini', limit: { train: 200, test: 100 } },
  teacher: { model: 'cnn', width: 4, epochs: 1 },
  student: { model: 'cnn', width: 4, epochs: 1 },
  method: { name: 'kd-half', stages: 1 },
  training: { batchSize: 32 },
  backend: 'auto',
  studentAlone: false,
});

/** Every diagnostics publication, so a test can wait for the next one of a document. */
class DiagnosticsLog {
  private readonly waiting = new Map<string, (p: PublishDiagnosticsParams) => void>();
  constructor(c: TestConnection) {
    // Replaces the helper's handler: this test opens its documents itself.
    c.client.onNotification(PublishDiagnosticsNotification.type, (p) => {
      this.waiting.get(p.uri)?.(p);
      this.waiting.delete(p.uri);
    });
  }
  next(uri: string, ms = 10_000): Promise<PublishDiagnosticsParams> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no diagnostics for ${uri} within ${ms} ms`)), ms);
      this.waiting.set(uri, (p) => {
        clearTimeout(timer);
        resolve(p);
      });
    });
  }
}

const messages = (p: PublishDiagnosticsParams) => p.diagnostics.map((d) => d.message);

/** The position just inside the quotes of the method's `"kd-half"`. */
function insideMethodName(text: string): { line: number; character: number } {
  const offset = text.indexOf('"kd-half"', text.indexOf('"method"')) + 1;
  const before = text.slice(0, offset).split('\n');
  return { line: before.length - 1, character: before[before.length - 1].length };
}

describe('a method from a plugin module, in the language server', () => {
  let tmp: string;
  let file: string;
  let uri: string;
  let text: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skd-plugin-server-'));
    file = path.join(tmp, 'kd-half.skd.json');
    text = JSON.stringify(experiment('kd-half'), null, 2);
    fs.writeFileSync(file, text);
    uri = `file://${file}`;
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const open = (c: TestConnection) =>
    c.client.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'json', version: 1, text } });
  const settings = (s: Partial<TrainerSettings>) =>
    ({ nodePath: process.execPath, concurrentRuns: 1, trusted: true, pluginModules: [], ...s }) satisfies TrainerSettings;
  const configure = (c: TestConnection, s: Partial<TrainerSettings>) =>
    c.client.sendNotification(DidChangeConfigurationNotification.type, { settings: { skdLab: settings(s) } });
  const complete = async (c: TestConnection) => {
    const result = await c.client.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: insideMethodName(text) });
    return ((Array.isArray(result) ? result : (result?.items ?? [])) as CompletionItem[]).map((i) => i.label);
  };

  it('is an unknown method until the plugin comes, then known; it is re-checked when the plugin goes', async () => {
    const c = await connectServer();
    try {
      const log = new DiagnosticsLog(c);
      const first = log.next(uri);
      await open(c);
      assert.deepEqual(messages(await first).filter((m) => /unknown method "kd-half"/.test(m)).length, 1, messages(await first).join('\n'));
      assert.ok(!(await complete(c)).includes('kd-half'));

      const added = log.next(uri);
      await configure(c, { pluginModules: [PLUGIN] });
      assert.deepEqual(messages(await added), []);
      const offered = await complete(c);
      assert.ok(offered.includes('kd-half') && offered.includes('kd'), offered.join(', '));

      const dropped = log.next(uri);
      await configure(c, { pluginModules: [] });
      assert.match(messages(await dropped).join('\n'), /method\.name: unknown method "kd-half"/);
    } finally {
      await c.dispose();
    }
  });

  it('is not loaded in an untrusted workspace (loading a module runs its code)', async () => {
    const c = await connectServer({ trusted: false, pluginModules: [PLUGIN] });
    try {
      const log = new DiagnosticsLog(c);
      const first = log.next(uri);
      await open(c);
      assert.match(messages(await first).join('\n'), /unknown method "kd-half"/);
    } finally {
      await c.dispose();
    }
  });

  it('where the editor has the schema, completion offers only what plugins add', async () => {
    const c = await connectServer({ schemaFeatures: false, pluginModules: [PLUGIN] });
    try {
      const log = new DiagnosticsLog(c);
      const first = log.next(uri);
      await open(c);
      assert.deepEqual(messages(await first), []);
      assert.deepEqual(await complete(c), ['kd-half']);
    } finally {
      await c.dispose();
    }
  });

  it('a run of it is accepted and trains to done with the real command line', { skip: missing }, async () => {
    const c = await connectServer({ pluginModules: [PLUGIN] }, { cliPath: CLI, pollMs: 200, stopGraceMs: 60_000 });
    try {
      const rec = new NotificationRecorder(c.client);
      const run = await c.client.sendRequest(StartRunRequest.type, { experimentFile: file, outDir: path.join(tmp, 'runs') });
      assert.equal(run.method, 'kd-half');
      const done = await rec.state(run.dir, 'done', 240_000);
      assert.ok(done.summary, 'a done run carries its summary');
      // The plugin's own terms were trained on.
      const students = rec.eventsOf(run.dir).filter((e) => e.type === 'epoch' && e.network === 'student');
      const terms = new Set(students.flatMap((e) => (e.type === 'epoch' ? Object.keys(e.terms) : [])));
      assert.ok(terms.has('kd') && terms.has('ce'), [...terms].join(', '));
    } finally {
      await c.dispose();
    }
  });
});
