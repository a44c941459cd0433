import { packageRoot } from '../data/packageRoot';
import { peerProblem, runPeer } from './pytorchPeer';
import type { GemmShape } from './gemmCeilingShapes';
import type { GemmFigure } from './gemmCeilingWasm';

/**
 * PyTorch's side of `skd bench --gemm`: bench/pytorch_peer.py --gemm on one thread. It times two
 * GEMMs per shape: torch.mm (the BLAS torch was linked with) and oneDNN's inner product, the engine
 * PyTorch's CPU convolutions use; where the build links a slow BLAS the two differ tenfold.
 */

export interface PeerGemmResult {
  shapes: Record<string, { mm: GemmFigure; onednn: GemmFigure | null }>;
  torch: string;
  threads: number;
  /** The BLAS library torch.mm ran on. */
  blas: string;
  onednn: boolean;
}

/** The shapes' GFLOP/s in PyTorch, or why there are none: `python` cannot import torch, or the peer failed. */
export function measurePeerGemm(
  shapes: readonly GemmShape[],
  opts: { seconds: number; repeat: number; python: string; threads?: number },
  root = packageRoot(),
): PeerGemmResult | { error: string } {
  const problem = peerProblem(opts.python, root);
  if (problem !== undefined) return { error: problem };
  const list = shapes.map(({ id, m, k, n }) => ({ id, m, k, n }));
  const args = ['--gemm', JSON.stringify(list), '--seconds', String(opts.seconds), '--repeats', String(opts.repeat), '--threads', String(opts.threads ?? 1)];
  return runPeer(opts.python, args, root) as PeerGemmResult | { error: string };
}
