import type { ComputeBackend } from '../backend/select';
import { selectBackend } from '../backend/select';
import type { BenchNetwork } from './throughputNetworks';
import { profileTrainingStep } from './throughputProfile';
import type { StepProfile } from './throughputProfileTable';
import { budgetFor, measureBackend, measureNet, type BenchNets, type NetThroughput } from './throughputMeasure';

/**
 * The benchmark's side of a child process: measures one backend (or one list of networks, or
 * profiles one network's step) and sends the result, or the reason it could not load, to the
 * parent over IPC. One fresh process per request, so that one backend's state (a wasm heap, a
 * registered kernel) never affects another's figures.
 */

export const BENCH_CHILD_FLAG = '--skd-bench-backend';

export type BenchChildRequest =
  | { kind?: 'backend'; backend: ComputeBackend; nets: BenchNets; seconds: number; batch: number }
  /** Each network's training images/s on `backend`, in the order given. */
  | { kind: 'networks'; backend: ComputeBackend; networks: BenchNetwork[]; seconds: number; batch: number }
  /** Where one network's training step goes on wasm. */
  | { kind: 'profile'; network: BenchNetwork; seconds: number; batch: number; repeats: number };

export type BenchChildReply =
  | { ok: true; result: Awaited<ReturnType<typeof measureBackend>> }
  | { ok: true; networks: Record<string, NetThroughput>; detail: string }
  | { ok: true; profile: StepProfile }
  | { ok: false; error: string };

export function isBenchChild(argv: string[] = process.argv): boolean {
  return argv.includes(BENCH_CHILD_FLAG) && typeof process.send === 'function';
}

async function serve(request: BenchChildRequest): Promise<BenchChildReply> {
  if (request.kind === 'networks') {
    const selected = await selectBackend(request.backend);
    const budget = budgetFor(selected.name, request.seconds, request.batch);
    const networks: Record<string, NetThroughput> = {};
    for (const net of request.networks) networks[net.id] = await measureNet(net.spec, 'net', budget, net.input);
    return { ok: true, networks, detail: selected.detail };
  }
  if (request.kind === 'profile') {
    const selected = await selectBackend('wasm');
    const profile = await profileTrainingStep(request.network, selected.name, { batch: request.batch, seconds: request.seconds, repeats: request.repeats });
    return { ok: true, profile };
  }
  return { ok: true, result: await measureBackend(request.backend, request.nets, request.seconds, request.batch) };
}

export function runBenchChild(): void {
  process.once('message', (request: BenchChildRequest) => {
    serve(request).then(reply, (e: unknown) => reply({ ok: false, error: String(e instanceof Error ? e.message : e).split('\n')[0] }));
  });
}

function reply(message: BenchChildReply): void {
  process.send?.(message, () => process.exit(0));
}
