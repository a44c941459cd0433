import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CompletionRequest, DidChangeConfigurationNotification, type CompletionItem, type CompletionList, HoverRequest, type MarkupContent } from 'vscode-languageserver-protocol';
import { ExportStudentRequest, ResumeRunRequest, StartRunRequest } from '../../../src/protocol/lsp';
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
    const uri = 'file:///tmp/skd-test/complete-method.skd.json';
    await c.open(uri, m.text);
    const result = (await c.client.sendRequest(CompletionRequest.type, {
      textDocument: { uri },
      position: { line: m.line, character: m.character },
    })) as CompletionItem[] | CompletionList;
    const labels = (Array.isArray(result) ? result : result.items).map((i) => i.label);
    for (const name of ['none', 'kd', 'fitnet', 'at', 'rco', 'dkd', 'skd', 'skd-no-tbt', 'skd-no-tet']) {
      assert.ok(labels.includes(name), `${name} missing from ${labels.join(', ')}`);
    }
  });

  it('completes the keys an object may still take, with their descriptions', async () => {
    const m = marked(EXPERIMENT.replace('"stages": 1', '"stages": 1, |'));
    const uri = 'file:///tmp/skd-test/complete-key.skd.json';
    await c.open(uri, m.text);
    const result = (await c.client.sendRequest(CompletionRequest.type, {
      textDocument: { uri },
      position: { line: m.line, character: m.character },
    })) as CompletionItem[];
    const labels = result.map((i) => i.label);
    assert.ok(labels.includes('temperature'), labels.join(', '));
    assert.ok(!labels.includes('stages') && !labels.includes('name'), 'keys already present are not offered');
    const temperature = result.find((i) => i.label === 'temperature');
    assert.match((temperature?.documentation as MarkupContent).value, /temperature/i);
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
