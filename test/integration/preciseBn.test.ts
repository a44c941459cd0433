/**
 * `training.preciseBn` in a real run: training uses batch statistics, so every epoch's training
 * loss is the same with it and without it; what changes is the student's moving statistics, so
 * the validation accuracies that select it are taken with the recomputed statistics, while the
 * teacher keeps its moving averages (and so its recorded trajectory) unless
 * `training.preciseBnTeacher` asks for its statistics to be recomputed too (`true`), or for its
 * trajectory's record alone (`"trajectory"`).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runExperiment } from '../../src/trainer/engine/run';
import { RUN_FILES } from '../../src/protocol/runDir';
import { Trajectory } from '../../src/trainer/skd/trajectory';
import { eventsOf, readMetrics, tempDir, tinyExperiment, writeExperiment } from '../helpers/experiment';

const tmp = tempDir('skd-precise-bn-');
after(tmp.cleanup);

type EpochEvent = { network: string; epoch: number; loss: number; valAcc: number };
const runDirs = new Map<string, string>();

async function epochs(name: string, preciseBn: number, preciseBnTeacher: boolean | 'trajectory'): Promise<EpochEvent[]> {
  // The student alone (method none): its training does not read the teacher's recorded logits,
  // which precise batch norm changes through the teacher's own moving statistics.
  const file = writeExperiment(tmp.dir, name, tinyExperiment({ name, method: { name: 'none', stages: 2 }, training: { batchSize: 32, preciseBn, preciseBnTeacher } }));
  const outcome = await runExperiment(file, { outDir: path.join(tmp.dir, 'runs') });
  assert.equal(outcome.state, 'done');
  runDirs.set(name, outcome.dir);
  return eventsOf(readMetrics(outcome.dir), 'epoch') as unknown as EpochEvent[];
}

let plain: EpochEvent[];
let precise: EpochEvent[];
let teacherToo: EpochEvent[];
let trajectoryOnly: EpochEvent[];

before(async () => {
  plain = await epochs('plain', 0, false);
  precise = await epochs('precise', 128, false);
  teacherToo = await epochs('teacher-too', 128, true);
  trajectoryOnly = await epochs('trajectory-only', 128, 'trajectory');
});

const trajectoryOf = (name: string) => Trajectory.open(path.join(runDirs.get(name)!, RUN_FILES.trajectory));

describe('precise batch norm in a run', () => {
  it('leaves training alone: the same training loss at every epoch of teacher and student', () => {
    assert.equal(precise.length, plain.length);
    assert.ok(plain.length >= 4);
    precise.forEach((e, i) => {
      assert.equal(e.network, plain[i].network);
      assert.equal(e.loss, plain[i].loss, `${e.network} epoch ${e.epoch}`);
    });
  });

  it('validates the student with the recomputed statistics, the teacher with its moving averages', () => {
    assert.ok(precise.every((e) => Number.isFinite(e.valAcc)));
    const differs = (network: string) => precise.some((e, i) => e.network === network && e.valAcc !== plain[i].valAcc);
    assert.ok(differs('student'), "every student validation accuracy equal: the statistics were not recomputed");
    assert.ok(!differs('teacher'), 'a teacher validation accuracy changed');
  });

  it("with preciseBnTeacher validates the teacher with recomputed statistics too; its training and the student's are unchanged", () => {
    assert.equal(teacherToo.length, plain.length);
    teacherToo.forEach((e, i) => {
      assert.equal(e.network, plain[i].network);
      assert.equal(e.loss, plain[i].loss, `${e.network} epoch ${e.epoch}`);
    });
    const teacher = (events: EpochEvent[]) => events.filter((e) => e.network === 'teacher').map((e) => e.valAcc);
    assert.notDeepEqual(teacher(teacherToo), teacher(plain), 'every teacher validation accuracy equal: its statistics were not recomputed');
    // The student alone does not read the teacher: it is the run without the teacher's setting, epoch for epoch.
    const student = (events: EpochEvent[]) => events.filter((e) => e.network === 'student').map((e) => [e.loss, e.valAcc]);
    assert.deepEqual(student(teacherToo), student(precise));
  });

  it('with preciseBnTeacher "trajectory" records the stages as with true and keeps the final teacher of false', () => {
    // Training and the teacher's validation (which picks the final teacher) are the run without it.
    assert.deepEqual(trajectoryOnly.map((e) => [e.network, e.loss, e.valAcc]), precise.map((e) => [e.network, e.loss, e.valAcc]));
    const only = trajectoryOf('trajectory-only');
    const too = trajectoryOf('teacher-too');
    const plainTrajectory = trajectoryOf('plain');
    // The record: every epoch's logits and validation accuracy with recomputed statistics, as `true` records them.
    assert.deepEqual(only.epochRecords, too.epochRecords);
    assert.notDeepEqual(only.epochRecords.map((r) => r.valAcc), plainTrajectory.epochRecords.map((r) => r.valAcc));
    for (const r of only.epochRecords) assert.deepEqual(only.epochLogits(r.epoch), too.epochLogits(r.epoch), `epoch ${r.epoch + 1}`);
    // Each stage's experience is its best epoch by those accuracies, the first of equals.
    for (let k = 0; k < only.meta.stages; k++) {
      const inStage = only.epochRecords.filter((r) => r.stage === k);
      const best = inStage.find((r) => r.valAcc === Math.max(...inStage.map((q) => q.valAcc)))!;
      assert.equal(only.meta.recorded[k].bestEpoch, best.epoch, `stage ${k + 1}`);
      assert.deepEqual(only.stageLogits(k), only.epochLogits(best.epoch));
    }
    // The final teacher: the plain run's best checkpoint and logits, with its moving averages.
    const plainFinal = plainTrajectory.stageLogits(plainTrajectory.bestStage());
    assert.deepEqual(only.finalLogits(), plainFinal);
    const teacherEpochs = plain.filter((e) => e.network === 'teacher');
    const bestVal = Math.max(...teacherEpochs.map((e) => e.valAcc));
    assert.deepEqual(only.meta.final, { epoch: teacherEpochs.find((e) => e.valAcc === bestVal)!.epoch, valAcc: bestVal });
    assert.equal(plainTrajectory.meta.final, undefined);
    assert.deepEqual(plainTrajectory.finalLogits(), plainFinal);
    const testAcc = (name: string) => JSON.parse(fs.readFileSync(path.join(runDirs.get(name)!, 'teacher', 'teacher.json'), 'utf8')).testAcc;
    assert.equal(testAcc('trajectory-only'), testAcc('plain'));
  });

  it("a reused teacher keeps its own setting, and the log says so where the run's differs", async () => {
    const name = 'reuse';
    const file = writeExperiment(tmp.dir, name, tinyExperiment({ name, teacher: { run: runDirs.get('plain')! }, method: { name: 'kd', stages: 2 }, training: { batchSize: 32, preciseBn: 128, preciseBnTeacher: true } }));
    const outcome = await runExperiment(file, { outDir: path.join(tmp.dir, 'runs') });
    assert.equal(outcome.state, 'done');
    const log = fs.readFileSync(path.join(outcome.dir, 'trainer.log'), 'utf8');
    assert.match(log, /teacher: recorded without precise batch norm \(training\.preciseBnTeacher false in .*experiment\.json\); this run's true applies only to a teacher it trains/);
  });
});
