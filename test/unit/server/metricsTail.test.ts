import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { MetricEvent } from '../../../src/protocol/runDir';
import { MetricsTail } from '../../../src/trainer/server/metricsTail';
import { MetricsReader, metricsEnd, readMetricsFrom } from '../../../src/trainer/runDir/metricsLog';
import { readRunInfo, runDirName } from '../../../src/trainer/runDir/runFiles';
import { reasonLine } from '../../../src/trainer/server/runProcess';

const line = (i: number) => JSON.stringify({ time: 't', type: 'log', level: 'info', message: `m${i}` }) + '\n';
const messages = (events: MetricEvent[]) => events.map((e) => (e.type === 'log' ? e.message : e.type));

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

  it('hands over only new events, by event index, holding back a torn last line', () => {
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
    fs.appendFileSync(file, line(5));
    tail.read();
    assert.deepEqual(
      batches.map(([from, events]) => [from, messages(events)]),
      [
        [0, ['m0', 'm1']],
        [2, ['m2', 'm4']],
        // Not 5: the bad line is no event, so it takes no index.
        [4, ['m5']],
      ],
    );
  });

  it('starts where a resumed run begins and counts the torn line it closes off as no event', () => {
    const file = path.join(dir, 'metrics.jsonl');
    // A crash left a torn last line.
    fs.writeFileSync(file, line(0) + line(1) + '{"time":"t","type":"ep');
    const start = metricsEnd(dir);
    assert.equal(start.event, 2);
    const batches: [number, MetricEvent[]][] = [];
    tail = new MetricsTail(dir, (from, events) => batches.push([from, events]), () => undefined, { pollMs: 60_000, from: start });
    tail.read();
    // The resumed run ends the torn line first, then appends (src/trainer/runDir/runDirectory.ts).
    fs.appendFileSync(file, '\n' + line(2) + line(3));
    tail.read();
    assert.deepEqual(batches.map(([from, events]) => [from, messages(events)]), [[2, ['m2', 'm3']]]);
    // A reader from the start agrees on every index.
    assert.deepEqual(readMetricsFrom(dir, 2), { events: batches[0]![1], next: 4 });
  });
});

describe('the metrics reader', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skd-reader-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = () => path.join(dir, 'metrics.jsonl');

  it('reads from an event index, skipping a torn last line until its newline comes', () => {
    fs.writeFileSync(file(), line(0) + line(1) + line(2) + '{"type":"ep');
    const r = readMetricsFrom(dir, 1);
    assert.deepEqual(messages(r.events), ['m1', 'm2']);
    assert.equal(r.next, 3);
    assert.deepEqual(readMetricsFrom(path.join(dir, 'nothing'), 0), { events: [], next: 0 });
    assert.deepEqual(readMetricsFrom(dir, 7), { events: [], next: 7 }, 'a reader ahead of the log gets nothing new');
  });

  it('gives a bad line in the middle no index, so indexes are those of valid events', () => {
    fs.writeFileSync(file(), line(0) + '{"torn\n' + '\n' + '[1,2]\n' + '{"no":"type"}\n' + line(1) + line(2));
    const reader = new MetricsReader(file());
    const chunk = reader.read();
    assert.equal(chunk.from, 0);
    assert.deepEqual(messages(chunk.events), ['m0', 'm1', 'm2']);
    assert.equal(chunk.badLines, 3, 'the empty line is not counted as bad');
    assert.deepEqual(messages(readMetricsFrom(dir, 1).events), ['m1', 'm2']);
    assert.equal(reader.position.event, 3);
  });

  it('appends after a resume continue the indexes, whoever started reading when', () => {
    fs.writeFileSync(file(), line(0) + line(1) + line(2).slice(0, 15));
    const early = new MetricsReader(file());
    assert.deepEqual(messages(early.read().events), ['m0', 'm1']);
    // The resume closes the torn line and appends; a second resume after another crash too.
    fs.appendFileSync(file(), '\n' + line(3) + line(4) + line(5).slice(0, 9));
    const late = new MetricsReader(file(), metricsEnd(dir));
    fs.appendFileSync(file(), '\n' + line(6));
    const a = early.read();
    const b = late.read();
    assert.deepEqual([a.from, messages(a.events)], [2, ['m3', 'm4', 'm6']]);
    assert.deepEqual([b.from, messages(b.events)], [4, ['m6']]);
    assert.deepEqual(messages(readMetricsFrom(dir).events), ['m0', 'm1', 'm3', 'm4', 'm6']);
    assert.equal(readMetricsFrom(dir).next, 5);
  });

  it('starts over when the file is replaced by a shorter one', () => {
    fs.writeFileSync(file(), line(0) + line(1));
    const reader = new MetricsReader(file());
    reader.read();
    fs.writeFileSync(file(), line(9));
    const chunk = reader.read();
    assert.deepEqual([chunk.from, messages(chunk.events)], [0, ['m9']]);
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
