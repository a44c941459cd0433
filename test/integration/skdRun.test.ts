/**
 * A tiny SKD experiment end to end, in-process through `runExperiment`: real training on the
 * builtin Fashion-MNIST subset, then every file of the run directory and every per-stage metric.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import type { Experiment } from '../../src/protocol/experiment';
import { RUN_FILES, type MetricEvent, type RunStatus, type Summary } from '../../src/protocol/runDir';
import { readRunRecord } from '../../src/trainer/bench/methods';
import { loadDataset } from '../../src/trainer/data';
import { decodeCorrect } from '../../src/trainer/runDir/heldOutValidation';
import { allIndices, argmax, imageBatch } from '../../src/trainer/engine/evaluate';
import { runExperiment, type RunOutcome } from '../../src/trainer/engine/run';
import { noStageTaughtLine } from '../../src/trainer/engine/studentPhase';
import { loadModelDir } from '../../src/trainer/models/modelIO';
import { Trajectory, type TrajectoryMeta } from '../../src/trainer/skd/trajectory';
import { eventsOf, readJsonFile, readMetrics, tempDir, tinyExperiment, writeExperiment } from '../helpers/experiment';

const tmp = tempDir('skd-run-');
let outcome: RunOutcome;
let events: MetricEvent[];
const streamed: MetricEvent[] = [];
const file = writeExperiment(tmp.dir, 'tiny', tinyExperiment());
const inUnit = (v: number) => Number.isFinite(v) && v >= 0 && v <= 1;

before(async () => {
  outcome = await runExperiment(file, { outDir: path.join(tmp.dir, 'runs'), onEvent: (e) => streamed.push(e) });
  events = readMetrics(outcome.dir);
});
after(tmp.cleanup);

describe('a tiny SKD run, end to end', () => {
  it('finishes done in a new run directory <out>/<name>-<timestamp>', () => {
    assert.equal(outcome.state, 'done');
    assert.equal(path.dirname(outcome.dir), path.join(tmp.dir, 'runs'));
    assert.match(path.basename(outcome.dir), /^tiny-\d{8}-\d{6}$/);
    const status = readJsonFile<RunStatus>(path.join(outcome.dir, RUN_FILES.status));
    assert.equal(status.state, 'done');
    assert.equal(status.progress, 1);
    assert.equal(status.error, undefined);
  });

  it('experiment.json holds the resolved experiment', () => {
    const exp = readJsonFile<Experiment>(path.join(outcome.dir, RUN_FILES.experiment));
    assert.equal(exp.name, 'tiny');
    assert.equal(exp.method.name, 'skd');
    assert.equal(exp.method.stages, 2);
    assert.equal(exp.method.temperature, 2);
    assert.equal(exp.training.batchSize, 32);
    assert.equal(exp.training.lr, 0.05);
    assert.equal(exp.data.validation, 0.1);
  });

  it('streams every event it writes to metrics.jsonl, "run" first and "final" last', () => {
    assert.deepEqual(streamed, events);
    assert.equal(events[0].type, 'run');
    assert.equal(events[events.length - 1].type, 'final');
    const run = eventsOf(events, 'run')[0];
    assert.deepEqual(run.data, { name: 'fashion-mnist-mini', train: 270, validation: 30, test: 100, shape: [28, 28, 1], classes: 10 });
    assert.equal(run.method, 'skd');
    assert.equal(run.resumed, false);
    // Phases in order: the teacher, its meta-networks, then the student.
    const order = events.map((e) => (e.type === 'epoch' ? `${e.network}-epoch` : e.type)).filter((t) => ['teacher-epoch', 'tbt', 'tet', 'student-epoch'].includes(t));
    const firstOf = (t: string) => order.indexOf(t);
    const lastOf = (t: string) => order.lastIndexOf(t);
    assert.ok(lastOf('teacher-epoch') < firstOf('tbt'), order.join(' '));
    assert.ok(lastOf('tbt') < firstOf('tet'), order.join(' '));
    assert.ok(lastOf('tet') < firstOf('student-epoch'), order.join(' '));
  });

  it('an epoch event per teacher and student epoch, with losses, accuracies and the schedule', () => {
    for (const network of ['teacher', 'student'] as const) {
      const epochs = eventsOf(events, 'epoch').filter((e) => e.network === network);
      assert.deepEqual(epochs.map((e) => [e.epoch, e.stage]), [
        [0, 0],
        [1, 1],
      ]);
      // Cosine over 2 epochs from 0.05: 0.05, then 0.025.
      assert.deepEqual(epochs.map((e) => e.lr), [0.05, 0.025]);
      for (const e of epochs) {
        assert.ok(Number.isFinite(e.loss) && e.loss > 0, `${network} loss ${e.loss}`);
        assert.ok(inUnit(e.trainAcc) && inUnit(e.valAcc));
        // The loss is the sum of its named terms.
        const terms = Object.values(e.terms).reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(terms - e.loss) < 1e-4 * Math.max(1, e.loss), `${network}: terms ${terms} vs loss ${e.loss}`);
      }
      // Two stages: the student looks ahead to the last one (the final teacher) from the start, so
      // SKD is KD: TBT has no stage to predict, and the final teacher's recorded behaviour is no
      // target (`tbt.final` false).
      const want = network === 'teacher' ? ['ce'] : ['ce', 'kd'];
      for (const e of epochs) assert.deepEqual(Object.keys(e.terms).sort(), want);
    }
    assert.ok(eventsOf(events, 'batch').length >= 4, 'live batch events for the charts');
  });

  it('each epoch event says which validation images it gets right, and summary.json which test images the student does', () => {
    const validation = eventsOf(events, 'run')[0].data.validation;
    for (const e of eventsOf(events, 'epoch')) {
      const right = decodeCorrect(e.valCorrect!);
      assert.ok(right, `${e.network} epoch ${e.epoch}: a valid record`);
      assert.equal(right.length, validation);
      assert.equal(right.reduce((a, b) => a + b, 0), Math.round(e.valAcc * validation));
    }
    // The final student's test images likewise, in summary.json.
    const summary = readJsonFile<Summary>(path.join(outcome.dir, RUN_FILES.summary));
    const test = decodeCorrect(summary.student.testCorrect!)!;
    assert.equal(test.reduce((a, b) => a + b, 0), Math.round(summary.student.testAcc * test.length));
    // The bench reads them back from the run directory: the held-out figure and the per-image records.
    const record = readRunRecord(outcome.dir)!;
    assert.ok(record.heldOutValAcc !== null && inUnit(record.heldOutValAcc));
    assert.deepEqual(Object.keys(record.perImage ?? {}).sort(), ['heldOutVal', 'test', 'val']);
    assert.equal(record.perImage!.heldOutVal!.reduce((a, b) => a + b, 0) / validation, record.heldOutValAcc);
  });

  it('a stage event per stage of each network', () => {
    for (const network of ['teacher', 'student'] as const) {
      const stages = eventsOf(events, 'stage').filter((e) => e.network === network);
      assert.deepEqual(
        stages.map((s) => [s.stage, s.firstEpoch, s.lastEpoch, s.bestEpoch]),
        [
          [0, 0, 0, 0],
          [1, 1, 1, 1],
        ],
      );
      for (const s of stages) assert.ok(inUnit(s.bestValAcc));
    }
  });

  it('TBT: a behaviour-prediction event per predicted stage, per tapped teacher layer', () => {
    const tbt = eventsOf(events, 'tbt');
    assert.deepEqual(tbt.map((e) => e.stage), [0]);
    const meta = readJsonFile<TrajectoryMeta>(path.join(outcome.dir, RUN_FILES.trajectory, 'trajectory.json'));
    for (const e of tbt) {
      assert.deepEqual(e.layers.map((l) => l.layer), meta.taps);
      for (const l of e.layers) {
        assert.ok(Number.isFinite(l.nmse) && l.nmse >= 0, `nmse ${l.nmse}`);
        assert.ok(Number.isFinite(l.baselineNmse) && l.baselineNmse >= 0);
        assert.ok(l.cosine >= -1 && l.cosine <= 1, `cosine ${l.cosine}`);
      }
    }
  });

  it('TET: experience metrics for every stage', () => {
    const tet = eventsOf(events, 'tet');
    assert.deepEqual(tet.map((e) => e.stage), [0, 1]);
    for (const e of tet) {
      assert.ok(inUnit(e.accuracy) && inUnit(e.ece) && inUnit(e.teacherAccuracy) && inUnit(e.teacherEce));
      assert.ok(e.entropy > 0 && e.entropy <= Math.log(10) + 1e-6, `entropy ${e.entropy}`);
      assert.ok(Number.isFinite(e.klToTeacher) && e.klToTeacher >= 0, `KL ${e.klToTeacher}`);
    }
  });

  it("the log says when SKD's stage check taught no stage (the student then trains as with KD), and only then", () => {
    const log = fs.readFileSync(path.join(outcome.dir, RUN_FILES.log), 'utf8');
    // Two stages: the student looks ahead to the final teacher from the start, so stage 1's
    // experience is taught only beside it (tet.late), and only if its check passed.
    const taught = eventsOf(events, 'tet').find((e) => e.stage === 0)!.addsToFinal === true;
    assert.equal(log.includes(noStageTaughtLine('skd', false)), !taught);
    const terms = eventsOf(events, 'epoch').filter((e) => e.network === 'student').flatMap((e) => Object.keys(e.terms));
    assert.equal(terms.includes('experience'), taught);
  });

  it('summary.json and the final event agree, with accuracies in [0, 1]', () => {
    const summary = readJsonFile<Summary>(path.join(outcome.dir, RUN_FILES.summary));
    assert.deepEqual(JSON.parse(JSON.stringify(outcome.summary)), summary);
    const final = eventsOf(events, 'final')[0];
    assert.equal(summary.name, 'tiny');
    assert.equal(summary.method, 'skd');
    assert.equal(summary.runDir, path.basename(outcome.dir));
    assert.equal(summary.teacher.model, 'cnn');
    assert.ok(inUnit(summary.teacher.testAcc) && inUnit(summary.student.testAcc));
    assert.equal(final.teacherTestAcc, summary.teacher.testAcc);
    assert.equal(final.studentTestAcc, summary.student.testAcc);
    assert.ok(summary.student.params > 0 && summary.student.params === final.studentParams);
    assert.ok(summary.seconds > 0);
    // 100 test images: accuracies are whole percents.
    for (const acc of [summary.teacher.testAcc, summary.student.testAcc]) assert.ok(Math.abs(acc * 100 - Math.round(acc * 100)) < 1e-9, `${acc}`);
  });

  it('student/ is a tf.js model that predicts 10 classes with the reported test accuracy', async () => {
    const model = await loadModelDir(path.join(outcome.dir, RUN_FILES.student));
    const exp = readJsonFile<Experiment>(path.join(outcome.dir, RUN_FILES.experiment));
    const ds = await loadDataset(exp.data, { experimentFile: file, baseDir: tmp.dir }, exp.seed);
    const idx = allIndices(ds.test.n);
    const logits = tf.tidy(() => (model.predict(imageBatch(ds, ds.test, idx)) as tf.Tensor).dataSync());
    assert.equal(logits.length, ds.test.n * 10);
    let correct = 0;
    for (let i = 0; i < ds.test.n; i++) if (argmax(logits, i * 10, 10) === ds.test.y[i]) correct++;
    const summary = readJsonFile<Summary>(path.join(outcome.dir, RUN_FILES.summary));
    assert.equal(correct / ds.test.n, summary.student.testAcc);
    model.dispose();
  });

  it('teacher/trajectory holds every stage, loadable', () => {
    const traj = Trajectory.open(path.join(outcome.dir, RUN_FILES.trajectory));
    assert.equal(traj.meta.stages, 2);
    assert.ok(traj.complete);
    assert.deepEqual(traj.meta.recorded.map((r) => [r.stage, r.endEpoch]), [
      [0, 0],
      [1, 1],
    ]);
    assert.equal(traj.meta.images, 300);
    assert.equal(traj.meta.classes, 10);
    assert.equal(traj.meta.taps.length, traj.meta.tapChannels.length);
    for (let k = 0; k < 2; k++) {
      const rec = traj.stage(k);
      assert.equal(rec.logits.length, 300 * 10);
      assert.ok(rec.logits.every(Number.isFinite));
      rec.behaviour.forEach((b, l) => assert.equal(b.length, 300 * traj.meta.tapChannels[l]));
    }
    // The teacher model and the meta-networks are kept for reuse and resume.
    for (const f of ['teacher/model/model.json', 'teacher/teacher.json', 'meta/tbt.bin', 'meta/tet.bin', RUN_FILES.log]) {
      assert.ok(fs.existsSync(path.join(outcome.dir, f)), `${f} exists`);
    }
  });
});
