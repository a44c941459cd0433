/**
 * The student alone's reuse rule: a finished result in the reused teacher's run directory is
 * taken only for exactly the same student, seed, training and data; a `none` run's student is
 * the student alone. Files only, no training.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import type { Experiment } from '../../../src/protocol/experiment';
import { RUN_FILES } from '../../../src/protocol/runDir';
import { withDefaults } from '../../../src/trainer/config/defaults';
import { aloneKey, canonicalJson, findReusableAlone, findSiblingAlone, sameAloneKey, type AloneRecord, type DataFingerprint } from '../../../src/trainer/engine/alonePhase';
import { tempDir } from '../../helpers/experiment';

const tmp = tempDir('skd-alone-');
after(tmp.cleanup);

const fingerprint: DataFingerprint = { name: 'fashion-mnist-mini', train: 300, test: 100, seed: 1, shape: [28, 28, 1] };

function experiment(over: Partial<Experiment> = {}): Experiment {
  return withDefaults({
    name: 'e',
    seed: 1,
    data: { format: 'builtin', name: 'fashion-mnist-mini', limit: { train: 300, test: 100 } },
    teacher: { model: 'cnn', width: 8, epochs: 2 },
    student: { model: 'cnn', width: 4, epochs: 2 },
    method: { name: 'kd', stages: 2, temperature: 4 },
    training: { batchSize: 32, optimizer: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 5e-4 },
    ...over,
  });
}

let n = 0;
/** A fake run directory with the given files (JSON values). */
function runDir(files: Record<string, unknown>): string {
  const dir = path.join(tmp.dir, `run-${n++}`);
  for (const [name, value] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), JSON.stringify(value));
  }
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

const result = { testAcc: 0.7, params: 1234, bestEpoch: 1, valAcc: 0.72 };
const trajectoryFile = path.join(RUN_FILES.trajectory, 'trajectory.json');

describe('student alone: the match key', () => {
  it('equal for the same student, seed, training and data, whatever the key order', () => {
    const a = aloneKey(experiment(), fingerprint);
    const b = aloneKey(experiment({ student: { epochs: 2, width: 4, model: 'cnn' } }), { shape: [28, 28, 1], seed: 1, test: 100, train: 300, name: 'fashion-mnist-mini' });
    assert.ok(sameAloneKey(a, b));
    assert.equal(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: undefined } }), '{"a":{"d":[1,{"e":3,"f":2}]},"b":1}');
  });

  it('the method and its settings, the teacher and the backend do not matter', () => {
    const a = aloneKey(experiment(), fingerprint);
    const b = aloneKey(experiment({ method: { name: 'skd', stages: 4, temperature: 2 }, teacher: { run: '/elsewhere' }, backend: 'cpu' }), fingerprint);
    assert.ok(sameAloneKey(a, b));
  });

  it("the teacher's batch-norm setting does not matter; the students' does", () => {
    const a = aloneKey(experiment(), fingerprint);
    const training = experiment().training;
    assert.ok(sameAloneKey(a, aloneKey(experiment({ training: { ...training, preciseBnTeacher: true } }), fingerprint)));
    assert.ok(!sameAloneKey(a, aloneKey(experiment({ training: { ...training, preciseBn: 0 } }), fingerprint)));
  });

  it('differs on anything that changes what the student alone learns', () => {
    const base = aloneKey(experiment(), fingerprint);
    const variants: [string, ReturnType<typeof aloneKey>][] = [
      ['student width', aloneKey(experiment({ student: { model: 'cnn', width: 8, epochs: 2 } }), fingerprint)],
      ['student epochs', aloneKey(experiment({ student: { model: 'cnn', width: 4, epochs: 3 } }), fingerprint)],
      ['student depth given', aloneKey(experiment({ student: { model: 'cnn', width: 4, epochs: 2, depth: 8 } }), fingerprint)],
      ['seed', aloneKey(experiment({ seed: 2 }), fingerprint)],
      ['lr', aloneKey(experiment({ training: { ...experiment().training, lr: 0.1 } }), fingerprint)],
      ['schedule', aloneKey(experiment({ training: { ...experiment().training, schedule: 'step' } }), fingerprint)],
      ['batch size', aloneKey(experiment({ training: { ...experiment().training, batchSize: 64 } }), fingerprint)],
      ['data subsample', aloneKey(experiment(), { ...fingerprint, train: 600 })],
      ['data seed', aloneKey(experiment(), { ...fingerprint, seed: 7 })],
      ['validation share', aloneKey(experiment({ data: { format: 'builtin', name: 'fashion-mnist-mini', validation: 0.2 } }), fingerprint)],
      ['augmentation', aloneKey(experiment({ data: { format: 'builtin', name: 'fashion-mnist-mini', augment: { flip: true } } }), fingerprint)],
      ['student subset', aloneKey(experiment({ data: { format: 'builtin', name: 'fashion-mnist-mini', limit: { student: 100 } } }), fingerprint)],
    ];
    for (const [what, key] of variants) assert.ok(!sameAloneKey(base, key), what);
  });

  it('without a student subset the key is the one written before data.limit.student existed', () => {
    const key = aloneKey(experiment({ data: { format: 'builtin', name: 'fashion-mnist-mini', limit: { train: 300 } } }), fingerprint);
    assert.ok(!canonicalJson(key).includes('studentLimit'));
  });
});

describe('student alone: reuse from the teacher run', () => {
  const key = aloneKey(experiment(), fingerprint);

  it("reuses a run's alone.json with the same key, recording that run", () => {
    const dir = runDir({ [RUN_FILES.alone]: { ...result, key } satisfies AloneRecord });
    assert.deepEqual(findReusableAlone(dir, key), { result, fromRun: dir });
  });

  it('not a record without its best validation accuracy (SKD\'s stage check needs it): trained again', () => {
    const { valAcc: _dropped, ...older } = result;
    assert.equal(findReusableAlone(runDir({ [RUN_FILES.alone]: { ...older, key } }), key), undefined);
    const none = experiment({ method: { name: 'none', stages: 2, temperature: 4 } });
    assert.equal(findReusableAlone(runDir({ [RUN_FILES.experiment]: none, 'student.json': older, [trajectoryFile]: { data: fingerprint } }), key), undefined);
  });

  it('a run beside this one (a bench or sweep folder): its `none` run of the same seed', () => {
    const folder = path.join(tmp.dir, 'bench-folder');
    const none = experiment({ method: { name: 'none', stages: 2, temperature: 4 } });
    const mine = path.join(folder, 'skd-s1');
    fs.mkdirSync(mine, { recursive: true });
    fs.writeFileSync(path.join(mine, RUN_FILES.alone), JSON.stringify({ ...result, testAcc: 0.1, key }));
    assert.equal(findSiblingAlone(mine, key), undefined, 'never its own record');
    for (const [name, files] of Object.entries({ 'kd-s1': { [RUN_FILES.experiment]: experiment() }, 'none-s1': { [RUN_FILES.experiment]: none, 'student.json': result, [trajectoryFile]: { data: fingerprint } } })) {
      const dir = path.join(folder, name);
      for (const [file, value] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), JSON.stringify(value));
      }
    }
    assert.deepEqual(findSiblingAlone(mine, key), { result, fromRun: path.join(folder, 'none-s1') });
    assert.equal(findSiblingAlone(mine, aloneKey(experiment({ seed: 2 }), fingerprint)), undefined);
  });

  it('keeps the origin of an alone.json that was itself reused', () => {
    const dir = runDir({ [RUN_FILES.alone]: { ...result, key, fromRun: '/runs/origin' } });
    assert.equal(findReusableAlone(dir, key)?.fromRun, '/runs/origin');
  });

  it('nothing for another key, a result without a key, a torn or missing file', () => {
    const other = aloneKey(experiment({ seed: 3 }), fingerprint);
    assert.equal(findReusableAlone(runDir({ [RUN_FILES.alone]: { ...result, key: other } }), key), undefined);
    assert.equal(findReusableAlone(runDir({ [RUN_FILES.alone]: result }), key), undefined);
    const torn = runDir({});
    fs.writeFileSync(path.join(torn, RUN_FILES.alone), '{"testAcc": 0.7, "par');
    assert.equal(findReusableAlone(torn, key), undefined);
    assert.equal(findReusableAlone(runDir({}), key), undefined);
    assert.equal(findReusableAlone(path.join(tmp.dir, 'no-such-run'), key), undefined);
  });

  it("a finished `none` run with the same student, seed, training and data: its student is the student alone", () => {
    const none = experiment({ method: { name: 'none', stages: 2, temperature: 4 } });
    const dir = runDir({ [RUN_FILES.experiment]: none, 'student.json': result, [trajectoryFile]: { data: fingerprint } });
    assert.deepEqual(findReusableAlone(dir, key), { result, fromRun: dir });
  });

  it('a `none` run that reused a teacher: the data are those of the teacher run it names (relative to it)', () => {
    const teacherRun = runDir({ [trajectoryFile]: { data: fingerprint } });
    const reusing = experiment({ method: { name: 'none', stages: 2, temperature: 4 }, teacher: { run: path.join('..', path.basename(teacherRun)) } });
    const dir = runDir({ [RUN_FILES.experiment]: reusing, 'student.json': result });
    assert.deepEqual(findReusableAlone(dir, key), { result, fromRun: dir });
    // The same run against a teacher recorded on other images is not the student alone.
    const otherTeacher = runDir({ [trajectoryFile]: { data: { ...fingerprint, train: 600 } } });
    const mismatched = runDir({ [RUN_FILES.experiment]: { ...reusing, teacher: { run: otherTeacher } }, 'student.json': result });
    assert.equal(findReusableAlone(mismatched, key), undefined);
  });

  it('not a `none` run that differs, is unfinished, or is another method', () => {
    const none = experiment({ method: { name: 'none', stages: 2, temperature: 4 } });
    const cases: [string, Record<string, unknown>][] = [
      ['other student', { [RUN_FILES.experiment]: { ...none, student: { model: 'cnn', width: 8, epochs: 2 } }, 'student.json': result, [trajectoryFile]: { data: fingerprint } }],
      ['other seed', { [RUN_FILES.experiment]: { ...none, seed: 5 }, 'student.json': result, [trajectoryFile]: { data: fingerprint } }],
      ['other training', { [RUN_FILES.experiment]: { ...none, training: { ...none.training, momentum: 0.5 } }, 'student.json': result, [trajectoryFile]: { data: fingerprint } }],
      ['other data', { [RUN_FILES.experiment]: none, 'student.json': result, [trajectoryFile]: { data: { ...fingerprint, test: 50 } } }],
      ['unfinished', { [RUN_FILES.experiment]: none, [trajectoryFile]: { data: fingerprint } }],
      ['kd, not none', { [RUN_FILES.experiment]: experiment(), 'student.json': result, [trajectoryFile]: { data: fingerprint } }],
    ];
    for (const [what, files] of cases) assert.equal(findReusableAlone(runDir(files), key), undefined, what);
  });
});

describe('studentAlone in the resolved experiment', () => {
  it('defaults to true, stays false when set, and is false for method none', () => {
    assert.equal(experiment().studentAlone, true);
    assert.equal(experiment({ studentAlone: false }).studentAlone, false);
    assert.equal(experiment({ method: { name: 'none', stages: 2, temperature: 4 }, studentAlone: true }).studentAlone, false);
  });
});
