import { isMainThread, parentPort, workerData, type Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type { ModelSpec } from '../../protocol/experiment';
import { selectBackend } from '../backend/select';
import { lossAndGrads } from '../backend/trainingStep';
import { buildModel } from '../models';
import { startWorkerThread } from '../util/workerThread';
import { BENCH_CLASSES, BENCH_INPUT, benchBatchOf, type NetThroughput } from './throughputMeasure';

/**
 * Data-parallel training on wasm, measured: the third way of using both cores that the benchmark
 * compares (beside wasm's own threads and two runs side by side). Each worker thread holds its
 * own wasm instance and the same network; per step the main thread sends the weights, each
 * worker returns the gradient of its half of the batch, and the main thread averages them and
 * takes the SGD step, so the result equals one step on the whole batch (batch-norm statistics
 * are per half, as in PyTorch's DistributedDataParallel without SyncBatchNorm).
 */

export const DATA_PARALLEL_FLAG = 'skd-data-parallel-worker';

interface WorkerInit {
  flag: typeof DATA_PARALLEL_FLAG;
  spec: ModelSpec;
  shard: number;
  batch: number;
  input: [number, number, number];
}

type ToWorker = { weights: Float32Array[] } | { stop: true };
type FromWorker = { ready: true; shapes: number[][]; initial: Float32Array[] } | { grads: Float32Array[]; loss: number } | { error: string };

let serving = false;

/**
 * Worker side: true when this thread is a data-parallel worker (and now serves requests). Called
 * from this module's end and from dist/gradWorker.js; the first call serves, later ones return.
 */
export function runDataParallelWorker(): boolean {
  if (isMainThread || (workerData as WorkerInit | undefined)?.flag !== DATA_PARALLEL_FLAG || !parentPort) return false;
  if (serving) return true;
  serving = true;
  const init = workerData as WorkerInit;
  const port = parentPort;
  void (async () => {
    try {
      await selectBackend('wasm');
      const built = buildModel(init.spec, { inputShape: init.input, numClasses: BENCH_CLASSES, seed: 1, experimentFile: 'bench', field: 'net' });
      const { x, oneHot } = benchBatchOf(init.batch, init.input, 'bench-shard', String(init.shard));
      const vars = built.model.trainableWeights.map((w) => w.read() as tf.Variable);
      port.postMessage({ ready: true, shapes: vars.map((v) => v.shape), initial: vars.map((v) => v.dataSync() as Float32Array) } satisfies FromWorker);
      port.on('message', (m: ToWorker) => {
        if ('stop' in m) {
          port.close();
          return;
        }
        const out = tf.tidy(() => {
          vars.forEach((v, i) => v.assign(tf.tensor(m.weights[i], v.shape)));
          const { loss, grads } = lossAndGrads(built.model, x, oneHot);
          return { loss: loss.dataSync()[0], grads: grads.map((g) => g.dataSync() as Float32Array) };
        });
        port.postMessage(out satisfies FromWorker, out.grads.map((g) => g.buffer as ArrayBuffer));
      });
    } catch (e) {
      port.postMessage({ error: String(e instanceof Error ? e.message : e) } satisfies FromWorker);
    }
  })();
  return true;
}

/** dist/gradWorker.js when bundled; from sources, this file through tsx's require hook. */
function startWorker(init: WorkerInit): Worker {
  return startWorkerThread(__filename, 'gradWorker.js', init);
}

function nextMessage(w: Worker): Promise<FromWorker> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: FromWorker): void => {
      w.off('error', onError);
      if ('error' in m) reject(new Error(m.error));
      else resolve(m);
    };
    const onError = (e: Error): void => {
      w.off('message', onMessage);
      reject(e);
    };
    w.once('message', onMessage);
    w.once('error', onError);
  });
}

/** Trains `spec` with `workers` data-parallel wasm workers for `seconds`; images/s over the whole batch. */
export async function measureDataParallel(
  spec: ModelSpec,
  batch: number,
  seconds: number,
  workers = 2,
  input: [number, number, number] = BENCH_INPUT,
): Promise<NetThroughput> {
  const shard = Math.ceil(batch / workers);
  const pool = Array.from(
    { length: workers },
    (_, i) => startWorker({ flag: DATA_PARALLEL_FLAG, spec, shard: i, batch: shard, input }),
  );
  try {
    const ready = await Promise.all(pool.map(nextMessage));
    const first = ready[0] as Extract<FromWorker, { ready: true }>;
    const weights = first.initial.map((w) => Float32Array.from(w));
    const params = weights.reduce((a, w) => a + w.length, 0);
    const step = async (): Promise<void> => {
      const replies = (await Promise.all(
        pool.map((w) => {
          const reply = nextMessage(w);
          w.postMessage({ weights } satisfies ToWorker);
          return reply;
        }),
      )) as Extract<FromWorker, { grads: Float32Array[] }>[];
      const lr = 0.01 / workers;
      for (let i = 0; i < weights.length; i++) {
        const w = weights[i];
        for (const r of replies) {
          const g = r.grads[i];
          for (let j = 0; j < w.length; j++) w[j] -= lr * g[j];
        }
      }
    };
    for (let i = 0; i < 3; i++) await step();
    let steps = 0;
    const start = performance.now();
    let elapsed = 0;
    do {
      await step();
      steps++;
      elapsed = (performance.now() - start) / 1000;
    } while (elapsed < seconds);
    return { imagesPerSec: (steps * shard * workers) / elapsed, batch: shard * workers, steps, msPerStep: (elapsed * 1000) / steps, params };
  } finally {
    for (const w of pool) {
      w.postMessage({ stop: true } satisfies ToWorker);
      void w.terminate();
    }
  }
}

// Started as a worker thread from sources (tsx): serve requests.
runDataParallelWorker();
