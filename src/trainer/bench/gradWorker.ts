import { isBenchChild, runBenchChild } from './throughputChild';
import { runDataParallelWorker } from './dataParallel';

/**
 * Entry of the trainer's compute helpers, bundled to dist/gradWorker.js: started as a child
 * process by `skd bench` (one per backend measured).
 */
if (isBenchChild()) runBenchChild();
// Also the entry of the data-parallel worker threads that `skd bench` measures.
runDataParallelWorker();
