import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CompletionRequest, DidChangeConfigurationNotification, ResponseError, type CompletionItem, type CompletionList, HoverRequest, type MarkupContent } from 'vscode-languageserver-protocol';
import { ExportStudentRequest, ResumeRunRequest, StartRunRequest, isRefusal } from '../../../src/protocol/lsp';
import { type TestConnection, connectServer } from './testConnection';

const EXPERIMENT = `{
  "name": "tiny",
  "seed": 1,
  "data": { "format": "builtin", "name": "fashion-mnist-mini" },
  "teacher": { "model": "cnn", "width": 4, "epochs": 1 },
  "student": { "model": "cnn", "width": 4, "epochs": 1 },
  "method": { "name": "kd", "stages": 1 }
}
`;

/** Position of the `|` marker, and the text without it. */
function marked(text: string): { text: string; line: number; character: number } {
  const offset = text.indexOf('|');
  const before = text.slice(0, offset).split('\n');
  return { text: text.replace('|', ''), line: before.length - 1, character: before[before.length - 1].length };
}

/** Opens `m.text` as `uri` and asks for completions at its marker. */
async function completionsAt(c: TestConnection, uri: string, m: ReturnType<typeof marked>): Promise<CompletionItem[] | CompletionList | null> {
  await c.open(uri, m.text);
  return c.client.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: { line: m.line, character: m.character } });
}

function positionOf(text: string, needle: string): { line: number; character: number } {
  const before = text.slice(0, text.indexOf(needle)).split('\n');
  return { line: before.length - 1, character: before[before.length - 1].length };
}

describe('language features for experiment files', () => {
  let c: TestConnection;
  before(async () => {
    c = await connectServer();
  });
  after(async () => {
    await c.dispose();
  });

  it('puts an unknown key diagnostic on the key', async () => {
    const text = EXPERIMENT.replace('"seed": 1', '"sede": 1');
    const d = await c.open('file:///tmp/skd-test/broken-key.skd.json', text);
    const diag = d.diagnostics.find((x) => x.message.includes('sede'));
    assert.ok(diag, `no diagnostic for the broken key: ${JSON.stringify(d.diagnostics)}`);
    const start = positionOf(text, '"sede"');
    assert.deepEqual(diag.range, { start, end: { line: start.line, character: start.character + '"sede"'.length } });
    assert.equal(diag.severity, 1);
  });

  it('puts a wrong value on the value and a semantic error on its key path', async () => {
    const text = EXPERIMENT.replace('"seed": 1', '"seed": "one"').replace('"name": "kd"', '"name": "kdd"');
    const d = await c.open('file:///tmp/skd-test/wrong-values.skd.json', text);
    const seed = d.diagnostics.find((x) => x.message.startsWith('seed'));
    assert.ok(seed, JSON.stringify(d.diagnostics));
    assert.deepEqual(seed.range.start, positionOf(text, '"one"'));
    const method = d.diagnostics.find((x) => x.message.includes('kdd'));
    assert.ok(method, JSON.stringify(d.diagnostics));
    assert.deepEqual(method.range.start, positionOf(text, '"kdd"'));
  });

  it('reports JSON syntax errors and a clean file has none', async () => {
    const broken = await c.open('file:///tmp/skd-test/syntax.skd.json', '{ "name": "x", "seed": }');
    assert.ok(broken.diagnostics.some((x) => x.message.startsWith('JSON syntax')), JSON.stringify(broken.diagnostics));
    const clean = await c.open('file:///tmp/skd-test/clean.skd.json', EXPERIMENT);
    assert.deepEqual(clean.diagnostics, []);
  });

  it('survives documents that are not experiments at all', async () => {
    for (const [i, text] of ['', '[]', '"x"', '{{{{', '{"data": [1,2', '\u0000\uffff', '{"teacher": {"run": 5}}'].entries()) {
      const d = await c.open(`file:///tmp/skd-test/garbage-${i}.skd.json`, text);
      assert.ok(Array.isArray(d.diagnostics));
    }
  });

  it('completes method names inside "method": {"name": "|"}', async () => {
    const m = marked(EXPERIMENT.replace('"name": "kd"', '"name": "|"'));
    const result = (await completionsAt(c, 'file:///tmp/skd-test/complete-method.skd.json', m)) as CompletionItem[] | CompletionList;
    const labels = (Array.isArray(result) ? result : result.items).map((i) => i.label);
    for (const name of ['none', 'kd', 'fitnet', 'at', 'rco', 'dkd', 'skd', 'skd-no-tbt', 'skd-no-tet']) {
      assert.ok(labels.includes(name), `${name} missing from ${labels.join(', ')}`);
    }
  });

  it('completes the keys an object may still take, with their descriptions', async () => {
    const m = marked(EXPERIMENT.replace('"stages": 1', '"stages": 1, |'));
    const result = (await completionsAt(c, 'file:///tmp/skd-test/complete-key.skd.json', m)) as CompletionItem[];
    const labels = result.map((i) => i.label);
    assert.ok(labels.includes('temperature'), labels.join(', '));
    assert.ok(!labels.includes('stages') && !labels.includes('name'), 'keys already present are not offered');
    const temperature = result.find((i) => i.label === 'temperature');
    assert.match((temperature?.documentation as MarkupContent).value, /temperature/i);
  });

  it('offers every value of an enum that mixes booleans and strings, its default first', async () => {
    const m = marked(EXPERIMENT.replace('"stages": 1 }', '"stages": 1 },\n  "training": { | }'));
    const result = (await completionsAt(c, 'file:///tmp/skd-test/complete-mixed-enum.skd.json', m)) as CompletionItem[];
    const item = result.find((i) => i.label === 'preciseBnTeacher');
    const text = item?.textEdit && 'newText' in item.textEdit ? item.textEdit.newText : item?.insertText;
    assert.equal(text, '"preciseBnTeacher": ${1|false,true,"trajectory"|}');
  });

  it('hovers the description of seed', async () => {
    const uri = 'file:///tmp/skd-test/hover.skd.json';
    await c.open(uri, EXPERIMENT);
    const at = positionOf(EXPERIMENT, '"seed"');
    const hover = await c.client.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: at.line, character: at.character + 2 } });
    assert.ok(hover);
    assert.match((hover.contents as MarkupContent).value, /Random seed/);
  });

  it('ignores JSON files that are not experiments', async () => {
    const uri = 'file:///tmp/skd-test/package.json';
    await c.client.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'json', version: 1, text: '{"seed": 1}' } });
    const hover = await c.client.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 0, character: 3 } });
    assert.equal(hover, null);
  });
});

describe('an untrusted workspace', () => {
  it('keeps language features but refuses to start runs', async () => {
    const c = await connectServer({ trusted: false });
    try {
      const d = await c.open('file:///tmp/skd-test/untrusted.skd.json', EXPERIMENT.replace('"seed": 1', '"sede": 1'));
      assert.ok(d.diagnostics.some((x) => x.message.includes('sede')));
      await assert.rejects(
        c.client.sendRequest(StartRunRequest.type, { experimentFile: '/tmp/skd-test/untrusted.skd.json', outDir: '/tmp/skd-test/runs' }),
        /untrusted workspace/,
      );
      await assert.rejects(c.client.sendRequest(ResumeRunRequest.type, { dir: '/tmp/skd-test/runs/x' }), /untrusted workspace/);
      await assert.rejects(
        c.client.sendRequest(ExportStudentRequest.type, { dir: '/tmp/skd-test/runs/x', format: 'tfjs', quantize: 'none' }),
        /untrusted workspace/,
      );
      // Trusting the workspace (a configuration change) lifts the refusal.
      await c.client.sendNotification(DidChangeConfigurationNotification.type, { settings: { skdLab: { trusted: true } } });
      await assert.rejects(c.client.sendRequest(ResumeRunRequest.type, { dir: '/tmp/skd-test/runs/x' }), /not a run directory/);
    } finally {
      await c.dispose();
    }
  });
});

describe('where the editor owns the schema (VS Code: initializationOptions.schemaFeatures false)', () => {
  let c: TestConnection;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skd-owner-'));
  before(async () => {
    c = await connectServer({ schemaFeatures: false });
  });
  after(async () => {
    await c.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('offers no hover, and completes only what plugins add (VS Code answers the rest from the schema)', async () => {
    assert.equal(c.initialize.capabilities.hoverProvider, undefined);
    // Completion stays on for plugin names (test/unit/server/pluginMethod.test.ts); none here.
    assert.ok(c.initialize.capabilities.completionProvider);
    const uri = 'file:///tmp/skd-test/owner-hover.skd.json';
    await c.open(uri, EXPERIMENT);
    const at = positionOf(EXPERIMENT, '"seed"');
    assert.equal(await c.client.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: at.line, character: at.character + 2 } }), null);
  });

  it('reports what a schema cannot say, and no syntax or schema problem', async () => {
    const text = EXPERIMENT.replace('"seed": 1', '"sede": 1')
      .replace('"student": { "model": "cnn", "width": 4, "epochs": 1 }', '"student": { "model": "resnet", "depth": 9, "epochs": 1 }')
      .replace('"teacher": { "model": "cnn", "width": 4, "epochs": 1 }', '"teacher": { "model": "cnn", "width": 4, "epochs": 3 }')
      .replace('"stages": 1', '"stages": 3')
      .replace('"name": "kd"', '"name": "rco"');
    const d = await c.open('file:///tmp/skd-test/owner-semantic.skd.json', `// a comment is fine\n${text}`);
    const messages = d.diagnostics.map((x) => x.message).sort();
    assert.equal(messages.length, 2, JSON.stringify(messages));
    assert.match(messages[0], /^student\.depth: a ResNet's depth must be 6n\+2/);
    assert.match(messages[1], /^student\.epochs: 1 epochs cannot hold 3 learning stages/);
    const syntax = await c.open('file:///tmp/skd-test/owner-syntax.skd.json', '{ "name": "x", "seed": }');
    assert.deepEqual(syntax.diagnostics, []);
  });

  it('a refused run names every problem, schema ones too, and is marked as a refusal', async () => {
    const file = path.join(dir, 'two.skd.json');
    fs.writeFileSync(file, EXPERIMENT.replace('"seed": 1', '"sede": 1').replace('"name": "kd"', '"name": "kdd"'));
    const err: unknown = await c.client.sendRequest(StartRunRequest.type, { experimentFile: file, outDir: path.join(dir, 'runs') }).then(
      () => assert.fail('the run was not refused'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ResponseError, String(err));
    assert.ok(isRefusal(err.data), JSON.stringify(err.data));
    assert.match(err.message, /two\.skd\.json: 2 problems: /);
    assert.match(err.message, /sede/);
    assert.match(err.message, /method\.name: unknown method "kdd"/);
    assert.ok(!fs.existsSync(path.join(dir, 'runs')) || fs.readdirSync(path.join(dir, 'runs')).length === 0, 'no run directory');
  });
});
