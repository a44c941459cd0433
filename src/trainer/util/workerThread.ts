import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * A worker thread running `sourceFile`'s module: from sources (tests, `tsx`) the TypeScript file
 * itself through tsx's require hook; bundled, `dist/<bundle>` beside the calling bundle (esbuild.mjs
 * builds each thread's entry as its own file).
 */
export function startWorkerThread(sourceFile: string, bundle: string, workerData: unknown): Worker {
  if (sourceFile.endsWith('.ts')) {
    return new Worker(`require('tsx/cjs'); require(${JSON.stringify(sourceFile)});`, { eval: true, workerData });
  }
  return new Worker(path.join(path.dirname(sourceFile), bundle), { workerData });
}
