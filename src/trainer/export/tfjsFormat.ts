import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { MODEL_JSON, modelArtifacts, WEIGHTS_BIN, type ModelJson } from '../models/modelIO';
import { writeFileAtomic } from '../runDir/atomicFile';
import type { Op, StudentGraph } from './graph';
import { quantizesTensor, toFloat16, toUint8MinScale, type Quantize } from './quantize';
import type { ExportFormat, Predictor, Student, StudentMeta } from './types';

/**
 * tf.js layers model (model.json + weights.bin) of the folded student, with kernels stored as
 * float16 or uint8 in the manifest form tf.js dequantizes while loading (`quantization` on a
 * weightsManifest entry), so the plain `tf.loadLayersModel` of any tf.js 4.x reads it.
 */
export const tfjsFormat: ExportFormat = {
  name: 'tfjs',
  description: 'tf.js layers model: model.json + weights.bin',

  async write(student: Student, quantize: Quantize, dir: string): Promise<string[]> {
    // tf.js stores one uint8 range per tensor; folded kernels differ in scale per output channel
    // (gamma / std), which one range rounds too coarsely (3 points of accuracy lost on a test
    // student), so uint8 keeps the batch norms, at some size (see src/trainer/bench/exportBench.ts).
    const model = graphToLayers(quantize === 'uint8' ? student.graph : student.folded);
    try {
      const artifacts = await modelArtifacts(model);
      const { weightSpecs, weightData } = quantizeWeights(artifacts, quantize);
      writeCompact(dir, { ...artifacts, weightSpecs, weightData }, { ...student.meta, weights: quantize === 'none' ? 'float32' : quantize });
    } finally {
      model.dispose();
    }
    return [MODEL_JSON, WEIGHTS_BIN];
  },

  async load(dir: string): Promise<Predictor> {
    const model = await tfl.loadLayersModel(httpFromDir(dir));
    return {
      runtime: `tf.js ${tf.version_core} (${tf.getBackend()})`,
      async run(x, shape) {
        const y = tf.tidy(() => model.predict(tf.tensor4d(x, shape)) as tf.Tensor);
        const out = (await y.data()) as Float32Array;
        y.dispose();
        return out;
      },
      async dispose() {
        model.dispose();
      },
    };
  },

  snippets(_files: string[], meta: StudentMeta): Record<string, string> {
    const [h, w, c] = meta.inputShape;
    return {
      browser: [
        '<script src="tf.min.js"></script> <!-- @tensorflow/tfjs 4.x -->',
        "const model = await tf.loadLayersModel('model.json');",
        `const mean = ${JSON.stringify(meta.mean)}, std = ${JSON.stringify(meta.std)};`,
        'const x = tf.tidy(() => tf.browser.fromPixels(img, ' + c + ')',
        `  .resizeBilinear([${h}, ${w}]).div(255).sub(mean).div(std).expandDims(0));`,
        'const logits = model.predict(x); // [1, classes]',
      ].join('\n'),
    };
  },
};

/** The graph as a tf.js functional model with its weights set. */
export function graphToLayers(graph: StudentGraph): tfl.LayersModel {
  const tensors = new Map<string, tfl.SymbolicTensor>();
  const toSet: [tfl.layers.Layer, Float32Array[], number[][]][] = [];
  let input: tfl.SymbolicTensor | undefined;
  for (const op of graph.ops) {
    if (op.op === 'input') {
      input = tfl.input({ shape: op.shape, name: op.name });
      tensors.set(op.name, input);
      continue;
    }
    const { layer, weights } = layerFor(op);
    const ins = op.inputs.map((n) => tensors.get(n) as tfl.SymbolicTensor);
    tensors.set(op.name, layer.apply(ins.length === 1 ? ins[0] : ins) as tfl.SymbolicTensor);
    if (weights.length) toSet.push([layer, weights.map((w) => w[0]), weights.map((w) => w[1])]);
  }
  if (!input) throw new Error('the student has no input');
  const model = tfl.model({ inputs: input, outputs: tensors.get(graph.output) as tfl.SymbolicTensor, name: 'student' });
  for (const [layer, values, shapes] of toSet) layer.setWeights(values.map((v, i) => tf.tensor(v, shapes[i])));
  return model;
}

type WeightValue = [Float32Array, number[]];

function layerFor(op: Exclude<Op, { op: 'input' }>): { layer: tfl.layers.Layer; weights: WeightValue[] } {
  const name = op.name;
  switch (op.op) {
    case 'conv':
    case 'depthwise': {
      const [kh, kw, , last] = op.kernelShape;
      const common = { kernelSize: [kh, kw] as [number, number], strides: op.strides, dilationRate: op.dilation, padding: op.padding, useBias: !!op.bias, activation: op.activation, name };
      const layer = op.op === 'conv' ? tfl.layers.conv2d({ ...common, filters: last }) : tfl.layers.depthwiseConv2d({ ...common, depthMultiplier: last });
      const weights: WeightValue[] = [[op.kernel, op.kernelShape]];
      if (op.bias) weights.push([op.bias, [op.bias.length]]);
      return { layer, weights };
    }
    case 'batchnorm': {
      const c = [op.mean.length];
      return {
        layer: tfl.layers.batchNormalization({ epsilon: op.epsilon, name }),
        weights: [[op.gamma, c], [op.beta, c], [op.mean, c], [op.variance, c]],
      };
    }
    case 'activation':
      return { layer: tfl.layers.activation({ activation: op.activation, name }), weights: [] };
    case 'add':
      return { layer: tfl.layers.add({ name }), weights: [] };
    case 'maxpool':
    case 'avgpool': {
      const cfg = { poolSize: op.pool, strides: op.strides, padding: op.padding, name };
      return { layer: op.op === 'maxpool' ? tfl.layers.maxPooling2d(cfg) : tfl.layers.averagePooling2d(cfg), weights: [] };
    }
    case 'globalavgpool':
      return { layer: tfl.layers.globalAveragePooling2d({ name }), weights: [] };
    case 'flatten':
      return { layer: tfl.layers.flatten({ name }), weights: [] };
    case 'dense': {
      const weights: WeightValue[] = [[op.kernel, [op.kernel.length / op.units, op.units]]];
      if (op.bias) weights.push([op.bias, [op.units]]);
      return { layer: tfl.layers.dense({ units: op.units, useBias: !!op.bias, activation: op.activation, name }), weights };
    }
  }
}

/**
 * model.json + weights.bin as `writeArtifacts` writes them, but with unindented JSON: on a
 * small student the topology is as large as the weights, and a device downloads both.
 */
function writeCompact(dir: string, artifacts: tf.io.ModelArtifacts & { weightData: ArrayBuffer }, metadata: Record<string, unknown>): void {
  writeFileAtomic(path.join(dir, WEIGHTS_BIN), new Uint8Array(artifacts.weightData));
  const json: ModelJson = {
    format: 'layers-model',
    generatedBy: 'SKD Lab',
    convertedBy: null,
    modelTopology: withoutTrainingConfig(artifacts.modelTopology),
    weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
    userDefinedMetadata: metadata,
  };
  writeFileAtomic(path.join(dir, MODEL_JSON), JSON.stringify(json));
}

/**
 * The topology without what only training reads (initializers, regularizers, constraints):
 * tf.js fills in its defaults when loading, and on a small student they are a good part of
 * the download.
 */
function withoutTrainingConfig(topology: unknown): unknown {
  return JSON.parse(JSON.stringify(topology), (key, value) => (/_(initializer|regularizer|constraint)$/.test(key) ? undefined : value));
}

/** Float32 weights re-encoded entry by entry, with the manifest entries that describe them. */
function quantizeWeights(artifacts: tf.io.ModelArtifacts, quantize: Quantize): { weightSpecs: tf.io.WeightsManifestEntry[]; weightData: ArrayBuffer } {
  const specs = artifacts.weightSpecs ?? [];
  const data = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
  const chunks: Uint8Array[] = [];
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  let offset = 0;
  for (const spec of specs) {
    if (spec.dtype !== 'float32') throw new Error(`tf.js export: weight ${spec.name} is ${spec.dtype}, expected float32`);
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(data.slice(offset, offset + count * 4));
    offset += count * 4;
    if (quantize === 'none' || !quantizesTensor(spec.shape)) {
      chunks.push(new Uint8Array(values.buffer));
      weightSpecs.push(spec);
    } else if (quantize === 'float16') {
      chunks.push(new Uint8Array(toFloat16(values).buffer));
      weightSpecs.push({ ...spec, quantization: { dtype: 'float16' } });
    } else {
      const { q, scale, min } = toUint8MinScale(values);
      chunks.push(q);
      weightSpecs.push({ ...spec, quantization: { dtype: 'uint8', scale, min } });
    }
  }
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return { weightSpecs, weightData: all.buffer };
}

/**
 * tf.js's own http loader (`tf.io.http`, what `tf.loadLayersModel(url)` uses in a browser),
 * with a fetch that reads the export's files: the same manifest parsing and dequantization.
 */
export function httpFromDir(dir: string): tf.io.IOHandler {
  const fetchFunc = async (url: string): Promise<Response> => {
    const file = path.join(dir, path.basename(new URL(url).pathname));
    return new Response(fs.readFileSync(file), { status: 200, headers: { 'content-type': file.endsWith('.json') ? 'application/json' : 'application/octet-stream' } });
  };
  return tf.io.http(`http://export.local/${MODEL_JSON}`, { fetchFunc: fetchFunc as unknown as typeof fetch });
}
