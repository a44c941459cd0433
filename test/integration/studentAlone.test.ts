/**
 * The student alone, on real tiny runs: a kd run trains it after its teacher (stopped inside
 * that phase and resumed, without training it twice), reports it in summary.json and the `final`
 * event with the gain; trained on a second thread beside the teacher it is the same student,
 * batch for batch, stopped and resumed with the run; a run reusing that teacher reuses it; a
 * `none` run of the same student gets the very same accuracy; `"studentAlone": false` skips it.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RUN_FILES, type RunStatus, type Summary } from '../../src/protocol/runDir';
import type { AloneRecord } from '../../src/trainer/engine/alonePhase';
import { resumeRun, runExperiment, type RunOutcome } from '../../src/trainer/engine/run';
import type { StopToken } from '../../src/trainer/engine/trainLoop';
import type { BackendName } from '../../src/protocol/experiment';
import { checkedExperiment } from '../../src/trainer/config/validate';
import { loadDataset } from '../../src/trainer/data';
import { startAloneBeside } from '../../src/trainer/engine/aloneBeside';
import type { RunContext } from '../../src/trainer/engine/context';
import { makeSplits } from '../../src/trainer/engine/splits';
import { RunDirectory } from '../../src/trainer/runDir/runDirectory';
import { compareStudents } from '../helpers/killHarness';
import { eventsOf, readJsonFile, readMetrics, tempDir, tinyExperiment, writeExperiment } from '../helpers/experiment';

const tmp = tempDir('skd-alone-');
after(tmp.cleanup);
const out = path.join(tmp.dir, 'runs');
const kd = { name: 'kd', stages: 2 };

let first: RunOutcome;
let stoppedAt: string | undefined;

before(async () => {
  // Stopped after the student alone's first epoch, then resumed.
  const stop: StopToken = { requested: false };
  const file = writeExperiment(tmp.dir, 'kd', tinyExperiment({ name: 'kd', method: kd }));
  const stopped = await runExperiment(file, {
    outDir: out,
    aloneBeside: false,
    stop,
    onEvent: (e) => {
      if (e.type === 'epoch' && e.network === 'alone' && e.epoch === 0) stop.requested = true;
    },
  });
  assert.equal(stopped.state, 'stopped');
  assert.equal(readJsonFile<RunStatus>(path.join(stopped.dir, RUN_FILES.status)).state, 'stopped');
  stoppedAt = eventsOf(readMetrics(stopped.dir), 'phase').pop()?.phase;
  first = await resumeRun(stopped.dir, { aloneBeside: false });
});

/** The student alone's epochs of a run as numbers that must agree between two ways of training it. */
function aloneEpochs(dir: string): string[] {
  return eventsOf(readMetrics(dir), 'epoch')
    .filter((e) => e.network === 'alone')
    .map((e) => JSON.stringify([e.epoch, e.stage, e.loss, e.terms, e.trainAcc, e.valAcc, e.lr]));
}

describe('student alone', () => {
  it('a kd run trains it after the teacher and before the distilled student, resumably', () => {
    assert.equal(first.state, 'done');
    assert.equal(stoppedAt, 'alone');
    const events = readMetrics(first.dir);
    const epochs = eventsOf(events, 'epoch');
    assert.deepEqual(epochs.filter((e) => e.network === 'alone').map((e) => e.epoch), [0, 1], 'each student-alone epoch once across the stop');
    assert.deepEqual(epochs.filter((e) => e.network === 'teacher').map((e) => e.epoch), [0, 1], 'the teacher is not trained again on resume');
    assert.deepEqual(Object.keys(epochs.find((e) => e.network === 'alone')!.terms), ['ce']);
    const phases = eventsOf(events, 'phase').map((e) => e.phase);
    assert.ok(phases.indexOf('teacher') < phases.indexOf('alone') && phases.lastIndexOf('alone') < phases.indexOf('student'), phases.join(' '));
    const order = epochs.map((e) => e.network);
    assert.ok(order.lastIndexOf('alone') < order.indexOf('student'), order.join(' '));
  });

  it('trained on a second thread beside the teacher, it is the same student, and its events reach the run', async () => {
    const file = writeExperiment(tmp.dir, 'beside', tinyExperiment({ name: 'beside', method: kd }));
    const heard: string[] = [];
    const o = await runExperiment(file, { outDir: out, aloneBeside: true, onEvent: (e) => void (e.type === 'epoch' && heard.push(e.network)) });
    assert.equal(o.state, 'done');
    const phases = eventsOf(readMetrics(o.dir), 'phase');
    assert.match(phases[0]?.phase === 'alone' ? phases[0].detail ?? '' : '', /beside the teacher/, JSON.stringify(phases));
    assert.equal(phases[1]?.phase, 'teacher', 'announced before the teacher, whose phase is the one the run is in');
    assert.deepEqual(aloneEpochs(o.dir), aloneEpochs(first.dir), 'the same losses and accuracies, epoch for epoch');
    const rec = readJsonFile<AloneRecord>(path.join(o.dir, RUN_FILES.alone));
    const sequential = readJsonFile<AloneRecord>(path.join(first.dir, RUN_FILES.alone));
    assert.deepEqual([rec.testAcc, rec.valAcc, rec.bestEpoch], [sequential.testAcc, sequential.valAcc, sequential.bestEpoch]);
    assert.equal(o.summary!.studentAlone!.testAcc, first.summary!.studentAlone!.testAcc);
    assert.equal(o.summary!.student.testAcc, first.summary!.student.testAcc, 'the distilled student is not touched');
    assert.deepEqual(heard.filter((n) => n === 'alone').length, 2, "the worker's events reach the run's listeners (the CLI, the server)");
    assert.match(fs.readFileSync(path.join(o.dir, RUN_FILES.log), 'utf8'), /student alone: test accuracy/);
  });

  it('beside the teacher, a stop stops both; the run resumes them without training an epoch twice', async () => {
    const stop: StopToken = { requested: false };
    const file = writeExperiment(tmp.dir, 'beside-stop', tinyExperiment({ name: 'beside-stop', method: kd }));
    const stopped = await runExperiment(file, {
      outDir: out,
      aloneBeside: true,
      stop,
      onEvent: (e) => {
        if (e.type === 'epoch' && e.network === 'teacher' && e.epoch === 0) stop.requested = true;
      },
    });
    assert.equal(stopped.state, 'stopped');
    const o = await resumeRun(stopped.dir, { aloneBeside: true });
    assert.equal(o.state, 'done');
    const epochs = eventsOf(readMetrics(o.dir), 'epoch');
    assert.deepEqual(epochs.filter((e) => e.network === 'teacher').map((e) => e.epoch), [0, 1]);
    assert.deepEqual(epochs.filter((e) => e.network === 'alone').map((e) => e.epoch), [0, 1]);
    assert.equal(o.summary!.studentAlone!.testAcc, first.summary!.studentAlone!.testAcc);
  });

  it("a `none` run that trains its teacher trains its own student beside it: the same student, byte for byte", async () => {
    const none = { name: 'none', stages: 2 };
    const run = (beside: boolean) => runExperiment(writeExperiment(tmp.dir, `none-beside-${beside}`, tinyExperiment({ name: `none-beside-${beside}`, method: none })), { outDir: out, aloneBeside: beside });
    const after = await run(false);
    const beside = await run(true);
    assert.equal(beside.state, 'done');
    const phases = eventsOf(readMetrics(beside.dir), 'phase');
    assert.deepEqual([phases[0]?.phase, phases[1]?.phase], ['student', 'teacher'], JSON.stringify(phases));
    assert.match(phases[0]?.detail ?? '', /beside the teacher/);
    assert.deepEqual(eventsOf(readMetrics(after.dir), 'phase').map((e) => e.phase).slice(0, 1), ['teacher'], 'without it, the teacher first');
    const epochs = (dir: string) => eventsOf(readMetrics(dir), 'epoch').filter((e) => e.network === 'student').map((e) => JSON.stringify([e.epoch, e.loss, e.valAcc]));
    assert.deepEqual(epochs(beside.dir), epochs(after.dir));
    assert.deepEqual(beside.summary!.student, after.summary!.student);
    assert.deepEqual(beside.summary!.teacher, after.summary!.teacher);
    assert.equal(beside.summary!.studentAlone, undefined, 'a none run is the student alone itself');
    const diff = compareStudents(beside.dir, after.dir);
    assert.ok(diff.identical, `the exported students differ: ${JSON.stringify(diff)}`);
    assert.equal(readJsonFile<RunStatus>(path.join(beside.dir, RUN_FILES.status)).progress, 1);
  });

  it('a student alone whose thread fails says why instead of hanging the run (which then trains it itself)', async () => {
    const file = writeExperiment(tmp.dir, 'beside-fail', tinyExperiment({ name: 'beside-fail', method: kd }));
    const experiment = checkedExperiment(JSON.parse(fs.readFileSync(file, 'utf8')), file);
    const dir = path.join(tmp.dir, 'beside-fail-run');
    const run = RunDirectory.create(dir, experiment);
    const dataset = await loadDataset(experiment.data, { experimentFile: file, baseDir: tmp.dir }, experiment.seed);
    const ctx: RunContext = {
      experiment,
      experimentFile: file,
      run,
      dataset,
      splits: makeSplits(dataset, 0.1, experiment.seed),
      stop: { requested: false },
      log: () => undefined,
      progress: () => undefined,
    };
    // A backend its thread cannot load: the failure comes back as an outcome.
    const outcome = await startAloneBeside(ctx, 'alone', 'no-such-backend' as BackendName, 2, { echo: () => undefined, relay: () => undefined, progress: () => undefined }).outcome();
    assert.ok('error' in outcome && /no-such-backend/.test(outcome.error), JSON.stringify(outcome));
    assert.ok(!fs.existsSync(path.join(dir, RUN_FILES.alone)));
  });

  it('summary.json and the final event carry the student alone and the gain', () => {
    const s = readJsonFile<Summary>(path.join(first.dir, RUN_FILES.summary));
    assert.ok(s.studentAlone && s.studentAlone.testAcc >= 0 && s.studentAlone.testAcc <= 1, JSON.stringify(s.studentAlone));
    assert.equal(s.studentAlone.fromRun, undefined);
    assert.equal(s.gain, s.student.testAcc - s.studentAlone.testAcc);
    const final = eventsOf(readMetrics(first.dir), 'final');
    assert.equal(final.length, 1);
    assert.equal(final[0].studentAloneTestAcc, s.studentAlone.testAcc);
    assert.equal(final[0].gain, s.gain);
    const rec = readJsonFile<AloneRecord>(path.join(first.dir, RUN_FILES.alone));
    assert.equal(rec.testAcc, s.studentAlone.testAcc);
    assert.equal(rec.key.seed, 1);
    // The exported model is the distilled student, not the student alone.
    assert.equal(readJsonFile<{ testAcc: number }>(path.join(first.dir, 'student.json')).testAcc, s.student.testAcc);
    assert.ok(fs.existsSync(path.join(first.dir, RUN_FILES.student, 'model.json')));
    assert.equal(readJsonFile<RunStatus>(path.join(first.dir, RUN_FILES.status)).progress, 1);
  });

  it('a run reusing that teacher reuses its student alone, and says where from', async () => {
    const file = writeExperiment(tmp.dir, 'reuse', tinyExperiment({ name: 'reuse', teacher: { run: first.dir }, method: { name: 'skd', stages: 2, tbt: { epochs: 2 }, tet: { epochs: 2 } } }));
    const o = await runExperiment(file, { outDir: out });
    assert.equal(o.state, 'done');
    const events = readMetrics(o.dir);
    assert.deepEqual(eventsOf(events, 'epoch').map((e) => e.network), ['student', 'student'], 'neither the teacher nor the student alone trained again');
    const mine = first.summary!.studentAlone!;
    assert.deepEqual(o.summary!.studentAlone, { testAcc: mine.testAcc, fromRun: path.relative(o.dir, first.dir) });
    assert.equal(readJsonFile<AloneRecord>(path.join(o.dir, RUN_FILES.alone)).fromRun, path.relative(o.dir, first.dir), 'alone.json holds no absolute path');
    assert.equal(o.summary!.runDir, path.basename(o.dir));
    assert.equal(o.summary!.gain, o.summary!.student.testAcc - mine.testAcc);
    assert.match(eventsOf(events, 'phase').find((e) => e.phase === 'alone')?.detail ?? '', /^reused from /);
  });

  it('a `none` run of the same student is exactly the student alone', async () => {
    const file = writeExperiment(tmp.dir, 'none', tinyExperiment({ name: 'none', teacher: { run: first.dir }, method: { name: 'none', stages: 2 } }));
    const o = await runExperiment(file, { outDir: out });
    assert.equal(o.state, 'done');
    assert.equal(o.summary!.student.testAcc, first.summary!.studentAlone!.testAcc);
    assert.equal(o.summary!.studentAlone, undefined, 'a none run is the student alone itself');
    assert.ok(!eventsOf(readMetrics(o.dir), 'epoch').some((e) => e.network === 'alone'));
  });

  it('"studentAlone": false skips it', async () => {
    const file = writeExperiment(tmp.dir, 'off', tinyExperiment({ name: 'off', teacher: { run: first.dir }, method: kd, studentAlone: false }));
    const o = await runExperiment(file, { outDir: out });
    assert.equal(o.state, 'done');
    assert.equal(o.summary!.studentAlone, undefined);
    assert.equal(o.summary!.gain, undefined);
    assert.ok(!fs.existsSync(path.join(o.dir, RUN_FILES.alone)));
    const events = readMetrics(o.dir);
    assert.ok(!eventsOf(events, 'phase').some((e) => e.phase === 'alone'));
    assert.equal(eventsOf(events, 'final')[0].studentAloneTestAcc, undefined);
  });

  it("SKD's stage check (method.tet.check ahead) still measures the teacher's stages against it, unreported", async () => {
    const skd = { name: 'skd', stages: 2, tbt: { epochs: 2 }, tet: { epochs: 2 } };
    const file = writeExperiment(tmp.dir, 'skd-off', tinyExperiment({ name: 'skd-off', teacher: { run: first.dir }, method: skd, studentAlone: false }));
    const o = await runExperiment(file, { outDir: out });
    assert.equal(o.state, 'done');
    assert.equal(o.summary!.studentAlone, undefined);
    const rec = readJsonFile<AloneRecord>(path.join(o.dir, RUN_FILES.alone));
    // Reused from the kd run's teacher folder, with its best validation accuracy.
    assert.equal(rec.testAcc, first.summary!.studentAlone!.testAcc);
    assert.ok(typeof rec.valAcc === 'number' && rec.valAcc > 0, JSON.stringify(rec));
    const tet = eventsOf(readMetrics(o.dir), 'tet');
    assert.ok(tet.length > 0);
    for (const e of tet) {
      assert.equal(e.check, 'ahead');
      assert.equal(e.aloneAccuracy, rec.valAcc);
      assert.equal(typeof e.heldOutAccuracy, 'number');
    }
  });

  it('data.limit.student: the student and its student alone learn from that many fit images, the teacher reused', async () => {
    const data = { ...tinyExperiment().data as object, limit: { train: 300, test: 100, student: 60 } };
    const file = writeExperiment(tmp.dir, 'subset', tinyExperiment({ name: 'subset', data, teacher: { run: first.dir }, method: kd }));
    const o = await runExperiment(file, { outDir: out });
    assert.equal(o.state, 'done');
    const events = readMetrics(o.dir);
    const run = eventsOf(events, 'run')[0];
    assert.equal(run.data.train, 270, "the teacher's fit images");
    assert.equal(run.data.student, 60);
    // 60 images in batches of 32: two batches an epoch, where the full fit split gives nine.
    const batchesPerEpoch = (dir: string, network: string) => eventsOf(readMetrics(dir), 'batch').filter((e) => e.network === network && e.epoch === 0).length;
    assert.equal(batchesPerEpoch(first.dir, 'student'), 9);
    assert.equal(batchesPerEpoch(o.dir, 'student'), 2);
    assert.equal(batchesPerEpoch(o.dir, 'alone'), 2, 'the student alone is trained again on the subset, not reused');
    assert.ok(!eventsOf(events, 'epoch').some((e) => e.network === 'teacher'));
    const rec = readJsonFile<AloneRecord>(path.join(o.dir, RUN_FILES.alone));
    assert.equal(rec.key.studentLimit, 60);
    assert.equal(rec.fromRun, undefined);
    assert.match(fs.readFileSync(path.join(o.dir, RUN_FILES.log), 'utf8'), /270 fit \/ 30 validation \/ 100 test images, the student learns from 60 of the fit images/);
  });
});
