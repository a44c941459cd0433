import type { ModelSpec } from '../../protocol/experiment';
import { measureNet } from './throughputMeasure';
import { median } from './throughputStats';
import { FAST_GRADIENTS, registerFastGradients, restoreOriginalGradients } from '../backend/fastGradients';
import { selectBackend } from '../backend/select';
import { registerWasmTrainingKernels } from '../backend/wasmKernels';
import { restoreOriginalKernels } from '../backend/wasmKernels/originals';

/**
 * Before/after of SKD Lab's wasm fast paths (the kernels that fall back to the originals, and
 * the faster gradients) in one process, alternating, so that both see the same machine load:
 *   node --import tsx src/trainer/bench/fastPaths.ts [rounds] [secondsPerMeasure]
 * Prints the median ms per step and img/s of each network (batch 64, 28x28x1, the steps of
 * `skd bench`) with and without them; the other supplied kernels (convolution gradients, Tile,
 * batch norm's training kernels) are in place in both, so batch norm in training no longer goes
 * through FusedBatchNorm or tf.moments on wasm and their fast paths show only at inference.
 */
export const FAST_PATH_KERNELS = ['MaxPoolGrad', 'Sum', 'Mean', 'Identity', 'Cast', 'FusedBatchNorm', 'Multiply', 'Add', 'Sub'] as const;

function useFastPaths(on: boolean): void {
  if (on) {
    registerWasmTrainingKernels();
    registerFastGradients();
  } else {
    restoreOriginalKernels(FAST_PATH_KERNELS);
    restoreOriginalGradients();
  }
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 5);
  const seconds = Number(process.argv[3] ?? 3);
  await selectBackend('wasm');
  const nets: [string, ModelSpec][] = [
    ['teacher resnet-8 w16', { model: 'resnet', depth: 8, width: 16, epochs: 1 }],
    ['student cnn w8', { model: 'cnn', width: 8, epochs: 1 }],
  ];
  console.log(`fast paths: kernels ${FAST_PATH_KERNELS.join(', ')}; gradients ${FAST_GRADIENTS.map((g) => g.kernelName).join(', ')}`);
  for (const [label, spec] of nets) {
    const ms: Record<'before' | 'after', number[]> = { before: [], after: [] };
    for (let r = 0; r < rounds; r++) {
      for (const variant of r % 2 ? (['after', 'before'] as const) : (['before', 'after'] as const)) {
        useFastPaths(variant === 'after');
        const t = await measureNet(spec, 'net', { seconds, batch: 64, warmupSteps: 2, maxSteps: 10_000 });
        ms[variant].push(t.msPerStep);
      }
    }
    const b = median(ms.before);
    const a = median(ms.after);
    const fmt = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(' ');
    console.log(`${label}: before ${b.toFixed(1)} ms/step (${((64 * 1000) / b).toFixed(0)} img/s) [${fmt(ms.before)}]`);
    console.log(`${label}: after  ${a.toFixed(1)} ms/step (${((64 * 1000) / a).toFixed(0)} img/s) [${fmt(ms.after)}]  speed-up ${(b / a).toFixed(2)}x`);
  }
  useFastPaths(true);
}

if (require.main === module) void main();
