import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as ort from 'onnxruntime-node';
import { exportRun } from '../../../src/trainer/export';
import type { ModelCard } from '../../../src/trainer/export/card';
import { argmax } from '../../../src/trainer/export/verify';
import { CLASSES, makeRunDir, makeStudent, normalise, shapesData, SHAPE } from './fixtures';

const FAMILIES = ['cnn', 'resnet', 'mobilenet'];
const testSet = shapesData(120, 11);

function top1(logits: ArrayLike<number>, n: number): number[] {
  return Array.from({ length: n }, (_, i) => argmax(logits, i * CLASSES, CLASSES));
}

/** A static file server, so tf.js loads the export through its own http loader as a browser does. */
async function serveDir(dir: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const file = path.join(dir, path.basename(new URL(req.url ?? '/', 'http://x').pathname));
    if (!fs.existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200).end(fs.readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

for (const family of FAMILIES) {
  describe(`export round trip: ${family}`, () => {
    let runDir = '';
    let expected: number[] = [];
    let x: tf.Tensor4D;

    before(async () => {
      const model = makeStudent(family);
      runDir = await makeRunDir(model, family);
      x = normalise(testSet);
      expected = top1((model.predict(x) as tf.Tensor).dataSync(), testSet.n);
    });
    after(() => {
      x.dispose();
      fs.rmSync(runDir, { recursive: true, force: true });
    });

    test('ONNX float: onnxruntime-node gives the trainer\'s logits and top-1', async () => {
      const r = await exportRun(runDir, { format: 'onnx', quantize: 'none', testSet });
      assert.equal(r.outDir, path.join(runDir, 'exports', 'onnx-none'));
      assert.ok(r.maxAbsLogitDiff <= 1e-4, `max logit diff ${r.maxAbsLogitDiff}`);
      const session = await ort.InferenceSession.create(path.join(r.outDir, 'model.onnx'));
      const out = await session.run({ input: new ort.Tensor('float32', x.dataSync() as Float32Array, [testSet.n, ...SHAPE]) });
      assert.deepEqual(top1(out.logits.data as Float32Array, testSet.n), expected);
      await session.release();
      const card = JSON.parse(fs.readFileSync(path.join(r.outDir, 'model-card.json'), 'utf8')) as ModelCard;
      assert.ok(card.parameters > 0 && card.macs > card.parameters);
      assert.deepEqual(card.input.shape, [1, ...SHAPE]);
      assert.equal(card.latency.length, 2);
      assert.ok(card.latency.every((l) => l.msPerImage > 0));
      assert.ok(fs.readFileSync(r.card, 'utf8').includes('onnxruntime'));
      // Nothing half-written is left beside the export.
      assert.deepEqual(fs.readdirSync(path.dirname(r.outDir)), ['onnx-none']);
    });

    test('ONNX uint8: smaller, DequantizeLinear weights, same top-1 on the fixtures', async () => {
      const r = await exportRun(runDir, { format: 'onnx', quantize: 'uint8', testSet });
      const float = fs.statSync(path.join(runDir, 'exports', 'onnx-none', 'model.onnx')).size;
      assert.ok(r.bytes < float, `${r.bytes} vs ${float}`);
      const session = await ort.InferenceSession.create(path.join(r.outDir, 'model.onnx'));
      const out = await session.run({ input: new ort.Tensor('float32', x.dataSync() as Float32Array, [testSet.n, ...SHAPE]) });
      const got = top1(out.logits.data as Float32Array, testSet.n);
      const agree = got.filter((g, i) => g === expected[i]).length / testSet.n;
      assert.ok(agree >= 0.95, `top-1 agreement ${agree}`);
      await session.release();
    });

    for (const quantize of ['none', 'uint8'] as const) {
      test(`tf.js ${quantize}: plain tf.loadLayersModel over http loads it`, async () => {
        const r = await exportRun(runDir, { format: 'tfjs', quantize, testSet });
        const json = JSON.parse(fs.readFileSync(path.join(r.outDir, 'model.json'), 'utf8'));
        const entries = json.weightsManifest[0].weights as { quantization?: { dtype: string } }[];
        assert.equal(entries.some((e) => e.quantization?.dtype === 'uint8'), quantize === 'uint8');
        const server = await serveDir(r.outDir);
        try {
          const loaded = await tfl.loadLayersModel(`${server.url}/model.json`);
          const logits = (loaded.predict(x) as tf.Tensor).dataSync();
          const got = top1(logits, testSet.n);
          if (quantize === 'none') assert.deepEqual(got, expected);
          else assert.ok(got.filter((g, i) => g === expected[i]).length / testSet.n >= 0.95);
          loaded.dispose();
        } finally {
          await server.close();
        }
      });
    }
  });
}
