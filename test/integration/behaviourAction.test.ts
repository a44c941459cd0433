/**
 * SKD's action form of the behaviour term (`method.tbt.match: "action"`) on a real tiny run of
 * the command line: the student's own behaviour is recorded at the start of each of its stages,
 * the term is trained on while the student looks ahead to an intermediate teacher stage, and a
 * run stopped inside such a stage resumes to the very student of an uninterrupted run (the
 * resumed run reads the stage's start back, it does not take it from its later weights).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MetricsFollower, compareStudents, ensureCli, readLog, readStatus, runSkd, startSkd, studentBatchIn, tinySkdExperiment } from '../helpers/killHarness';

describe("SKD's behaviour term in its action form", { timeout: 600_000 }, () => {
  let tmp: string;
  let file: string;
  let refDir: string;

  before(() => {
    ensureCli();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skd-action-'));
    file = path.join(tmp, 'action.skd.json');
    // Four stages and every stage taught: student stages 1 and 2 look ahead to teacher stages 2
    // and 3, whose behaviour TBT predicts; 1000 images, so a stop lands inside a student epoch.
    const exp = tinySkdExperiment('action', {
      teacher: { model: 'cnn', width: 4, epochs: 4 },
      student: { model: 'cnn', width: 4, epochs: 4 },
      method: { name: 'skd', stages: 4, tbt: { epochs: 5, match: 'action' }, tet: { epochs: 5, check: 'none' } },
    });
    (exp.data as { limit: { train: number } }).limit.train = 1000;
    fs.writeFileSync(file, JSON.stringify(exp, null, 2));
    refDir = path.join(tmp, 'reference');
  });

  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("records the student's behaviour at each stage start and trains on the term while it looks ahead", async () => {
    const r = await runSkd(['run', file, '--run-dir', refDir, '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    for (let k = 1; k <= 4; k++) assert.ok(fs.existsSync(path.join(refDir, `student-stage-${k}-behaviour.bin`)), `stage ${k}'s start is recorded`);
    const epochs = readLog(path.join(refDir, 'metrics.jsonl')).events.filter((e) => e.type === 'epoch' && e.network === 'student');
    const behaviour = epochs.map((e) => (e.terms as Record<string, number> | undefined)?.behaviour);
    assert.ok(behaviour[0]! > 0 && behaviour[1]! > 0, `a behaviour term in the two look-ahead stages: ${behaviour}`);
    assert.deepEqual(behaviour.slice(2), [undefined, undefined], 'none while the student learns from the final teacher');
  });

  it('stopped inside the second student stage, it resumes to the same student', async () => {
    const dir = path.join(tmp, 'stopped');
    const metrics = path.join(dir, 'metrics.jsonl');
    const c = startSkd(['run', file, '--run-dir', dir, '--quiet']);
    const follower = new MetricsFollower(metrics);
    await studentBatchIn(follower, 1, 300_000);
    c.child.kill('SIGTERM');
    const stopped = await c.exit;
    assert.equal(stopped.code, 3, `exit ${stopped.code ?? stopped.signal}: ${stopped.stderr}`);
    assert.equal(readStatus(dir)?.state, 'stopped');
    const resumed = await runSkd(['resume', dir, '--quiet']);
    assert.equal(resumed.code, 0, resumed.stderr);
    const diff = compareStudents(refDir, dir);
    assert.ok(diff.identical, `the stopped and resumed student differs: max |diff| ${diff.maxAbsDiff}`);
  });
});
