/**
 * The matrix products `skd bench --gemm` times: the shapes that the convolutions of the networks
 * `skd bench` trains reduce to under im2col, at batch 64. A 3x3 convolution from C to C' channels
 * on an H x W image is, per step, three products: forward [B*H*W, 9*C] x [9*C, C'], the filter
 * gradient [9*C, B*H*W] x [B*H*W, C'], and the input gradient [B*H*W, C'] x [C', 9*C] (before
 * col2im). The ResNet-20 pair's convolutions are compute bound, so these shapes bound how fast
 * any kernel work can make them.
 */

export interface GemmShape {
  /** Short name, the JSON key. */
  id: string;
  /** What the product is, for people. */
  label: string;
  m: number;
  k: number;
  n: number;
}

const BATCH = 64;

/** The three products of a 3x3, stride-1 convolution from `cin` to `cout` channels on `size` x `size` images. */
function conv3x3(prefix: string, what: string, size: number, cin: number, cout: number, parts: ('fwd' | 'filter' | 'input')[]): GemmShape[] {
  const rows = BATCH * size * size;
  const conv = `${what} 3x3 conv ${cin}->${cout}, ${size}x${size}, batch ${BATCH}`;
  const all = {
    fwd: { id: `${prefix}-fwd`, label: `${conv}, forward (im2col)`, m: rows, k: 9 * cin, n: cout },
    filter: { id: `${prefix}-filter`, label: `${conv}, filter gradient`, m: 9 * cin, k: rows, n: cout },
    input: { id: `${prefix}-input`, label: `${conv}, input gradient (before col2im)`, m: rows, k: cout, n: 9 * cin },
  };
  return parts.map((p) => all[p]);
}

export const GEMM_SHAPES: readonly GemmShape[] = [
  ...conv3x3('resnet20-w16', 'ResNet-20', 32, 16, 16, ['fwd', 'filter', 'input']),
  // The same network's later stages: the same arithmetic per layer, fatter and shorter products.
  ...conv3x3('resnet20-w16-s2', 'ResNet-20', 16, 32, 32, ['fwd']),
  ...conv3x3('resnet20-w16-s3', 'ResNet-20', 8, 64, 64, ['fwd']),
  ...conv3x3('resnet20-w8', 'ResNet-20 width 8', 32, 8, 8, ['fwd', 'filter', 'input']),
  // The default experiment's student (cnn, width 6, 28x28x1): its first two convolutions.
  { id: 'cnn-conv1', label: `default student conv1 3x3 1->6, 28x28, batch ${BATCH}, forward`, m: BATCH * 28 * 28, k: 9, n: 6 },
  { id: 'cnn-conv2', label: `default student conv2 3x3 6->12, 14x14, batch ${BATCH}, forward`, m: BATCH * 14 * 14, k: 54, n: 12 },
  { id: 'square-256', label: 'square reference', m: 256, k: 256, n: 256 },
];

/** Floating-point operations of one product: a multiply and an add per term. */
export function gemmFlop(s: Pick<GemmShape, 'm' | 'k' | 'n'>): number {
  return 2 * s.m * s.k * s.n;
}

/** GFLOP/s of a product of shape `s` that takes `secondsPerCall`. */
export function gflops(s: Pick<GemmShape, 'm' | 'k' | 'n'>, secondsPerCall: number): number {
  return gemmFlop(s) / secondsPerCall / 1e9;
}
