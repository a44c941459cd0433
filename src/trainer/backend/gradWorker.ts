import { isBenchChild, runBenchChild } from '../bench/throughputChild';

/**
 * Entry of the trainer's compute helpers, bundled to dist/gradWorker.js: started as a child
 * process by `skd bench` (one per backend measured).
 */
if (isBenchChild()) runBenchChild();
