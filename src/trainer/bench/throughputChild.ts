import type { ComputeBackend } from '../backend/select';
import { measureBackend, type BenchNets } from './throughputMeasure';

/**
 * The benchmark's side of a child process: measures one backend and sends the result (or the
 * reason it could not load) to the parent over IPC. One fresh process per backend, so that one
 * backend's state (a wasm heap, a registered kernel) never affects another's figures.
 */

export const BENCH_CHILD_FLAG = '--skd-bench-backend';

export interface BenchChildRequest {
  backend: ComputeBackend;
  nets: BenchNets;
  seconds: number;
  batch: number;
}

export type BenchChildReply = { ok: true; result: Awaited<ReturnType<typeof measureBackend>> } | { ok: false; error: string };

export function isBenchChild(argv: string[] = process.argv): boolean {
  return argv.includes(BENCH_CHILD_FLAG) && typeof process.send === 'function';
}

export function runBenchChild(): void {
  process.once('message', (request: BenchChildRequest) => {
    measureBackend(request.backend, request.nets, request.seconds, request.batch).then(
      (result) => reply({ ok: true, result }),
      (e: unknown) => reply({ ok: false, error: String(e instanceof Error ? e.message : e).split('\n')[0] }),
    );
  });
}

function reply(message: BenchChildReply): void {
  process.send?.(message, () => process.exit(0));
}
