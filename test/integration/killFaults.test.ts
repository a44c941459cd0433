/**
 * SKD Lab faults: a run whose method plugin throws, or whose loss becomes NaN, ends `failed`
 * with the reason in status.json and exit 1; a run that runs out of memory dies, leaves a run
 * directory that is not corrupt, and `skd resume` continues it to done; a run beside them is
 * not disturbed (its student equals the same run made alone).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readCheckpoint } from '../../src/trainer/runDir/checkpoint';
import { ROOT, compareStudents, ensureCli, readLog, readStatus, runSkd, type Exit } from '../helpers/killHarness';

/** A method plugin: cross-entropy, or a fault chosen by SKD_TEST_FAULT from the second epoch on. */
const PLUGIN = `
const tf = require(${JSON.stringify(path.join(ROOT, 'node_modules', '@tensorflow', 'tfjs-core'))});
const hoard = [];
exports.name = 'faulty';
exports.create = () => ({
  name: 'faulty',
  needs: {},
  extraVariables: () => [],
  losses(b) {
    const fault = process.env.SKD_TEST_FAULT;
    if (fault && b.epoch >= 1) {
      if (fault === 'throw') throw new Error('faulty plugin: losses failed on purpose');
      if (fault === 'nan') return { ce: tf.mul(tf.losses.softmaxCrossEntropy(b.oneHot, b.studentLogits), NaN) };
      if (fault === 'oom') for (;;) hoard.push(new Array(1 << 16).fill(hoard.length));
    }
    return { ce: tf.losses.softmaxCrossEntropy(b.oneHot, b.studentLogits) };
  },
  dispose() {},
});
`;

const experiment = (name: string, method: Record<string, unknown>) => ({
  name,
  seed: 3,
  data: { format: 'builtin', name: 'fashion-mnist-mini', limit: { train: 200, test: 50 } },
  teacher: { model: 'cnn', width: 4, epochs: 1 },
  student: { model: 'cnn', width: 4, epochs: 3 },
  method: { stages: 1, ...method },
  training: { batchSize: 32 },
  backend: 'wasm',
});

describe('SKD Lab faults: failing, out-of-memory and neighbouring runs', { timeout: 400_000 }, () => {
  let tmp: string;
  let faultyFile: string;
  let neighbourFile: string;
  const write = (name: string, value: unknown) => {
    const file = path.join(tmp, `${name}.skd.json`);
    fs.writeFileSync(file, JSON.stringify(value, null, 2));
    return file;
  };
  const fault = (dir: string, kind: string, nodeArgs: string[] = []): Promise<Exit> =>
    runSkd(['run', faultyFile, '--run-dir', dir, '--quiet'], { env: { SKD_TEST_FAULT: kind, SKD_CHECKPOINT_SECONDS: '0' }, nodeArgs });

  before(() => {
    ensureCli();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skd-faults-'));
    fs.writeFileSync(path.join(tmp, 'faulty.js'), PLUGIN);
    faultyFile = write('faulty', experiment('faulty', { name: 'faulty', module: './faulty.js' }));
    neighbourFile = write('neighbour', experiment('neighbour', { name: 'kd' }));
  });

  after(() => {
    if (tmp && !process.env.SKD_KEEP_TMP) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('a throwing plugin and a NaN loss end failed (exit 1, reason in status.json); a run beside them finishes undisturbed', async () => {
    const neighbourDir = path.join(tmp, 'neighbour-parallel');
    const [thrown, nan, neighbour] = await Promise.all([
      fault(path.join(tmp, 'throws'), 'throw'),
      fault(path.join(tmp, 'nan'), 'nan'),
      runSkd(['run', neighbourFile, '--run-dir', neighbourDir, '--quiet']),
    ]);
    for (const [label, exit, dir, reason] of [
      ['throwing plugin', thrown, 'throws', /faulty plugin: losses failed on purpose/],
      ['NaN loss', nan, 'nan', /student's loss became NaN at epoch 2; lower training\.lr/],
    ] as const) {
      const status = readStatus(path.join(tmp, dir));
      console.log(`# ${label}: exit ${exit.code}, status ${status?.state}, error "${status?.error}"`);
      assert.equal(exit.code, 1, `${label}: ${exit.stderr}`);
      assert.equal(status?.state, 'failed');
      assert.match(status?.error ?? '', reason);
      // One line on stderr, no stack trace. (The plugin's own copy of tfjs-core warns once that
      // it sets the platform again; that line is tf.js's, not the trainer's.)
      const lines = exit.stderr
        .trim()
        .split('\n')
        .filter((l) => !/^Platform node has already been set/.test(l));
      assert.equal(lines.length, 1, exit.stderr);
      assert.match(lines[0], /^skd: /);
      assert.doesNotMatch(exit.stderr, /\n\s+at /);
      assert.ok(!fs.existsSync(path.join(tmp, dir, 'summary.json')));
      assert.match(fs.readFileSync(path.join(tmp, dir, 'trainer.log'), 'utf8'), /failed: /);
    }
    assert.equal(neighbour.code, 0, neighbour.stderr);
    assert.equal(readStatus(neighbourDir)?.state, 'done');
    // The same run alone gives the same student: the faults beside it changed nothing.
    const aloneDir = path.join(tmp, 'neighbour-alone');
    const alone = await runSkd(['run', neighbourFile, '--run-dir', aloneDir, '--quiet']);
    assert.equal(alone.code, 0, alone.stderr);
    const diff = compareStudents(aloneDir, neighbourDir);
    console.log(`# neighbour run beside the faults vs alone: ${diff.identical ? 'byte-identical' : `max |diff| ${diff.maxAbsDiff}`}`);
    assert.ok(diff.identical);

    // A failed run resumes (and, the plugin fixed, finishes).
    const resumed = await runSkd(['resume', path.join(tmp, 'throws'), '--quiet']);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(readStatus(path.join(tmp, 'throws'))?.state, 'done');
  });

  it('a run that runs out of memory dies without corrupting its run directory, and resumes to done', async () => {
    const dir = path.join(tmp, 'oom');
    const t0 = Date.now();
    const died = await fault(dir, 'oom', ['--max-old-space-size=160']);
    const status = readStatus(dir);
    console.log(
      `# out of memory: exit ${died.code ?? died.signal} after ${((Date.now() - t0) / 1000).toFixed(1)} s, status ${status?.state}${status?.error ? ` ("${status.error}")` : ''}; ${/heap out of memory/i.test(died.stderr) ? 'V8 heap limit' : 'other'}`,
    );
    assert.notEqual(died.code, 0, 'the run should not have succeeded');
    // Either the engine caught it (failed, with a reason) or the process died (status left as it was).
    assert.ok(status?.state === 'failed' || status?.state === 'running', `status ${status?.state}`);
    if (status?.state === 'failed') assert.ok(status.error);
    // Nothing torn: every replaced file parses, the checkpoint reads, the log parses.
    for (const f of ['experiment.json', 'status.json']) JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
    const ck = readCheckpoint<{ loop: { epoch: number; batch: number } }>(path.join(dir, 'student-checkpoint.bin'));
    assert.ok(ck.state.loop.epoch >= 1, 'the student checkpoint is from before the fault');
    assert.equal(readLog(path.join(dir, 'metrics.jsonl')).torn, 0);

    const resumed = await runSkd(['resume', dir, '--quiet']);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(readStatus(dir)?.state, 'done');
    assert.ok(fs.existsSync(path.join(dir, 'summary.json')));
    const events = readLog(path.join(dir, 'metrics.jsonl')).events;
    assert.deepEqual(
      events.filter((e) => e.type === 'epoch' && e.network === 'student').map((e) => e.epoch),
      [0, 1, 2],
      'each student epoch logged once: the resume continued from the checkpoint',
    );
  });
});
