import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseArgs } from '../../../src/trainer/commands/args';
import { commandHelp, commandNames, usageOf, wantsHelp } from '../../../src/trainer/commands/help';
import { ProgressPrinter, formatEta, renderBar } from '../../../src/trainer/commands/progressBar';
import { InputError } from '../../../src/trainer/errors';
import type { MetricEvent } from '../../../src/protocol/runDir';

describe('parseArgs (util.parseArgs underneath)', () => {
  it('takes valued options (both forms), switches and positionals', () => {
    const a = parseArgs(['run', 'x.skd.json', '--out', 'o', '--backend=wasm', '--quiet'], ['out', 'backend'], ['quiet']);
    assert.deepEqual(a.positional, ['run', 'x.skd.json']);
    assert.deepEqual([...a.options], [['out', 'o'], ['backend', 'wasm']]);
    assert.deepEqual([...a.switches], ['quiet']);
    assert.deepEqual(parseArgs(['a', '--', '--not-an-option'], []).positional, ['a', '--not-an-option']);
  });
  it('names the option in its errors', () => {
    const fails = (argv: string[], re: RegExp) =>
      assert.throws(() => parseArgs(argv, ['out'], ['json']), (e: unknown) => e instanceof InputError && re.test(e.message));
    fails(['--fast'], /command line: --fast: unknown option \(known: --out, --json\)/);
    fails(['--out'], /--out: needs a value/);
    fails(['--json=yes'], /--json: takes no value/);
    fails(['-x'], /-x: unknown option/);
  });
});

describe('skd <command> --help', () => {
  const USAGE = `usage:
  skd run <experiment.skd.json> [--out <dir>]
  skd bench [--json]
  skd bench methods [--seeds 5]
                    [--out <dir>]
  skd sweep <file> [--executor local|slurm]
            [--dry-run]
  skd sweep status <sweep folder>`;
  it('picks a command\'s usage lines with their continuations', () => {
    assert.deepEqual(usageOf('bench', USAGE), ['  skd bench [--json]', '  skd bench methods [--seeds 5]', '                    [--out <dir>]']);
    assert.equal(usageOf('sweep', USAGE).length, 3);
    assert.deepEqual(commandNames(USAGE), ['run', 'bench', 'sweep']);
    assert.match(commandHelp('run', USAGE) ?? '', /^usage:\n  skd run <experiment\.skd\.json> \[--out <dir>\]\n\nTrains an experiment/);
    assert.equal(commandHelp('fly', USAGE), undefined);
  });
  it('--help or -h anywhere before "--"', () => {
    assert.ok(wantsHelp(['x.skd.json', '--help']));
    assert.ok(wantsHelp(['-h']));
    assert.ok(!wantsHelp(['--', '--help']));
    assert.ok(!wantsHelp(['x.skd.json']));
  });
});

describe('the progress bar', () => {
  it('formats an ETA', () => {
    assert.equal(formatEta(42), '0:42');
    assert.equal(formatEta(725), '12:05');
    assert.equal(formatEta(3723), '1:02:03');
    assert.equal(formatEta(undefined), '--:--');
  });
  it('renders one line that fits the terminal, with the epoch counted from 1', () => {
    const line = renderBar({ network: 'student', done: 2.5, epochs: 8, elapsed: 25, startFraction: 0 }, 60, false);
    assert.ok(line.length <= 60, line);
    assert.match(line, /^student epoch 3\/8 \[#+-+\]  31% ETA 0:55$/);
    assert.match(renderBar({ network: 'alone', done: 0, epochs: 4, elapsed: 0, startFraction: 0 }, 80, false), /^student alone epoch 1\/4 .* ETA --:--$/);
    assert.ok(renderBar({ network: 'teacher', done: 1, epochs: 2, elapsed: 1, startFraction: 0 }, 20, false).length < 20);
    assert.match(renderBar({ network: 'teacher', done: 1, epochs: 2, elapsed: 1, startFraction: 0 }, 80, true), /\x1b\[36m/);
  });

  const batch = (step: number): MetricEvent => ({ type: 'batch', time: 't', network: 'student', epoch: Math.floor(step), step, loss: 1, terms: {} });
  const epochs = { teacher: 2, alone: 2, student: 2 };
  const epochEvent = { type: 'epoch', time: 't', network: 'student', epoch: 0, stage: 0, loss: 1, terms: { ce: 1 }, trainAcc: 0.5, valAcc: 0.5, lr: 0.1, imagesPerSec: 100, seconds: 1 } as unknown as MetricEvent;

  it('on a terminal: a bar redrawn in place, cleared for each line; NO_COLOR honoured', () => {
    const out: string[] = [];
    let t = 0;
    const p = new ProgressPrinter({ isTTY: true, columns: 80, write: (s) => out.push(s) }, { NO_COLOR: '1' }, () => (t += 1000));
    p.event(batch(0.5), epochs);
    p.event(epochEvent, epochs);
    p.finish();
    const text = out.join('');
    assert.match(text, /^\r\x1b\[2Kstudent epoch 1\/2 \[/);
    assert.match(text, /\r\x1b\[2Kstudent epoch 1\/2 stage 1: loss 1\.0000/);
    assert.ok(!/\x1b\[3\dm/.test(text), 'no colour with NO_COLOR');
    assert.ok(text.endsWith('\r\x1b[2K'), 'the bar is gone at the end');
  });

  it('not on a terminal: plain lines only', () => {
    const out: string[] = [];
    const p = new ProgressPrinter({ isTTY: false, write: (s) => out.push(s) }, {});
    p.event(batch(0.5), epochs);
    p.line('backend: wasm');
    p.event(epochEvent, epochs);
    p.finish();
    assert.deepEqual(out.map((s) => s.split(':')[0]), ['backend', 'student epoch 1/2 stage 1']);
    assert.ok(out.every((s) => !s.includes('\x1b') && !s.includes('\r')));
  });
});
