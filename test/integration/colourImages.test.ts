/**
 * Colour images of many classes, end to end: SKD trains a ResNet teacher and a MobileNet student
 * on 32x32x3 images of 100 classes (CIFAR-100's binary format, real bytes), records the
 * trajectory TBT and TET learn from, and the student exports to ONNX, checked in onnxruntime-node.
 * Every other end-to-end run is on one-channel 28x28 images of 10 classes: this is the shape of
 * data a user brings that the project's own sets are not.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { RUN_FILES, type Summary } from '../../src/protocol/runDir';
import { runExperiment } from '../../src/trainer/engine/run';
import { exportRun } from '../../src/trainer/export';
import { eventsOf, readJsonFile, readMetrics, tempDir, tinyExperiment, writeExperiment } from '../helpers/experiment';

const CLASSES = 100;
const tmp = tempDir('skd-colour-');
after(tmp.cleanup);

/**
 * n CIFAR-100 records: fine label i mod 100 (coarse: fine mod 20), each class a stripe pattern of
 * its own direction, frequency and dominant channel, with seeded noise, so a network can learn it.
 */
function cifar100Records(n: number, seed: number): Buffer {
  let s = seed;
  const noise = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5) * 40;
  return Buffer.concat(
    Array.from({ length: n }, (_, i) => {
      const fine = i % CLASSES;
      const b = Buffer.alloc(2 + 3 * 1024);
      b[0] = fine % 20;
      b[1] = fine;
      const fx = 1 + (fine % 5);
      const fy = 1 + (Math.floor(fine / 5) % 4);
      const phase = Math.floor(fine / 20);
      for (let c = 0; c < 3; c++) {
        const gain = c === fine % 3 ? 90 : 27;
        for (let p = 0; p < 1024; p++) {
          const v = 128 + gain * Math.sin((fx * (p % 32) + fy * Math.floor(p / 32)) / 5 + phase) + noise();
          b[2 + c * 1024 + p] = Math.max(0, Math.min(255, Math.round(v)));
        }
      }
      return b;
    }),
  );
}

describe('SKD on 32x32 colour images of 100 classes (cifar100 format)', () => {
  const dataDir = path.join(tmp.dir, 'cifar-100-binary');
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(path.join(dataDir, 'train.bin'), cifar100Records(400, 1));
  fs.writeFileSync(path.join(dataDir, 'test.bin'), cifar100Records(100, 2));
  let runDir = '';

  it('trains the teacher, its trajectory, TBT, TET and a MobileNet student to done', async () => {
    const file = writeExperiment(
      tmp.dir,
      'colour',
      tinyExperiment({
        name: 'colour',
        data: { format: 'cifar100', dir: dataDir, validation: 0.25 },
        teacher: { model: 'resnet', depth: 8, width: 4, epochs: 2 },
        student: { model: 'mobilenet', epochs: 2 },
        // TET's stage check needs a stage before the last: two stages.
        method: { name: 'skd', stages: 2, tbt: { epochs: 2 }, tet: { epochs: 2 } },
      }),
    );
    const outcome = await runExperiment(file, { outDir: path.join(tmp.dir, 'runs') });
    assert.equal(outcome.state, 'done');
    runDir = outcome.dir;
    const summary = readJsonFile<Summary>(path.join(runDir, RUN_FILES.summary));
    assert.equal(summary.student.model, 'mobilenet');
    for (const acc of [summary.teacher.testAcc, summary.student.testAcc, summary.studentAlone?.testAcc]) {
      assert.ok(typeof acc === 'number' && acc >= 0 && acc <= 1, `accuracy ${acc}`);
    }
    const trajectory = readJsonFile<{ classes: number; stages: number; images: number }>(path.join(runDir, RUN_FILES.trajectory, 'trajectory.json'));
    assert.equal(trajectory.classes, CLASSES);
    assert.equal(trajectory.stages, 2);
    assert.equal(trajectory.images, 400);
    const events = readMetrics(runDir);
    assert.equal(eventsOf(events, 'tbt').length, 1, 'TBT predicts stage 2 from stage 1');
    assert.equal(eventsOf(events, 'tet').length, 2, "TET models both stages' experience");
  });

  it("exports the student to ONNX, whose logits onnxruntime-node gives for 32x32x3 inputs and 100 classes", async () => {
    assert.ok(runDir, 'the run above finished');
    const r = await exportRun(runDir, { format: 'onnx', quantize: 'none' });
    assert.equal(r.testImages, 100);
    assert.ok(r.maxAbsLogitDiff <= 1e-4, `max logit diff ${r.maxAbsLogitDiff}`);
    const session = await ort.InferenceSession.create(path.join(r.outDir, 'model.onnx'));
    try {
      const out = await session.run({ input: new ort.Tensor('float32', new Float32Array(2 * 32 * 32 * 3), [2, 32, 32, 3]) });
      assert.deepEqual(out.logits.dims, [2, CLASSES]);
    } finally {
      await session.release();
    }
  });
});
