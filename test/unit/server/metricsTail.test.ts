import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { MetricEvent } from '../../../src/protocol/runDir';
import { MetricsTail } from '../../../src/trainer/server/metricsTail';
import { readMetricsFrom, readRunInfo, runDirName } from '../../../src/trainer/runFiles';
import { reasonLine } from '../../../src/trainer/server/runProcess';

const line = (i: number) => JSON.stringify({ time: 't', type: 'log', level: 'info', message: `m${i}` }) + '\n';

describe('following metrics.jsonl', () => {
  let dir: string;
  let tail: MetricsTail | undefined;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skd-tail-'));
  });
  afterEach(() => {
    tail?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('hands over only new complete lines, holding back a torn last line', () => {
    const file = path.join(dir, 'metrics.jsonl');
    const batches: [number, MetricEvent[]][] = [];
    // A long poll: the test drives reads itself.
    tail = new MetricsTail(dir, (from, events) => batches.push([from, events]), () => undefined, { pollMs: 60_000 });
    fs.writeFileSync(file, line(0) + line(1));
    tail.read();
    const third = line(2);
    fs.appendFileSync(file, third.slice(0, 10));
    tail.read();
    fs.appendFileSync(file, third.slice(10) + 'not json\n' + line(4));
    tail.read();
    tail.read();
    assert.deepEqual(
      batches.map(([from, events]) => [from, events.map((e) => (e.type === 'log' ? e.message : e.type))]),
      [
        [0, ['m0', 'm1']],
        [2, ['m2', 'm4']],
      ],
    );
  });

  it('starts after the lines a resumed run already has', () => {
    fs.writeFileSync(path.join(dir, 'metrics.jsonl'), line(0) + line(1));
    const batches: number[] = [];
    tail = new MetricsTail(dir, (from) => batches.push(from), () => undefined, { pollMs: 60_000, fromLine: 2 });
    tail.read();
    fs.appendFileSync(path.join(dir, 'metrics.jsonl'), line(2));
    tail.read();
    assert.deepEqual(batches, [2]);
  });

  it('reads from a line offset, skipping a torn last line', () => {
    fs.writeFileSync(path.join(dir, 'metrics.jsonl'), line(0) + line(1) + line(2) + '{"type":"ep');
    const r = readMetricsFrom(dir, 1);
    assert.deepEqual(r.events.map((e) => (e.type === 'log' ? e.message : '')), ['m1', 'm2']);
    assert.equal(r.next, 3);
    assert.deepEqual(readMetricsFrom(path.join(dir, 'nothing'), 0), { events: [], next: 0 });
  });
});

describe('run directories', () => {
  it('names them <name>-<yyyymmdd-hhmmss>', () => {
    assert.equal(runDirName('fmnist skd', new Date(2025, 0, 2, 3, 4, 5)), 'fmnist-skd-20250102-030405');
    assert.equal(runDirName('../../etc', new Date(2025, 0, 2, 3, 4, 5)), 'etc-20250102-030405');
  });

  it('tolerates a status.json that is torn or not there', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skd-status-'));
    try {
      assert.equal(readRunInfo(dir), undefined);
      fs.writeFileSync(path.join(dir, 'status.json'), '{"state": "runn');
      assert.equal(readRunInfo(dir), undefined);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the reason a child died', () => {
  it('is the error line of a Node crash, not its trailer', () => {
    const stderr = [
      'teacher epoch 1/4',
      "Error: Cannot find module '/x/Abs_grad'",
      '    at Module._load (node:internal/modules/cjs/loader:1091:12)',
      'at node:internal/main/run_main_module:28:49 {',
      "code: 'ERR_MODULE_NOT_FOUND',",
      "url: 'file:///x'",
      '}',
      'Node.js v20.20.2',
    ];
    assert.equal(reasonLine(stderr), "Error: Cannot find module '/x/Abs_grad'");
    assert.equal(reasonLine(['skd: a.skd.json: method.name: unknown method "x"']), 'skd: a.skd.json: method.name: unknown method "x"');
    assert.equal(reasonLine(['student epoch 2/8', 'Node.js v20.20.2']), 'student epoch 2/8');
    assert.equal(reasonLine([]), '');
  });
});
