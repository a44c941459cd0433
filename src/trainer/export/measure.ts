import * as fs from 'node:fs';
import * as path from 'node:path';
import { concatFloat32 } from '../util/float32';
import type { Predictor } from './types';

/** Total bytes of the named files of a directory. */
export function fileBytes(dir: string, files: string[]): number {
  return files.reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
}

/** Logits of `n` images, run `batch` at a time (bounded memory in either runtime). */
export async function predictAll(p: Predictor, x: Float32Array, n: number, shape: [number, number, number], batch = 128): Promise<Float32Array> {
  const size = shape[0] * shape[1] * shape[2];
  const parts: Float32Array[] = [];
  for (let i = 0; i < n; i += batch) {
    const m = Math.min(batch, n - i);
    parts.push(await p.run(x.slice(i * size, (i + m) * size), [m, ...shape]));
  }
  return concatFloat32(parts);
}

/**
 * Median milliseconds per image at batch 1, after a warm-up (first runs pay for kernel
 * selection and allocation). Runs at least `minRuns` times and for at least `minMs`.
 */
export async function latencyMs(p: Predictor, image: Float32Array, shape: [number, number, number], minRuns = 20, minMs = 200): Promise<number> {
  for (let i = 0; i < 3; i++) await p.run(image, [1, ...shape]);
  const times: number[] = [];
  const start = performance.now();
  while (times.length < minRuns || performance.now() - start < minMs) {
    const t = performance.now();
    await p.run(image, [1, ...shape]);
    times.push(performance.now() - t);
    if (times.length >= 2000) break;
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}
