/**
 * Stopping `skd bench methods` (SIGTERM: the extension's Stop Method Bench; Ctrl-C in a terminal):
 * no run starts after it, the running ones checkpoint, the bench exits 3 and `--resume` finishes
 * it. The bench's runs are child processes: a bench that ended on the signal alone would leave
 * them training on.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { MethodsBenchReport } from '../../src/trainer/bench/methods';
import { readStatus, readSummary } from '../../src/trainer/runDir/runFiles';
import { ensureBuilt, ownLines, runCli } from '../helpers/cli';
import { tempDir, tinyExperiment, writeExperiment } from '../helpers/experiment';

const tmp = tempDir('skd-bench-stop-');
after(tmp.cleanup);
before(() => ensureBuilt());

describe('skd bench methods, stopped', () => {
  const out = path.join(tmp.dir, 'runs');
  before(() => writeExperiment(tmp.dir, 'base', tinyExperiment({ method: { name: 'kd', stages: 2 }, student: { model: 'cnn', width: 4, epochs: 4 } })));

  it('SIGTERM after the teacher: exit 3, no student left training, and --resume finishes it', async () => {
    // The teacher's line comes when its run has ended and the students are starting.
    const r = await runCli(['bench', 'methods', '--experiment', 'base.skd.json', '--methods', 'none,kd', '--seeds', '2', '--parallel', '2', '--out', out], {
      cwd: tmp.dir,
      timeoutMs: 300_000,
      signalWhen: { line: /^teacher: teacher /, signal: 'SIGTERM' },
    });
    assert.equal(r.code, 3, r.stderr);
    const own = ownLines(r.stderr);
    assert.ok(own.some((l) => /^skd: SIGTERM: stopping the bench/.test(l)), r.stderr);
    assert.ok(own.some((l) => /^stopped; skd bench methods --resume /.test(l)), r.stderr);
    const [bench] = fs.readdirSync(out).map((d) => path.join(out, d));
    assert.ok(bench);
    const students = fs.readdirSync(bench).filter((d) => /-s\d+$/.test(d));
    assert.ok(readSummary(path.join(bench, 'teacher')), 'the teacher finished before the signal');
    assert.ok(students.filter((d) => readSummary(path.join(bench, d))).length < 3, `not every student may finish: ${students.join(', ')}`);
    // Nothing trains on after the bench ended: every student folder it started is stopped or done.
    for (const d of students) {
      const state = readStatus(path.join(bench, d))?.state;
      assert.ok(state === undefined || state === 'stopped' || state === 'done' || state === 'failed', `${d}: ${state}`);
    }

    const resumed = await runCli(['bench', 'methods', '--resume', bench, '--json'], { cwd: tmp.dir, timeoutMs: 300_000 });
    assert.equal(resumed.code, 0, resumed.stderr);
    const report = JSON.parse(resumed.stdout) as MethodsBenchReport;
    assert.deepEqual(report.missing, []);
    assert.equal(report.rows.find((x) => x.method === 'kd')?.runs, 2);
    assert.equal(report.stopped, undefined);
  });
});
