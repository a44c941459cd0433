import * as tfl from '@tensorflow/tfjs-layers';

/**
 * The student as a small graph of operations with their weights as plain arrays: what every
 * export format is written from, and what the model card counts parameters and MACs on.
 * Layouts follow tf.js: activations NHWC, conv kernels HWIO, depthwise kernels HWCM, dense
 * kernels [in, out]. Shapes leave out the batch dimension.
 */

export type Padding = 'same' | 'valid';
export type Activation = 'linear' | 'relu' | 'softmax';

interface OpBase {
  /** Unique; the tf.js layer's name. */
  name: string;
  /** Names of the ops feeding this one. */
  inputs: string[];
  /** Output shape without the batch: [h, w, c] or [units]. */
  shape: number[];
}

export interface InputOp extends OpBase {
  op: 'input';
}

export interface ConvOp extends OpBase {
  op: 'conv' | 'depthwise';
  /** conv: [kh, kw, in, out] (HWIO); depthwise: [kh, kw, in, multiplier]. */
  kernelShape: [number, number, number, number];
  kernel: Float32Array;
  bias?: Float32Array;
  strides: [number, number];
  dilation: [number, number];
  padding: Padding;
  activation: Activation;
}

export interface BatchNormOp extends OpBase {
  op: 'batchnorm';
  gamma: Float32Array;
  beta: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
  epsilon: number;
}

export interface ActivationOp extends OpBase {
  op: 'activation';
  activation: Activation;
}

export interface AddOp extends OpBase {
  op: 'add';
}

export interface PoolOp extends OpBase {
  op: 'maxpool' | 'avgpool';
  pool: [number, number];
  strides: [number, number];
  padding: Padding;
}

export interface GlobalPoolOp extends OpBase {
  op: 'globalavgpool';
}

export interface FlattenOp extends OpBase {
  op: 'flatten';
}

export interface DenseOp extends OpBase {
  op: 'dense';
  /** [in, out] */
  kernel: Float32Array;
  units: number;
  bias?: Float32Array;
  activation: Activation;
}

export type Op = InputOp | ConvOp | BatchNormOp | ActivationOp | AddOp | PoolOp | GlobalPoolOp | FlattenOp | DenseOp;

/** Ops in topological order; the first is the input, `output` names the logits op. */
export interface StudentGraph {
  ops: Op[];
  output: string;
}

/** A layer the exporters cannot write; the message names its class and name. */
export class UnsupportedLayerError extends Error {
  constructor(
    readonly className: string,
    readonly layerName: string,
    detail?: string,
  ) {
    super(`unsupported layer ${className} "${layerName}"${detail ? ` (${detail})` : ''}; exports support InputLayer, Conv2D, DepthwiseConv2D, BatchNormalization, ReLU, Activation(relu|softmax|linear), Add, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, Flatten, Dense`);
    this.name = 'UnsupportedLayerError';
  }
}

type Cfg = Record<string, unknown>;

/**
 * The graph of the layers that compute the model's first output (the logits); feature taps a
 * training model may carry as further outputs are left out.
 */
export function graphFromModel(model: tfl.LayersModel): StudentGraph {
  const logits = model.outputs[0].sourceLayer;
  const order: tfl.layers.Layer[] = [];
  const seen = new Set<string>();
  const visit = (layer: tfl.layers.Layer): void => {
    if (seen.has(layer.name)) return;
    seen.add(layer.name);
    if (layer.inboundNodes.length !== 1) {
      throw new UnsupportedLayerError(layer.getClassName(), layer.name, 'a layer shared between several calls');
    }
    for (const inbound of layer.inboundNodes[0].inboundLayers) visit(inbound);
    order.push(layer);
  };
  visit(logits);
  return { ops: order.map(opFromLayer), output: logits.name };
}

function opFromLayer(layer: tfl.layers.Layer): Op {
  const cls = layer.getClassName();
  const cfg = layer.getConfig() as Cfg;
  const name = layer.name;
  const inputs = layer.inboundNodes[0].inboundLayers.map((l) => l.name);
  const outShape = layer.outputShape;
  if (Array.isArray(outShape[0])) throw new UnsupportedLayerError(cls, name, 'several outputs');
  const shape = (outShape as (number | null)[]).slice(1).map((d) => {
    if (d === null) throw new UnsupportedLayerError(cls, name, 'unknown output size');
    return d;
  });
  const base = { name, inputs, shape };
  const weights = weightsByRole(layer);
  const activation = (): Activation => activationOf(cls, name, cfg.activation);
  switch (cls) {
    case 'InputLayer':
      return { ...base, op: 'input' };
    case 'Conv2D':
    case 'DepthwiseConv2D': {
      const isDepthwise = cls === 'DepthwiseConv2D';
      const kernel = weights.get(isDepthwise ? 'depthwise_kernel' : 'kernel');
      if (!kernel) throw new UnsupportedLayerError(cls, name, 'no kernel');
      if (cfg.dataFormat !== undefined && cfg.dataFormat !== 'channelsLast') {
        throw new UnsupportedLayerError(cls, name, `dataFormat ${String(cfg.dataFormat)}`);
      }
      return {
        ...base,
        op: isDepthwise ? 'depthwise' : 'conv',
        kernelShape: kernel.shape as ConvOp['kernelShape'],
        kernel: kernel.data,
        bias: weights.get('bias')?.data,
        strides: pair(cfg.strides),
        dilation: pair(cfg.dilationRate ?? 1),
        padding: paddingOf(cls, name, cfg.padding),
        activation: activation(),
      };
    }
    case 'BatchNormalization': {
      const axis = cfg.axis;
      if (axis !== -1 && axis !== shape.length) throw new UnsupportedLayerError(cls, name, `axis ${String(axis)} is not the channel axis`);
      const mean = weights.get('moving_mean');
      const variance = weights.get('moving_variance');
      if (!mean || !variance) throw new UnsupportedLayerError(cls, name, 'no moving statistics');
      const c = mean.data.length;
      return {
        ...base,
        op: 'batchnorm',
        gamma: weights.get('gamma')?.data ?? new Float32Array(c).fill(1),
        beta: weights.get('beta')?.data ?? new Float32Array(c),
        mean: mean.data,
        variance: variance.data,
        epsilon: cfg.epsilon as number,
      };
    }
    case 'ReLU':
      if (cfg.maxValue !== undefined && cfg.maxValue !== null) throw new UnsupportedLayerError(cls, name, 'maxValue');
      return { ...base, op: 'activation', activation: 'relu' };
    case 'Activation':
      return { ...base, op: 'activation', activation: activation() };
    case 'Add':
      return { ...base, op: 'add' };
    case 'MaxPooling2D':
    case 'AveragePooling2D':
      return {
        ...base,
        op: cls === 'MaxPooling2D' ? 'maxpool' : 'avgpool',
        pool: pair(cfg.poolSize),
        strides: pair(cfg.strides ?? cfg.poolSize),
        padding: paddingOf(cls, name, cfg.padding),
      };
    case 'GlobalAveragePooling2D':
      if (shape.length !== 1) throw new UnsupportedLayerError(cls, name, 'keepDims');
      return { ...base, op: 'globalavgpool' };
    case 'Flatten':
      return { ...base, op: 'flatten' };
    case 'Dense': {
      const kernel = weights.get('kernel');
      if (!kernel || kernel.shape.length !== 2) throw new UnsupportedLayerError(cls, name, 'no 2-d kernel');
      return {
        ...base,
        op: 'dense',
        kernel: kernel.data,
        units: kernel.shape[1],
        bias: weights.get('bias')?.data,
        activation: activation(),
      };
    }
    default:
      throw new UnsupportedLayerError(cls, name);
  }
}

interface Weight {
  shape: number[];
  data: Float32Array;
}

/** A layer's weights by their role (kernel, bias, gamma, moving_mean, ...). */
function weightsByRole(layer: tfl.layers.Layer): Map<string, Weight> {
  const out = new Map<string, Weight>();
  const values = layer.getWeights();
  layer.weights.forEach((w, i) => {
    const role = w.originalName.slice(w.originalName.lastIndexOf('/') + 1).replace(/_\d+$/, '');
    out.set(role, { shape: w.shape.map((d) => d ?? 0), data: values[i].dataSync() as Float32Array });
  });
  return out;
}

function pair(v: unknown): [number, number] {
  if (typeof v === 'number') return [v, v];
  const a = v as number[];
  return [a[0], a[1] ?? a[0]];
}

function paddingOf(cls: string, name: string, p: unknown): Padding {
  if (p === 'same' || p === 'valid') return p;
  throw new UnsupportedLayerError(cls, name, `padding ${String(p)}`);
}

function activationOf(cls: string, name: string, a: unknown): Activation {
  if (a === undefined || a === null || a === 'linear') return 'linear';
  if (a === 'relu' || a === 'softmax') return a;
  throw new UnsupportedLayerError(cls, name, `activation ${String(a)}`);
}

export function opByName(graph: StudentGraph): Map<string, Op> {
  return new Map(graph.ops.map((o) => [o.name, o]));
}

/** How many ops read each op's output. */
function consumerCounts(graph: StudentGraph): Map<string, number> {
  const n = new Map<string, number>();
  for (const op of graph.ops) for (const i of op.inputs) n.set(i, (n.get(i) ?? 0) + 1);
  return n;
}

/**
 * Fold every batch norm that directly follows a convolution (with no activation between and
 * nothing else reading the convolution) into that convolution's kernel and bias: what an edge
 * runtime would do anyway, and it leaves fewer, better-conditioned tensors to quantize.
 * Batch norms elsewhere stay. The folded op keeps the batch norm's name, so consumers need
 * no rewiring.
 */
export function foldBatchNorms(graph: StudentGraph): StudentGraph {
  const byName = opByName(graph);
  const consumers = consumerCounts(graph);
  const folded = new Set<string>();
  const ops: Op[] = [];
  for (const op of graph.ops) {
    if (op.op === 'batchnorm') {
      const src = byName.get(op.inputs[0]);
      if (src && (src.op === 'conv' || src.op === 'depthwise') && src.activation === 'linear' && consumers.get(src.name) === 1 && src.name !== graph.output) {
        folded.add(src.name);
        ops.push(foldInto(src, op));
        continue;
      }
    }
    ops.push(op);
  }
  // The folded op carries the batch norm's name, so only the original convolutions match.
  return { ops: ops.filter((o) => !folded.has(o.name)), output: graph.output };
}

function foldInto(conv: ConvOp, bn: BatchNormOp): ConvOp {
  const out = bn.mean.length;
  const scale = new Float32Array(out);
  for (let o = 0; o < out; o++) scale[o] = bn.gamma[o] / Math.sqrt(bn.variance[o] + bn.epsilon);
  const kernel = new Float32Array(conv.kernel.length);
  // The output channel is the fastest-varying index of HWIO; for depthwise HWCM the output
  // channel c*M+m is also the flat index modulo C*M.
  for (let i = 0; i < kernel.length; i++) kernel[i] = conv.kernel[i] * scale[i % out];
  const bias = new Float32Array(out);
  for (let o = 0; o < out; o++) bias[o] = ((conv.bias?.[o] ?? 0) - bn.mean[o]) * scale[o] + bn.beta[o];
  return { ...conv, name: bn.name, kernel, bias };
}

/** Trainable parameters of the graph as the student has them (batch-norm gamma and beta count). */
export function countParams(graph: StudentGraph): number {
  let n = 0;
  for (const op of graph.ops) {
    if (op.op === 'conv' || op.op === 'depthwise' || op.op === 'dense') n += op.kernel.length + (op.bias?.length ?? 0);
    else if (op.op === 'batchnorm') n += op.gamma.length + op.beta.length;
  }
  return n;
}

/** Multiply-accumulates of one image through the convolutions and dense layers. */
export function countMacs(graph: StudentGraph): number {
  let n = 0;
  for (const op of graph.ops) {
    if (op.op === 'conv' || op.op === 'depthwise') {
      // In HWIO and HWCM alike, the kernel's size is the multiply-adds per output position.
      const [kh, kw, cin, last] = op.kernelShape;
      const [oh, ow] = op.shape;
      n += oh * ow * kh * kw * cin * last;
    } else if (op.op === 'dense') {
      n += op.kernel.length;
    }
  }
  return n;
}
