import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../data/packageRoot';

/**
 * The one way SKD Lab's benchmarks run their PyTorch peer (bench/pytorch_peer.py): the
 * networks' throughput, a step's profile and the GEMM ceiling all go through `runPeer`.
 */

const PEER_TIMEOUT_MS = 10 * 60 * 1000;

/** Why the peer cannot run with `python`, or undefined when it can. */
export function peerProblem(python: string, root = packageRoot()): string | undefined {
  const script = path.join(root, 'bench', 'pytorch_peer.py');
  if (!fs.existsSync(script)) return `${script} is missing`;
  if (spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status !== 0) return `${python} cannot import torch`;
  return undefined;
}

/** The peer's JSON output for `args`; null when it cannot run (peerProblem says why); the last error line when it failed. */
export function runPeer(python: string, args: string[], root = packageRoot()): unknown {
  if (peerProblem(python, root) !== undefined) return null;
  const r = spawnSync(python, [path.join(root, 'bench', 'pytorch_peer.py'), ...args], { encoding: 'utf8', timeout: PEER_TIMEOUT_MS });
  if (r.status !== 0) return { error: (r.stderr || r.error?.message || 'failed').trim().split('\n').pop() ?? 'failed' };
  return JSON.parse(r.stdout) as unknown;
}
