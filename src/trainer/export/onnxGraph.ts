import type { ConvOp, Op, Padding, StudentGraph } from './graph';
import { UnsupportedLayerError } from './graph';
import { AttrType, DataType, encodeModel, type AttributeMsg, type NodeMsg, type TensorMsg } from './onnxProto';
import { quantizesTensor, toFloat16, toUint8PerChannel, type Quantize } from './quantize';

/**
 * Writes a (batch-norm folded) student graph as an ONNX model, opset 13. The graph input is
 * NHWC like the tf.js model and is transposed once to NCHW; everything inside stays NCHW and
 * goes back to NHWC only where tf.js would flatten a feature map. Quantized kernels are stored
 * as uint8 with per-output-channel DequantizeLinear, or float16 with a Cast, ahead of the op
 * that reads them.
 */

export const ONNX_OPSET = 13;
export const ONNX_INPUT = 'input';
export const ONNX_OUTPUT = 'logits';

export interface OnnxOptions {
  quantize: Quantize;
  /** Free-form key/value metadata (labels, normalisation) stored in the model. */
  metadata?: Record<string, string>;
  docString?: string;
}

export function graphToOnnx(graph: StudentGraph, opts: OnnxOptions): Uint8Array {
  const w = new OnnxWriter(opts.quantize);
  const input = graph.ops[0];
  if (input.op !== 'input' || input.shape.length !== 3) throw new Error('the student must start with an image input [h, w, c]');
  const tensors = new Map<string, Value>();
  tensors.set(input.name, { name: w.node('Transpose', [ONNX_INPUT], [{ name: 'perm', type: AttrType.INTS, ints: [0, 3, 1, 2] }]), shape: input.shape });
  for (const op of graph.ops.slice(1)) {
    const ins = op.inputs.map((n) => {
      const v = tensors.get(n);
      if (!v) throw new Error(`ONNX export: ${op.name} reads ${n}, which comes later`);
      return v;
    });
    tensors.set(op.name, { name: emit(w, op, ins), shape: op.shape });
  }
  const out = tensors.get(graph.output);
  if (!out || out.shape.length !== 1) throw new Error('ONNX export: the logits must be a vector per image');
  w.rename(out.name, ONNX_OUTPUT);
  const [h, wd, c] = input.shape;
  return encodeModel({
    irVersion: 7,
    producerName: 'SKD Lab',
    producerVersion: '0.1.0',
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    docString: opts.docString,
    metadataProps: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: 'student',
      node: w.nodes,
      initializer: w.initializers,
      input: [valueInfo(ONNX_INPUT, ['N', h, wd, c])],
      output: [valueInfo(ONNX_OUTPUT, ['N', out.shape[0]])],
    },
  });
}

/** An ONNX tensor and its tf.js shape without batch ([h, w, c] is NCHW inside ONNX). */
interface Value {
  name: string;
  shape: number[];
}

function emit(w: OnnxWriter, op: Op, ins: Value[]): string {
  const x = ins[0];
  switch (op.op) {
    case 'input':
      throw new Error('ONNX export: only one input is supported');
    case 'conv':
    case 'depthwise':
      return w.activation(op, w.node('Conv', [x.name, ...convInputs(w, op)], convAttrs(op, x.shape)));
    case 'batchnorm': {
      const c = op.mean.length;
      const p = (v: Float32Array): string => w.float(v, [c]);
      return w.node('BatchNormalization', [x.name, p(op.gamma), p(op.beta), p(op.mean), p(op.variance)], [{ name: 'epsilon', type: AttrType.FLOAT, f: op.epsilon }]);
    }
    case 'activation':
      if (op.activation === 'softmax' && x.shape.length !== 1) throw new UnsupportedLayerError('Activation', op.name, 'softmax over a feature map');
      return w.activation(op, x.name);
    case 'add':
      return ins.slice(1).reduce((acc, v) => w.node('Add', [acc, v.name]), x.name);
    case 'maxpool':
    case 'avgpool': {
      const attrs: AttributeMsg[] = [
        ints('kernel_shape', op.pool),
        ints('strides', op.strides),
        ints('pads', samePads(x.shape, op.pool, op.strides, [1, 1], op.padding)),
      ];
      // tf.js averages over the window's real pixels only, which is ONNX's default too.
      if (op.op === 'avgpool') attrs.push({ name: 'count_include_pad', type: AttrType.INT, i: 0 });
      return w.node(op.op === 'maxpool' ? 'MaxPool' : 'AveragePool', [x.name], attrs);
    }
    case 'globalavgpool':
      return w.node('Flatten', [w.node('GlobalAveragePool', [x.name])], [{ name: 'axis', type: AttrType.INT, i: 1 }]);
    case 'flatten': {
      if (x.shape.length === 1) return x.name;
      // tf.js flattens NHWC: bring the channels last again first.
      const nhwc = w.node('Transpose', [x.name], [ints('perm', [0, 2, 3, 1])]);
      return w.node('Flatten', [nhwc], [{ name: 'axis', type: AttrType.INT, i: 1 }]);
    }
    case 'dense': {
      if (x.shape.length !== 1) throw new UnsupportedLayerError('Dense', op.name, 'input is not a vector per image');
      const weight = w.kernel(op.kernel, [x.shape[0], op.units], 1);
      const y = op.bias ? w.node('Gemm', [x.name, weight, w.float(op.bias, [op.units])]) : w.node('MatMul', [x.name, weight]);
      return w.activation(op, y);
    }
  }
}

function convInputs(w: OnnxWriter, op: ConvOp): string[] {
  const [kh, kw, cin, last] = op.kernelShape;
  const out = op.op === 'conv' ? last : cin * last;
  const perOut = op.op === 'conv' ? cin : 1;
  // HWIO (conv) or HWCM (depthwise, output channel c*M+m) -> OIHW.
  const oihw = new Float32Array(op.kernel.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++)
        for (let j = 0; j < last; j++) {
          const src = ((y * kw + x) * cin + i) * last + j;
          const [o, ii] = op.op === 'conv' ? [j, i] : [i * last + j, 0];
          oihw[((o * perOut + ii) * kh + y) * kw + x] = op.kernel[src];
        }
  const inputs = [w.kernel(oihw, [out, perOut, kh, kw], 0)];
  if (op.bias) inputs.push(w.float(op.bias, [out]));
  return inputs;
}

function convAttrs(op: ConvOp, inShape: number[]): AttributeMsg[] {
  const [kh, kw, cin] = op.kernelShape;
  return [
    ints('kernel_shape', [kh, kw]),
    ints('strides', op.strides),
    ints('dilations', op.dilation),
    ints('pads', samePads(inShape, [kh, kw], op.strides, op.dilation, op.padding)),
    { name: 'group', type: AttrType.INT, i: op.op === 'depthwise' ? cin : 1 },
  ];
}

/**
 * ONNX pads [top, left, bottom, right] that reproduce tf.js padding: 'same' gives
 * ceil(in / stride) outputs and puts the odd pixel of padding at the bottom/right.
 */
export function samePads(inShape: number[], kernel: [number, number], strides: [number, number], dilation: [number, number], padding: Padding): number[] {
  if (padding === 'valid') return [0, 0, 0, 0];
  const before: number[] = [];
  const after: number[] = [];
  for (let d = 0; d < 2; d++) {
    const size = inShape[d];
    const out = Math.ceil(size / strides[d]);
    const span = (kernel[d] - 1) * dilation[d] + 1;
    const total = Math.max((out - 1) * strides[d] + span - size, 0);
    before.push(Math.floor(total / 2));
    after.push(total - Math.floor(total / 2));
  }
  return [...before, ...after];
}

function ints(name: string, values: number[]): AttributeMsg {
  return { name, type: AttrType.INTS, ints: values };
}

function valueInfo(name: string, dims: (number | string)[]) {
  return {
    name,
    type: {
      tensorType: {
        elemType: DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/** Accumulates nodes and initializers under short generated names. */
class OnnxWriter {
  readonly nodes: NodeMsg[] = [];
  readonly initializers: TensorMsg[] = [];
  private count = 0;

  constructor(private readonly quantize: Quantize) {}

  private fresh(prefix: string): string {
    return `${prefix}${this.count++}`;
  }

  node(opType: string, input: string[], attribute?: AttributeMsg[]): string {
    const output = this.fresh('t');
    this.nodes.push({ opType, input, output: [output], attribute });
    return output;
  }

  activation(op: Extract<Op, { activation: unknown }>, x: string): string {
    if (op.activation === 'relu') return this.node('Relu', [x]);
    if (op.activation === 'softmax') return this.node('Softmax', [x], [{ name: 'axis', type: AttrType.INT, i: -1 }]);
    return x;
  }

  rename(from: string, to: string): void {
    for (const n of this.nodes) n.output = n.output.map((o) => (o === from ? to : o));
  }

  private initializer(dataType: number, dims: number[], bytes: Uint8Array, prefix: string): string {
    const name = this.fresh(prefix);
    this.initializers.push({ name, dims, dataType, rawData: bytes });
    return name;
  }

  float(values: Float32Array, dims: number[]): string {
    return this.initializer(DataType.FLOAT, dims, littleEndianBytes(values), 'w');
  }

  /** A kernel, quantized per output channel along `axis` when the export asks for it. */
  kernel(values: Float32Array, dims: number[], axis: number): string {
    if (this.quantize === 'none' || !quantizesTensor(dims)) return this.float(values, dims);
    if (this.quantize === 'float16') {
      const half = this.initializer(DataType.FLOAT16, dims, littleEndianBytes(toFloat16(values)), 'h');
      return this.node('Cast', [half], [{ name: 'to', type: AttrType.INT, i: DataType.FLOAT }]);
    }
    const channels = dims[axis];
    const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
    const { q, scale, zeroPoint } = toUint8PerChannel(values, channels, inner);
    const qName = this.initializer(DataType.UINT8, dims, q, 'q');
    const sName = this.initializer(DataType.FLOAT, [channels], littleEndianBytes(scale), 's');
    const zName = this.initializer(DataType.UINT8, [channels], zeroPoint, 'z');
    return this.node('DequantizeLinear', [qName, sName, zName], [{ name: 'axis', type: AttrType.INT, i: axis }]);
  }
}

/** ONNX raw_data is little-endian, as typed arrays are on every platform Node runs on. */
function littleEndianBytes(a: Float32Array | Uint16Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
