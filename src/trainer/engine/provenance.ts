/**
 * Provenance of a run: what produced it (SKD Lab, Node and tf.js versions, backend, host) and
 * the git commit of the experiment file's folder when it is in a git work tree. Written to
 * `provenance.json` in the run directory when the run starts; each resume adds an entry.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { version_core as TFJS_VERSION } from '@tensorflow/tfjs-core';
import { version as SKD_VERSION } from '../../../package.json';
import { readJson, writeJsonAtomic } from '../runDir/atomicFile';

export const PROVENANCE_FILE = 'provenance.json';

export interface Provenance {
  skdLab: string;
  node: string;
  tfjs: string;
  backend: string;
  host: string;
  /** `git rev-parse HEAD` of the experiment file's folder; absent outside a git work tree. */
  gitCommit?: string;
  /** True when that work tree had uncommitted changes (absent when unknown). */
  gitDirty?: boolean;
  time: string;
}

/** `provenance.json`: the start's provenance, and that of each resume after it. */
export interface ProvenanceFile extends Provenance {
  resumes?: Provenance[];
}

/** The commit of the work tree holding `folder`, or undefined (no git, not a work tree, timeout). */
export function gitCommit(folder: string, timeoutMs = 2000): { commit: string; dirty?: boolean } | undefined {
  const git = (args: string[]) =>
    execFileSync('git', args, { cwd: folder, timeout: timeoutMs, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], windowsHide: true }).trim();
  let commit: string;
  try {
    commit = git(['rev-parse', 'HEAD']);
  } catch {
    return undefined;
  }
  if (!/^[0-9a-f]{40,64}$/.test(commit)) return undefined;
  let dirty: boolean | undefined;
  try {
    dirty = git(['status', '--porcelain', '--untracked-files=no']).length > 0;
  } catch {
    dirty = undefined;
  }
  return { commit, ...(dirty === undefined ? {} : { dirty }) };
}

export function collectProvenance(experimentFile: string, backend: string): Provenance {
  const git = gitCommit(path.dirname(path.resolve(experimentFile)));
  return {
    skdLab: SKD_VERSION,
    node: process.version,
    tfjs: TFJS_VERSION,
    backend,
    host: os.hostname(),
    ...(git ? { gitCommit: git.commit, ...(git.dirty === undefined ? {} : { gitDirty: git.dirty }) } : {}),
    time: new Date().toISOString(),
  };
}

export function readProvenance(runDir: string): ProvenanceFile | undefined {
  try {
    const v = readJson<ProvenanceFile>(path.join(runDir, PROVENANCE_FILE));
    return v && typeof v === 'object' && typeof v.skdLab === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Records `p` in the run directory: as the start's provenance, or (resumed) as one more resume. Never throws. */
export function recordProvenance(runDir: string, p: Provenance, resumed: boolean): void {
  try {
    const prev = resumed ? readProvenance(runDir) : undefined;
    const next: ProvenanceFile = prev ? { ...prev, resumes: [...(prev.resumes ?? []), p] } : p;
    if (!fs.existsSync(runDir)) return;
    writeJsonAtomic(path.join(runDir, PROVENANCE_FILE), next);
  } catch {
    // Provenance is a record, never a reason for a run to fail.
  }
}

/** One short cell: `0.1.0 node22 tf4.22 wasm abc1234*` (`*`: uncommitted changes). */
export function provenanceCell(p: Provenance | undefined): string {
  if (!p) return '-';
  const commit = p.gitCommit ? ` ${p.gitCommit.slice(0, 7)}${p.gitDirty ? '*' : ''}` : '';
  return `${p.skdLab} ${p.node.replace(/^v(\d+).*/, 'node$1')} tf${p.tfjs.split('.').slice(0, 2).join('.')} ${p.backend.split(/[\s(]/)[0]}${commit}`;
}
