import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import * as ort from 'onnxruntime-node';
import { exportRun, ExportVerificationError, registerExportFormat, UnsupportedLayerError } from '../../../src/trainer/export';
import { foldBatchNorms, graphFromModel } from '../../../src/trainer/export/graph';
import { graphToOnnx } from '../../../src/trainer/export/onnxGraph';
import { onnxFormat } from '../../../src/trainer/export/onnxFormat';
import { toFloat16Bits } from '../../../src/trainer/export/quantize';
import { graphToLayers } from '../../../src/trainer/export/tfjsFormat';
import { isInputError } from '../../../src/trainer/errors';
import { makeRunDir, makeStudent, shapesData, tmpDir } from './fixtures';

/**
 * Every layer the exporters map, in the awkward forms: odd sizes with stride 2 and 'same'
 * padding (asymmetric pads), average pooling at the border, a depth multiplier, a batch norm
 * that cannot be folded, biases, fused activations, a Flatten of a feature map, softmax.
 */
function zoo(): tfl.LayersModel {
  const seeded = (s: number) => tfl.initializers.randomNormal({ stddev: 0.3, seed: s });
  const input = tfl.input({ shape: [11, 9, 3], name: 'img' });
  let x = tfl.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: seeded(1), biasInitializer: seeded(2), name: 'c1' }).apply(input) as tfl.SymbolicTensor;
  const bn0 = tfl.layers.batchNormalization({ name: 'bn_alone', gammaInitializer: seeded(3), betaInitializer: seeded(4), movingMeanInitializer: seeded(5), movingVarianceInitializer: 'ones' }).apply(x) as tfl.SymbolicTensor;
  let y = tfl.layers.depthwiseConv2d({ kernelSize: [3, 2], depthMultiplier: 2, padding: 'same', depthwiseInitializer: seeded(6), useBias: false, name: 'dw' }).apply(bn0) as tfl.SymbolicTensor;
  y = tfl.layers.batchNormalization({ name: 'dw_bn', gammaInitializer: seeded(7), movingMeanInitializer: seeded(8), movingVarianceInitializer: 'ones' }).apply(y) as tfl.SymbolicTensor;
  y = tfl.layers.reLU({ name: 'dw_relu' }).apply(y) as tfl.SymbolicTensor;
  const z = tfl.layers.conv2d({ filters: 12, kernelSize: 1, useBias: false, kernelInitializer: seeded(9), name: 'proj' }).apply(bn0) as tfl.SymbolicTensor;
  x = tfl.layers.add({ name: 'sum' }).apply([y, z]) as tfl.SymbolicTensor;
  x = tfl.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same', name: 'avg' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.maxPooling2d({ poolSize: 2, strides: 1, padding: 'valid', name: 'max' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.activation({ activation: 'linear', name: 'lin' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.flatten({ name: 'flat' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.dense({ units: 7, activation: 'relu', kernelInitializer: seeded(10), biasInitializer: seeded(11), name: 'fc1' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.dense({ units: 5, kernelInitializer: seeded(12), name: 'fc2' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.activation({ activation: 'softmax', name: 'prob' }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: x });
}

test('every mapped layer: ONNX in onnxruntime-node and the rebuilt tf.js model match tf.js to 1e-5', async () => {
  const model = zoo();
  const graph = graphFromModel(model);
  const folded = foldBatchNorms(graph);
  // dw_bn folds into dw; bn_alone follows a conv with a fused relu and must stay.
  assert.ok(folded.ops.some((o) => o.name === 'bn_alone' && o.op === 'batchnorm'));
  assert.ok(folded.ops.some((o) => o.name === 'dw_bn' && o.op === 'depthwise'));
  assert.ok(!folded.ops.some((o) => o.name === 'dw'));

  const x = tf.randomNormal([5, 11, 9, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
  const ref = (model.predict(x) as tf.Tensor).dataSync();
  const session = await ort.InferenceSession.create(graphToOnnx(folded, { quantize: 'none' }));
  const out = (await session.run({ input: new ort.Tensor('float32', x.dataSync() as Float32Array, [5, 11, 9, 3]) })).logits.data as Float32Array;
  const rebuilt = (graphToLayers(folded).predict(x) as tf.Tensor).dataSync();
  for (let i = 0; i < ref.length; i++) {
    assert.ok(Math.abs(ref[i] - out[i]) < 1e-5, `onnx logit ${i}: ${ref[i]} vs ${out[i]}`);
    assert.ok(Math.abs(ref[i] - rebuilt[i]) < 1e-5, `tf.js logit ${i}: ${ref[i]} vs ${rebuilt[i]}`);
  }
  await session.release();
});

test('an unsupported layer fails the export with its class and name', async () => {
  const input = tfl.input({ shape: [8, 8, 1], name: 'img' });
  let x = tfl.layers.conv2d({ filters: 2, kernelSize: 3, name: 'c' }).apply(input) as tfl.SymbolicTensor;
  x = tfl.layers.leakyReLU({ name: 'leaky_one' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: tfl.layers.dense({ units: 4, name: 'fc' }).apply(x) as tfl.SymbolicTensor });
  const runDir = await makeRunDir(model, 'custom');
  await assert.rejects(
    exportRun(runDir, { format: 'onnx', testSet: shapesData(8, 1, [8, 8, 1]) }),
    (e: unknown) => e instanceof UnsupportedLayerError && /LeakyReLU "leaky_one"/.test(e.message),
  );
  assert.ok(!fs.existsSync(path.join(runDir, 'exports', 'onnx-none')));
});

test('bad input names the path or the field', async () => {
  const empty = tmpDir('empty');
  await assert.rejects(exportRun(empty, { format: 'onnx' }), (e: unknown) => isInputError(e) && e.field === 'student' && e.message.includes(empty));
  const runDir = await makeRunDir(makeStudent('cnn'), 'cnn');
  await assert.rejects(exportRun(runDir, { format: 'tflite' }), (e: unknown) => isInputError(e) && e.field === 'format' && /tflite/.test(e.message));
  await assert.rejects(exportRun(runDir, { format: 'onnx', quantize: 'int4' }), (e: unknown) => isInputError(e) && e.field === 'quantize');
});

test('an export that disagrees with the student fails and leaves no export folder', async () => {
  // A format plugin that writes a subtly wrong model (the logits' bias shifted by 1e-3).
  registerExportFormat({
    ...onnxFormat,
    name: 'onnx-off',
    write: (student, quantize, dir) => {
      const ops = student.folded.ops.map((o) => (o.op === 'dense' && o.bias ? { ...o, bias: o.bias.map((b, i) => (i === 0 ? b + 1e-3 : b)) } : o));
      return onnxFormat.write({ ...student, folded: { ...student.folded, ops } }, quantize, dir);
    },
  });
  const runDir = await makeRunDir(makeStudent('cnn'), 'cnn');
  await assert.rejects(exportRun(runDir, { format: 'onnx-off', testSet: shapesData(40, 2) }), (e: unknown) => e instanceof ExportVerificationError && /largest logit difference 1\.00e-3/.test(e.message));
  assert.deepEqual(fs.readdirSync(path.join(runDir, 'exports')), []);
});

test('float16 bits round to nearest even like numpy', () => {
  assert.equal(toFloat16Bits(1), 0x3c00);
  assert.equal(toFloat16Bits(-2), 0xc000);
  assert.equal(toFloat16Bits(65504), 0x7bff);
  assert.equal(toFloat16Bits(1e6), 0x7c00);
  assert.equal(toFloat16Bits(5.960464477539063e-8), 0x0001); // smallest subnormal
  assert.equal(toFloat16Bits(1 + 2 ** -11), 0x3c00); // tie -> even
  assert.equal(toFloat16Bits(1 + 3 * 2 ** -11), 0x3c02); // tie -> even (up)
  assert.equal(toFloat16Bits(0.1), 0x2e66);
});
