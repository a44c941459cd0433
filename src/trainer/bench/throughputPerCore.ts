import type { ModelSpec } from '../../protocol/experiment';
import type { BenchNetwork } from './throughputNetworks';
import { alignColumns, fmtNumber, fmtRatio, median, ratio, round } from './throughputStats';

/**
 * Per-core figures of `skd bench`: for every network, training images/s of SKD Lab on one thread
 * (wasm, one instance) against PyTorch on one thread, and beside them SKD Lab with two
 * data-parallel wasm workers against PyTorch on two threads. Each figure is the median of
 * `repeat` back-to-back repetitions (all networks and both frameworks once per repetition, so
 * that a burst of other work on the machine touches every column alike).
 */

export interface Figure {
  /** Median images/s over the repetitions that produced a figure; null when none did. */
  imagesPerSec: number | null;
  /** Images/s of each repetition, in order. */
  runs: number[];
}

export interface NetworkFigures {
  id: string;
  label: string;
  spec: ModelSpec;
  input: [number, number, number];
  /** Trainable parameters as each framework builds the network (they must agree). */
  params: { skdLab: number | null; pytorch: number | null };
  wasm1Thread: Figure;
  pytorch1Thread: Figure | null;
  /** wasm 1 thread / PyTorch 1 thread. */
  ratio1Thread: number | null;
  wasmDataParallel2: Figure | null;
  pytorch2Threads: Figure | null;
  /** wasm, 2 data-parallel workers / PyTorch 2 threads. */
  ratio2Threads: number | null;
}

export interface NetworksReport {
  repeat: number;
  seconds: number;
  batch: number;
  networks: NetworkFigures[];
  /** What failed, one line each (a backend or the peer that did not run). */
  errors: string[];
}

/** The images/s of every repetition of every column, as measured. */
export interface NetworkRuns {
  params: { skdLab: number | null; pytorch: number | null };
  wasm1Thread: number[];
  pytorch1Thread: number[];
  wasmDataParallel2: number[];
  pytorch2Threads: number[];
}

export function emptyRuns(): NetworkRuns {
  return { params: { skdLab: null, pytorch: null }, wasm1Thread: [], pytorch1Thread: [], wasmDataParallel2: [], pytorch2Threads: [] };
}

function figure(runs: number[]): Figure {
  return { imagesPerSec: runs.length ? round(median(runs)) : null, runs: runs.map((r) => round(r)) };
}

/** Medians and ratios from the runs; the 2-core columns are null when they were not measured. */
export function summarizeNetwork(net: BenchNetwork, runs: NetworkRuns, twoCores: boolean): NetworkFigures {
  const wasm1 = figure(runs.wasm1Thread);
  const py1 = runs.pytorch1Thread.length ? figure(runs.pytorch1Thread) : null;
  const dp2 = twoCores ? figure(runs.wasmDataParallel2) : null;
  const py2 = twoCores && runs.pytorch2Threads.length ? figure(runs.pytorch2Threads) : null;
  return {
    id: net.id,
    label: net.label,
    spec: net.spec,
    input: net.input,
    params: runs.params,
    wasm1Thread: wasm1,
    pytorch1Thread: py1,
    ratio1Thread: roundRatio(ratio(wasm1.imagesPerSec, py1?.imagesPerSec)),
    wasmDataParallel2: dp2,
    pytorch2Threads: py2,
    ratio2Threads: roundRatio(ratio(dp2?.imagesPerSec, py2?.imagesPerSec)),
  };
}

function roundRatio(r: number | null): number | null {
  return r === null ? null : round(r, 3);
}

function cell(f: Figure | null | undefined): string {
  if (!f) return '-';
  const runs = f.runs.length > 1 ? ` [${f.runs.map((r) => fmtNumber(r)).join(' ')}]` : '';
  return `${fmtNumber(f.imagesPerSec)}${runs}`;
}

function params(p: NetworkFigures['params']): string {
  if (p.skdLab === null) return '-';
  if (p.pytorch === null || p.pytorch === p.skdLab) return String(p.skdLab);
  return `${p.skdLab} (PyTorch ${p.pytorch}!)`;
}

/** The table the issue asks for: per network, 1-thread images/s of both, their ratio, and the 2-core columns. */
export function formatNetworksTable(report: NetworksReport): string {
  const med = report.repeat > 1 ? `median of ${report.repeat} [runs]` : 'one run';
  const rows: string[][] = [
    ['network', 'input', 'params', 'SKD Lab 1 thread', 'PyTorch 1 thread', 'per core', 'SKD Lab 2 workers', 'PyTorch 2 threads', '2 cores'],
  ];
  for (const n of report.networks) {
    rows.push([
      `${n.id}: ${n.label}`,
      n.input.join('x'),
      params(n.params),
      cell(n.wasm1Thread),
      cell(n.pytorch1Thread),
      // From the medians, not the stored (rounded) ratio, so that the table rounds once.
      fmtRatio(ratio(n.wasm1Thread.imagesPerSec, n.pytorch1Thread?.imagesPerSec)),
      cell(n.wasmDataParallel2),
      cell(n.pytorch2Threads),
      fmtRatio(ratio(n.wasmDataParallel2?.imagesPerSec, n.pytorch2Threads?.imagesPerSec)),
    ]);
  }
  const lines = [`training images/s, batch ${report.batch}, ${report.seconds} s per figure, ${med}; SKD Lab = wasm`, alignColumns(rows)];
  const mismatch = report.networks.filter((n) => n.params.pytorch !== null && n.params.skdLab !== null && n.params.pytorch !== n.params.skdLab);
  if (mismatch.length) lines.push(`  warning: PyTorch builds ${mismatch.map((n) => n.id).join(', ')} with other parameter counts`);
  for (const e of report.errors) lines.push(`  not measured: ${e}`);
  return lines.join('\n');
}
