import { measurePeerGemm, type PeerGemmResult } from './gemmCeilingPeer';
import { gemmFlop, GEMM_SHAPES, type GemmShape } from './gemmCeilingShapes';
import { measureWasmGemm, type GemmFigure } from './gemmCeilingWasm';
import { alignColumns, fmtNumber, fmtRatio, ratio, round } from './throughputStats';

/**
 * `skd bench --gemm`: the matrix-multiply ceiling. At the shapes the networks' convolutions reduce
 * to (gemmCeilingShapes.ts), the GFLOP/s of the best primitive the wasm backend has (tf.matMul,
 * XNNPACK) against PyTorch's GEMMs, one thread each. Their ratio bounds what kernel work under
 * wasm can reach against PyTorch's training speed per core where convolutions dominate a step.
 */

export interface GemmRow extends GemmShape {
  flop: number;
  wasm: GemmFigure | null;
  /** torch.mm, 1 thread. */
  pytorchMm: GemmFigure | null;
  /** oneDNN's inner product, 1 thread: the GEMM PyTorch's convolutions reach. */
  pytorchOneDnn: GemmFigure | null;
  /** wasm / oneDNN, and wasm / torch.mm. */
  ratioOneDnn: number | null;
  ratioMm: number | null;
}

export interface GemmReport {
  seconds: number;
  repeat: number;
  /** The wasm backend as selected, e.g. "wasm (XNNPACK, SIMD, 1 thread)"; null when it did not load. */
  wasm: string | null;
  pytorch: { torch: string; threads: number; blas: string; onednn: boolean } | null;
  shapes: GemmRow[];
  /** What was not measured, one line each. */
  errors: string[];
}

export interface GemmBenchOptions {
  /** Timed seconds per repetition, per shape and side (default 2). */
  seconds?: number;
  /** Repetitions per shape (default 3); medians are reported. */
  repeat?: number;
  /** The Python that has torch (default $SKD_PYTHON, else /usr/bin/python3, as `skd bench`). */
  python?: string;
  shapes?: readonly GemmShape[];
  log?: (line: string) => void;
}

function rounded(f: GemmFigure | null | undefined): GemmFigure | null {
  return f ? { gflops: round(f.gflops, 2), runs: f.runs.map((r) => round(r, 2)) } : null;
}

/** The report's rows from both sides' figures; a side that did not run leaves its columns null. */
export function gemmRows(
  shapes: readonly GemmShape[],
  wasm: Record<string, GemmFigure> | null,
  peer: PeerGemmResult | null,
): GemmRow[] {
  return shapes.map((s) => {
    const w = wasm?.[s.id] ?? null;
    const p = peer?.shapes[s.id];
    return {
      ...s,
      flop: gemmFlop(s),
      wasm: rounded(w),
      pytorchMm: rounded(p?.mm),
      pytorchOneDnn: rounded(p?.onednn),
      ratioOneDnn: roundRatio(ratio(w?.gflops, p?.onednn?.gflops)),
      ratioMm: roundRatio(ratio(w?.gflops, p?.mm.gflops)),
    };
  });
}

function roundRatio(r: number | null): number | null {
  return r === null ? null : round(r, 3);
}

export async function runGemmBench(opts: GemmBenchOptions = {}): Promise<GemmReport> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const seconds = opts.seconds ?? 2;
  const repeat = opts.repeat ?? 3;
  const shapes = opts.shapes ?? GEMM_SHAPES;
  const python = opts.python ?? process.env.SKD_PYTHON ?? '/usr/bin/python3';
  const errors: string[] = [];
  let wasm: Awaited<ReturnType<typeof measureWasmGemm>> | null = null;
  try {
    wasm = await measureWasmGemm(shapes, seconds, repeat, log);
  } catch (e) {
    errors.push(`SKD Lab wasm: ${String(e instanceof Error ? e.message : e).split('\n')[0]}`);
  }
  log('bench: gemm on PyTorch, 1 thread ...');
  const peer = measurePeerGemm(shapes, { seconds, repeat, python });
  if ('error' in peer) errors.push(`PyTorch: ${peer.error}`);
  const ok = 'error' in peer ? null : peer;
  return {
    seconds,
    repeat,
    wasm: wasm?.detail ?? null,
    pytorch: ok && { torch: ok.torch, threads: ok.threads, blas: ok.blas, onednn: ok.onednn },
    shapes: gemmRows(shapes, wasm?.shapes ?? null, ok),
    errors,
  };
}

/** GFLOP/s as people read them: one decimal below 100, with the repetitions in brackets. */
function cell(f: GemmFigure | null): string {
  if (!f) return '-';
  const runs = f.runs.length > 1 ? ` [${f.runs.map((r) => fmtNumber(r)).join(' ')}]` : '';
  return `${fmtNumber(f.gflops)}${runs}`;
}

export function formatGemmTable(report: GemmReport): string {
  const med = report.repeat > 1 ? `median of ${report.repeat} [runs]` : 'one run';
  const rows: string[][] = [['shape', 'M x K x N', 'SKD Lab wasm', 'PyTorch oneDNN', 'PyTorch torch.mm', 'wasm / oneDNN', 'wasm / mm']];
  for (const s of report.shapes) {
    rows.push([
      `${s.id}: ${s.label}`,
      `${s.m} x ${s.k} x ${s.n}`,
      cell(s.wasm),
      cell(s.pytorchOneDnn),
      cell(s.pytorchMm),
      // From the rounded medians shown, so that the ratio matches the table.
      fmtRatio(ratio(s.wasm?.gflops, s.pytorchOneDnn?.gflops)),
      fmtRatio(ratio(s.wasm?.gflops, s.pytorchMm?.gflops)),
    ]);
  }
  const lines = [`float32 matrix products, GFLOP/s, 1 thread each, ${report.seconds} s per run, ${med}`, alignColumns(rows)];
  if (report.wasm) lines.push(`  SKD Lab: tf.matMul on ${report.wasm}`);
  const p = report.pytorch;
  if (p) lines.push(`  PyTorch ${p.torch}, ${p.threads} thread: oneDNN inner product${p.onednn ? '' : ' (not available)'}; torch.mm on ${p.blas}`);
  for (const e of report.errors) lines.push(`  not measured: ${e}`);
  return `${lines.join('\n')}\n`;
}
