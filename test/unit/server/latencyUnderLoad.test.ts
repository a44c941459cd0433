/**
 * With three real runs training at once, completion and hover still answer, and correctly,
 * because training lives in child processes and the server only tails files. Prints the
 * request latency percentiles (`npm run bench:lsp` runs this alone); the figures are printed,
 * not asserted, since timings depend on the machine.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { CompletionRequest, HoverRequest } from 'vscode-languageserver-protocol';
import { StartRunRequest } from '../../../src/protocol/lsp';
import { NotificationRecorder } from './notifications';
import { connectServer } from './testConnection';

const CLI = path.resolve(__dirname, '..', '..', '..', 'dist', 'cli.js');
const missing = fs.existsSync(CLI) ? false : 'dist/cli.js is missing: run "npm run build" first';

const EXPERIMENT = (name: string) => ({
  name,
  seed: 1,
  data: { format: 'builtin', name: 'fashion-mnist-mini', limit: { train: 2000, test: 100 } },
  teacher: { model: 'cnn', width: 8, epochs: 20 },
  student: { model: 'cnn', width: 4, epochs: 1 },
  method: { name: 'kd', stages: 1 },
});

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

describe('language features under training load', { skip: missing }, () => {
  it('answers completion and hover while three runs train, and prints the latency percentiles', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skd-load-'));
    const c = await connectServer({ concurrentRuns: 3 }, { cliPath: CLI, stopGraceMs: 20_000, pollMs: 200 });
    const rec = new NotificationRecorder(c.client);
    try {
      const dirs: string[] = [];
      for (const name of ['load-a', 'load-b', 'load-c']) {
        const file = path.join(tmp, `${name}.skd.json`);
        fs.writeFileSync(file, JSON.stringify(EXPERIMENT(name)));
        dirs.push((await c.client.sendRequest(StartRunRequest.type, { experimentFile: file, outDir: path.join(tmp, 'runs') })).dir);
      }
      await rec.waitFor('all three training', () => dirs.every((d) => rec.eventsOf(d).some((e) => e.type === 'batch' || e.type === 'epoch')), 120_000);

      const uri = 'file:///tmp/skd-load/edit.skd.json';
      const text = JSON.stringify(EXPERIMENT('edit'), null, 2).replace('"name": "kd"', '"name": ""');
      await c.open(uri, text);
      const lines = text.split('\n');
      const methodLine = lines.findIndex((l) => l.includes('"name": ""'));
      const seedLine = lines.findIndex((l) => l.includes('"seed"'));
      const latencies: number[] = [];
      const deadline = Date.now() + 6_000;
      while (Date.now() < deadline) {
        const t0 = performance.now();
        const completion = await c.client.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: { line: methodLine, character: lines[methodLine].indexOf('""') + 1 } });
        latencies.push(performance.now() - t0);
        const items = Array.isArray(completion) ? completion : (completion?.items ?? []);
        assert.ok(items.some((i) => i.label === 'skd'), 'completion offers the method names');
        const t1 = performance.now();
        const hover = await c.client.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: seedLine, character: 4 } });
        latencies.push(performance.now() - t1);
        assert.match(JSON.stringify(hover?.contents ?? ''), /seed/i, 'hover documents the key');
        await new Promise((r) => setTimeout(r, 20));
      }
      const sorted = [...latencies].sort((a, b) => a - b);
      const running = dirs.filter((d) => rec.statusOf(d)?.status.state === 'running').length;
      const line = `completion/hover latency with ${running} runs training (${sorted.length} requests): p50 ${percentile(sorted, 50).toFixed(1)} ms, p95 ${percentile(sorted, 95).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, max ${sorted[sorted.length - 1].toFixed(1)} ms`;
      console.log(line);
      assert.equal(running, 3, 'all three runs were training during the measurement');
    } finally {
      await c.dispose();
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
