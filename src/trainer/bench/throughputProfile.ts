import * as tf from '@tensorflow/tfjs-core';
import type { ModelSpec } from '../../protocol/experiment';
import { selectBackend } from '../backend/select';
import { sgdStep } from '../backend/trainingStep';
import { buildModel } from '../models';
import { BENCH_BATCH, BENCH_CLASSES, BENCH_INPUT } from './throughputMeasure';

/**
 * Where a training step's time goes, per kernel, on one backend: the tool behind the kernel
 * work on wasm. Run from sources:
 *   node --import tsx src/trainer/bench/throughputProfile.ts '{"model":"resnet","depth":8,"width":16}' [wasm|cpu]
 * Note: ops that wrap kernels (names ending in __op) count their kernels' time again.
 */
export async function profileStep(spec: ModelSpec, backend: 'wasm' | 'cpu' = 'wasm'): Promise<string> {
  await selectBackend(backend);
  const built = buildModel(spec, { inputShape: BENCH_INPUT, numClasses: BENCH_CLASSES, seed: 1, experimentFile: 'profile', field: 'net' });
  const x = tf.randomUniform([BENCH_BATCH, ...BENCH_INPUT]) as tf.Tensor4D;
  const labels = tf.tensor1d(Array.from({ length: BENCH_BATCH }, (_, i) => i % BENCH_CLASSES), 'int32');
  const y = tf.cast(tf.oneHot(labels, BENCH_CLASSES), 'float32') as tf.Tensor2D;
  for (let i = 0; i < 3; i++) sgdStep(built.model, x, y, 0.01);
  const start = performance.now();
  const info = await tf.profile(() => {
    sgdStep(built.model, x, y, 0.01);
  });
  const total = performance.now() - start;
  const byKernel = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    const e = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
    e.ms += Number(k.kernelTimeMs);
    e.calls++;
    byKernel.set(k.name, e);
  }
  tf.dispose([x, labels, y]);
  built.model.dispose();
  const rows = [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms);
  const lines = [`step ${total.toFixed(0)} ms (profiled), ${info.kernels.length} kernel calls`];
  for (const [name, e] of rows) lines.push(`${name.padEnd(32)} ${e.ms.toFixed(1).padStart(8)} ms ${String(e.calls).padStart(5)} calls`);
  return lines.join('\n');
}

if (require.main === module) {
  const spec = JSON.parse(process.argv[2] ?? '{"model":"resnet","depth":8,"width":16}') as ModelSpec;
  profileStep(spec, (process.argv[3] as 'wasm' | 'cpu' | undefined) ?? 'wasm').then((s) => console.log(s));
}
