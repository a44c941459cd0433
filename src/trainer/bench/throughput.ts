import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseJsonc } from 'jsonc-parser';
import type { ModelSpec } from '../../protocol/experiment';
import { BENCH_BACKENDS, type ComputeBackend } from '../backend/select';
import { packageRoot } from '../data/packageRoot';
import { measureDataParallel } from './dataParallel';
import { runPeer } from './pytorchPeer';
import { BENCH_CHILD_FLAG, type BenchChildReply, type BenchChildRequest } from './throughputChild';
import { BENCH_BATCH, BENCH_INPUT, round, type BackendThroughput, type BenchNets, type NetThroughput } from './throughputMeasure';
import { benchNetworks, selectNetworks, type BenchNetwork } from './throughputNetworks';
import { emptyRuns, formatNetworksTable, summarizeNetwork, type NetworkRuns, type NetworksReport } from './throughputPerCore';
import { formatLayerTable, formatProfileTable, type StepProfile } from './throughputProfileTable';

/**
 * `skd bench`: training images/s of the default teacher and student (examples/default.skd.json)
 * at batch 64 (or `batch`) on 28x28x1 inputs, on every tf.js backend that loads (each in its own
 * process) and, as the yardstick, the same networks in PyTorch (bench/pytorch_peer.py: 2 CPU
 * threads, or the GPU with `peerDevice: 'cuda'` to set a GPU backend beside it).
 *
 * `skdOverKdEpochTime` (an SKD student epoch over a KD one) needs the training engine: pass
 * `measureSkdOverKd`; without it the field is null.
 *
 * `networks` (unless `perCore` is false): every network of throughputNetworks.ts, SKD Lab wasm on
 * one thread against PyTorch on one thread, and two data-parallel wasm workers against PyTorch on
 * two threads, the median of `repeat` back-to-back repetitions (throughputPerCore.ts).
 * `runProfileBench` (`skd bench --profile`): where a step goes, SKD Lab against PyTorch's profiler.
 */

export interface ThroughputOptions {
  /** The caller prints: JSON.stringify(report) with --json, formatTable(report) without. */
  json: boolean;
  backends?: string[];
  /** Timed seconds per network and backend (the cpu backend times one step regardless). */
  seconds?: number;
  /** Images per training step (default 64). */
  batch?: number;
  /** Where PyTorch runs: 'cpu' (2 threads, the default) or 'cuda'. */
  peerDevice?: string;
  /** The Python that has torch (default $SKD_PYTHON, else /usr/bin/python3, Debian's python3-torch). */
  python?: string;
  /** Also time wasm with two data-parallel workers (default true; needs wasm in `backends`). */
  dataParallel?: boolean;
  /** Supplied by the engine: SKD student epoch time over KD student epoch time, same models. */
  measureSkdOverKd?: (nets: BenchNets) => Promise<number>;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
  /** Comma-separated network ids (throughputNetworks.ts); all when absent. */
  networks?: string;
  /** Back-to-back repetitions of the per-network figures (default 1); medians are reported. */
  repeat?: number;
  /** Measure the per-network, per-core figures (default true). */
  perCore?: boolean;
}

export interface TrainThroughput {
  studentTrainImagesPerSec: number;
  teacherTrainImagesPerSec: number;
}

export interface ThroughputReport {
  backends: Record<string, TrainThroughput>;
  peer: { pytorch: TrainThroughput } | null;
  /** wasm with two data-parallel worker threads (one wasm instance each), when wasm loads. */
  dataParallel?: { wasm: TrainThroughput & { workers: number } } | null;
  /** Per network: 1 thread against 1 thread, and 2 data-parallel workers against 2 threads. */
  networks?: NetworksReport | null;
  skdOverKdEpochTime: number | null;
  machine: Record<string, unknown>;
}

const FALLBACK_NETS: BenchNets = {
  teacher: { model: 'resnet', depth: 8, width: 16, epochs: 1 },
  student: { model: 'cnn', width: 8, epochs: 1 },
};
const CHILD_TIMEOUT_MS = 10 * 60 * 1000;

/** The default experiment's teacher and student, or fixed networks until it names both. */
export function defaultNets(root = packageRoot()): BenchNets {
  const file = path.join(root, 'examples', 'default.skd.json');
  try {
    const exp = parseJsonc(fs.readFileSync(file, 'utf8')) as { teacher?: Partial<ModelSpec>; student?: Partial<ModelSpec> };
    if (typeof exp.teacher?.model === 'string' && typeof exp.student?.model === 'string') {
      return { teacher: exp.teacher as ModelSpec, student: exp.student as ModelSpec };
    }
  } catch {
    // No default experiment yet: fall through to the fixed pair.
  }
  return FALLBACK_NETS;
}

function childEntry(): { file: string; execArgv: string[] } {
  if (__filename.endsWith('.ts')) {
    return { file: path.resolve(__dirname, 'gradWorker.ts'), execArgv: ['--import', 'tsx'] };
  }
  return { file: path.join(__dirname, 'gradWorker.js'), execArgv: [] };
}

/** Measures one backend in a fresh child process; the reason it failed if it did. */
export function measureInChild(request: BenchChildRequest): Promise<BenchChildReply> {
  const entry = childEntry();
  return new Promise((resolve) => {
    const child = fork(entry.file, [BENCH_CHILD_FLAG], { execArgv: entry.execArgv, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    let settled = false;
    const settle = (r: BenchChildReply): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const timer = setTimeout(() => {
      child.kill();
      settle({ ok: false, error: `no result within ${CHILD_TIMEOUT_MS / 1000} s` });
    }, CHILD_TIMEOUT_MS);
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    child.on('message', (m: BenchChildReply) => settle(m));
    child.on('error', (e) => settle({ ok: false, error: e.message }));
    child.on('exit', (code) => settle({ ok: false, error: `exited with ${code}: ${stderr.trim().split('\n').pop() ?? ''}` }));
    child.send(request);
  });
}

export interface PeerResult extends TrainThroughput {
  torch: string;
  threads: number;
  /** 'cpu', or the GPU's name. */
  device: string;
}

export interface PeerOptions {
  seconds: number;
  batch: number;
  device: string;
  python: string;
}

/** PyTorch on the same networks, when the Python named can import torch; null otherwise. */
export function measurePytorchPeer(nets: BenchNets, opts: PeerOptions, root = packageRoot()): PeerResult | null | { error: string } {
  const args = [
    ...['--teacher', JSON.stringify(nets.teacher), '--student', JSON.stringify(nets.student)],
    ...['--batch', String(opts.batch), '--seconds', String(opts.seconds), '--threads', '2', '--device', opts.device],
  ];
  return runPeer(opts.python, args, root) as PeerResult | null | { error: string };
}

export async function runThroughputBench(opts: ThroughputOptions): Promise<ThroughputReport> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const seconds = opts.seconds ?? 5;
  const batch = opts.batch ?? BENCH_BATCH;
  const nets = defaultNets();
  const wanted = (opts.backends?.length ? opts.backends : BENCH_BACKENDS) as string[];
  const backends: Record<string, TrainThroughput> = {};
  const details: Record<string, unknown> = {};
  const unavailable: Record<string, string> = {};
  for (const name of wanted) {
    if (!(BENCH_BACKENDS as readonly string[]).includes(name)) {
      unavailable[name] = `unknown backend (expected ${BENCH_BACKENDS.join(', ')})`;
      continue;
    }
    log(`bench: ${name} ...`);
    const reply = await measureInChild({ backend: name as ComputeBackend, nets, seconds, batch });
    if (!reply.ok) {
      unavailable[name] = reply.error;
      log(`bench: ${name} not available: ${reply.error}`);
      continue;
    }
    if (!('result' in reply)) continue;
    const r: BackendThroughput = reply.result;
    backends[name] = { studentTrainImagesPerSec: r.studentTrainImagesPerSec, teacherTrainImagesPerSec: r.teacherTrainImagesPerSec };
    details[name] = { detail: r.detail, student: r.student, teacher: r.teacher };
  }
  let dataParallel: ThroughputReport['dataParallel'] = null;
  if (backends.wasm && (opts.dataParallel ?? true)) {
    log('bench: wasm, 2 data-parallel workers ...');
    try {
      const student = await measureDataParallel(nets.student, batch, seconds);
      const teacher = await measureDataParallel(nets.teacher, batch, seconds);
      dataParallel = { wasm: { workers: 2, studentTrainImagesPerSec: round(student.imagesPerSec), teacherTrainImagesPerSec: round(teacher.imagesPerSec) } };
      details['wasm-data-parallel'] = { student, teacher };
    } catch (e) {
      log(`bench: data-parallel wasm failed: ${String(e instanceof Error ? e.message : e)}`);
    }
  }
  log('bench: pytorch peer ...');
  const python = opts.python ?? process.env.SKD_PYTHON ?? '/usr/bin/python3';
  const peerRun = measurePytorchPeer(nets, { seconds, batch, device: opts.peerDevice ?? 'cpu', python });
  const peer = peerRun && !('error' in peerRun) ? { pytorch: pick(peerRun) } : null;
  if (peerRun && 'error' in peerRun) log(`bench: pytorch peer failed: ${peerRun.error}`);
  const networks =
    opts.perCore === false
      ? null
      : await runNetworksBench(selectNetworks(benchNetworks(nets), opts.networks), {
          seconds,
          batch,
          repeat: opts.repeat ?? 1,
          python,
          twoCores: opts.dataParallel ?? true,
          log,
        });
  const skdOverKdEpochTime = opts.measureSkdOverKd ? round(await opts.measureSkdOverKd(nets), 3) : null;
  const report: ThroughputReport = {
    backends,
    peer,
    dataParallel,
    networks,
    skdOverKdEpochTime,
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      node: process.version,
      platform: `${os.platform()} ${os.arch()}`,
      batch,
      input: BENCH_INPUT,
      teacher: nets.teacher,
      student: nets.student,
      backendDetails: details,
      unavailable,
      pytorch: peerRun && !('error' in peerRun) ? { version: peerRun.torch, threads: peerRun.threads, device: peerRun.device } : null,
    },
  };
  return report;
}

function peerNet(n: BenchNetwork): { id: string; label: string; spec: ModelSpec; input: [number, number, number] } {
  return { id: n.id, label: n.label, spec: n.spec, input: n.input };
}

export interface PeerNetworksResult {
  networks: Record<string, NetThroughput>;
  torch: string;
  threads: number;
}

/** Each network's images/s in PyTorch on `threads` CPU threads. */
export function measurePeerNetworks(
  networks: BenchNetwork[],
  opts: { seconds: number; batch: number; threads: number; python: string },
): PeerNetworksResult | { error: string } | null {
  const args = ['--nets', JSON.stringify(networks.map(peerNet)), '--batch', String(opts.batch), '--seconds', String(opts.seconds), '--threads', String(opts.threads)];
  return runPeer(opts.python, args) as PeerNetworksResult | { error: string } | null;
}

/** Where one training step of `network` goes in PyTorch on one thread (its profiler). */
export function profilePeer(
  network: BenchNetwork,
  opts: { seconds: number; batch: number; repeats: number; python: string },
): StepProfile | { error: string } | null {
  const args = ['--profile', JSON.stringify(peerNet(network)), '--batch', String(opts.batch), '--seconds', String(opts.seconds)];
  args.push('--repeats', String(opts.repeats), '--threads', '1');
  return runPeer(opts.python, args) as StepProfile | { error: string } | null;
}

export interface NetworksBenchOptions {
  seconds: number;
  batch: number;
  repeat: number;
  python: string;
  /** Also the 2-core columns: wasm with 2 data-parallel workers, PyTorch on 2 threads. */
  twoCores: boolean;
  log: (line: string) => void;
}

/** The per-network figures: `repeat` repetitions back to back, each measuring every column once. */
export async function runNetworksBench(networks: BenchNetwork[], opts: NetworksBenchOptions): Promise<NetworksReport> {
  const runs = new Map<string, NetworkRuns>(networks.map((n) => [n.id, emptyRuns()]));
  const errors = new Set<string>();
  const failed = (what: string, error: string): void => {
    opts.log(`bench: ${what} failed: ${error}`);
    errors.add(`${what}: ${error}`);
  };
  const record = (result: Record<string, NetThroughput>, column: 'wasm1Thread' | 'pytorch1Thread' | 'wasmDataParallel2' | 'pytorch2Threads') => {
    for (const [id, t] of Object.entries(result)) {
      const r = runs.get(id);
      if (!r) continue;
      r[column].push(t.imagesPerSec);
      if (column === 'wasm1Thread') r.params.skdLab = t.params;
      if (column === 'pytorch1Thread' || column === 'pytorch2Threads') r.params.pytorch = t.params;
    }
  };
  for (let rep = 1; rep <= opts.repeat; rep++) {
    const of = `${rep}/${opts.repeat}`;
    opts.log(`bench: networks ${of}: SKD Lab wasm, 1 thread ...`);
    const reply = await measureInChild({ kind: 'networks', backend: 'wasm', networks, seconds: opts.seconds, batch: opts.batch });
    if (!reply.ok) failed('SKD Lab wasm', reply.error);
    else if ('networks' in reply) record(reply.networks, 'wasm1Thread');
    opts.log(`bench: networks ${of}: PyTorch, 1 thread ...`);
    const py1 = measurePeerNetworks(networks, { seconds: opts.seconds, batch: opts.batch, threads: 1, python: opts.python });
    if (py1 === null) errors.add(`PyTorch: ${opts.python} cannot import torch`);
    else if ('error' in py1) failed('PyTorch 1 thread', py1.error);
    else record(py1.networks, 'pytorch1Thread');
    if (!opts.twoCores) continue;
    opts.log(`bench: networks ${of}: SKD Lab wasm, 2 data-parallel workers ...`);
    for (const n of networks) {
      try {
        const t = await measureDataParallel(n.spec, opts.batch, opts.seconds, 2, n.input);
        record({ [n.id]: t }, 'wasmDataParallel2');
      } catch (e) {
        failed(`SKD Lab wasm data-parallel (${n.id})`, String(e instanceof Error ? e.message : e));
      }
    }
    opts.log(`bench: networks ${of}: PyTorch, 2 threads ...`);
    const py2 = measurePeerNetworks(networks, { seconds: opts.seconds, batch: opts.batch, threads: 2, python: opts.python });
    if (py2 !== null && 'error' in py2) failed('PyTorch 2 threads', py2.error);
    else if (py2 !== null) record(py2.networks, 'pytorch2Threads');
  }
  return {
    repeat: opts.repeat,
    seconds: opts.seconds,
    batch: opts.batch,
    networks: networks.map((n) => summarizeNetwork(n, runs.get(n.id) ?? emptyRuns(), opts.twoCores)),
    errors: [...errors],
  };
}

export interface ProfileBenchOptions {
  networks?: string;
  /** Clean-step time budget per network and framework (default 2). */
  seconds?: number;
  batch?: number;
  /** Profiled steps per network (default 5); medians are reported. */
  repeat?: number;
  python?: string;
  log?: (line: string) => void;
}

export interface ProfileReport {
  profiles: { network: string; skdLab: StepProfile; pytorch: StepProfile | null; peerError?: string }[];
  errors: string[];
}

/** `skd bench --profile`: per network, SKD Lab's step on wasm (1 thread) against PyTorch's (1 thread). */
export async function runProfileBench(opts: ProfileBenchOptions): Promise<ProfileReport> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const seconds = opts.seconds ?? 2;
  const batch = opts.batch ?? BENCH_BATCH;
  const repeats = opts.repeat ?? 5;
  const python = opts.python ?? process.env.SKD_PYTHON ?? '/usr/bin/python3';
  const report: ProfileReport = { profiles: [], errors: [] };
  for (const net of selectNetworks(benchNetworks(defaultNets()), opts.networks)) {
    log(`bench: profiling ${net.id} on SKD Lab wasm ...`);
    const reply = await measureInChild({ kind: 'profile', network: net, seconds, batch, repeats });
    if (!reply.ok || !('profile' in reply)) {
      report.errors.push(`${net.id}: SKD Lab wasm: ${reply.ok ? 'no profile' : reply.error}`);
      continue;
    }
    log(`bench: profiling ${net.id} on PyTorch ...`);
    const peer = profilePeer(net, { seconds, batch, repeats, python });
    const entry: ProfileReport['profiles'][number] = { network: net.id, skdLab: reply.profile, pytorch: null };
    if (peer === null) entry.peerError = `${python} cannot import torch`;
    else if ('error' in peer) entry.peerError = peer.error;
    else entry.pytorch = peer;
    report.profiles.push(entry);
  }
  return report;
}

export function formatProfileReport(report: ProfileReport): string {
  const blocks: string[] = [];
  for (const p of report.profiles) {
    blocks.push(formatProfileTable(p.skdLab, p.pytorch));
    if (p.peerError) blocks.push(`  PyTorch not profiled: ${p.peerError}`);
    blocks.push('', formatLayerTable(p.skdLab));
    if (p.pytorch) blocks.push('', formatLayerTable(p.pytorch));
    blocks.push('');
  }
  for (const e of report.errors) blocks.push(`not profiled: ${e}`);
  return `${blocks.join('\n').trimEnd()}\n`;
}

function pick(r: TrainThroughput): TrainThroughput {
  return { studentTrainImagesPerSec: r.studentTrainImagesPerSec, teacherTrainImagesPerSec: r.teacherTrainImagesPerSec };
}

/** The human-readable form: img/s per backend and network, with the ratios the issue tracks. */
export function formatTable(report: ThroughputReport): string {
  const rows: string[][] = [['backend', 'student img/s', 'teacher img/s']];
  for (const [name, r] of Object.entries(report.backends)) rows.push([name, fmt(r.studentTrainImagesPerSec), fmt(r.teacherTrainImagesPerSec)]);
  const py = report.peer?.pytorch;
  const dp = report.dataParallel?.wasm;
  if (dp) rows.push([`wasm, ${dp.workers} data-parallel workers`, fmt(dp.studentTrainImagesPerSec), fmt(dp.teacherTrainImagesPerSec)]);
  const pyDevice = (report.machine.pytorch as { device?: string } | null)?.device ?? 'cpu';
  if (py) rows.push([`pytorch (${pyDevice === 'cpu' ? '2 threads' : pyDevice})`, fmt(py.studentTrainImagesPerSec), fmt(py.teacherTrainImagesPerSec)]);
  const ratio = (label: string, a?: TrainThroughput, b?: TrainThroughput): void => {
    if (a && b) rows.push([label, `${(a.studentTrainImagesPerSec / b.studentTrainImagesPerSec).toFixed(2)}x`, `${(a.teacherTrainImagesPerSec / b.teacherTrainImagesPerSec).toFixed(2)}x`]);
  };
  ratio('wasm / cpu', report.backends.wasm, report.backends.cpu);
  ratio('wasm / pytorch', report.backends.wasm, py);
  ratio('wasm data-parallel / pytorch', dp, py);
  ratio('webgpu / wasm', report.backends.webgpu, report.backends.wasm);
  ratio('webgpu / pytorch', report.backends.webgpu, py);
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const lines = rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  const m = report.machine;
  lines.push('', `batch ${String(m.batch)}, input ${(m.input as number[]).join('x')}, ${String(m.cpus)} cpus (${String(m.cpuModel)})`);
  lines.push(`teacher ${JSON.stringify(m.teacher)}, student ${JSON.stringify(m.student)}`);
  lines.push(`SKD / KD student epoch time: ${report.skdOverKdEpochTime ?? 'not measured'}`);
  if (report.networks) lines.push('', formatNetworksTable(report.networks));
  return `${lines.join('\n')}\n`;
}

function fmt(x: number): string {
  return x >= 100 ? x.toFixed(0) : x.toFixed(1);
}
