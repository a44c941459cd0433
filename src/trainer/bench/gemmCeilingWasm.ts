import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../backend/select';
import { median } from './throughputStats';
import { gflops, type GemmShape } from './gemmCeilingShapes';

/**
 * SKD Lab's side of `skd bench --gemm`: tf.matMul (float32) on the wasm backend, which runs
 * XNNPACK's SIMD128 GEMM on one thread (tf.js keeps wasm single-threaded in Node). The right-hand
 * matrix is the same tensor on every call, so XNNPACK packs it once: this is the GEMM's ceiling,
 * not what a training step pays when its weights change.
 */

/** GFLOP/s of one shape: the median over repetitions and each repetition's figure. */
export interface GemmFigure {
  gflops: number;
  runs: number[];
}

/** Seconds per call of `call`: `warmup` calls, then `repeat` repetitions of calls for `seconds` each (the peer's rule). */
export function timePerCall(call: () => void, seconds: number, repeat: number, warmup = 3): number[] {
  for (let i = 0; i < warmup; i++) call();
  const perCall: number[] = [];
  for (let r = 0; r < repeat; r++) {
    let calls = 0;
    const start = performance.now();
    let elapsed: number;
    do {
      call();
      calls++;
      elapsed = (performance.now() - start) / 1000;
    } while (elapsed < seconds);
    perCall.push(elapsed / calls);
  }
  return perCall;
}

/** tf.matMul of `shape` on the backend active in this process. */
export function measureMatMul(shape: GemmShape, seconds: number, repeat: number): GemmFigure {
  const a = tf.randomUniform([shape.m, shape.k], -1, 1, 'float32', 1) as tf.Tensor2D;
  const b = tf.randomUniform([shape.k, shape.n], -1, 1, 'float32', 2) as tf.Tensor2D;
  try {
    // The wasm backend computes a kernel before returning its tensor, so the clock sees the work.
    const perCall = timePerCall(() => tf.matMul(a, b).dispose(), seconds, repeat);
    return { gflops: gflops(shape, median(perCall)), runs: perCall.map((t) => gflops(shape, t)) };
  } finally {
    a.dispose();
    b.dispose();
  }
}

/** Activates the wasm backend (the one `skd run` selects by name) and times every shape on it. */
export async function measureWasmGemm(
  shapes: readonly GemmShape[],
  seconds: number,
  repeat: number,
  log: (line: string) => void = () => {},
): Promise<{ detail: string; shapes: Record<string, GemmFigure> }> {
  const selected = await selectBackend('wasm');
  const out: Record<string, GemmFigure> = {};
  for (const s of shapes) {
    log(`bench: gemm ${s.id} on SKD Lab ${selected.detail} ...`);
    out[s.id] = measureMatMul(s, seconds, repeat);
  }
  return { detail: selected.detail, shapes: out };
}
