import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatGemmTable, gemmRows, type GemmReport } from '../../../src/trainer/bench/gemmCeiling';
import type { PeerGemmResult } from '../../../src/trainer/bench/gemmCeilingPeer';
import { gemmFlop, gflops, GEMM_SHAPES } from '../../../src/trainer/bench/gemmCeilingShapes';
import { measureWasmGemm } from '../../../src/trainer/bench/gemmCeilingWasm';

const shape = (id: string) => {
  const s = GEMM_SHAPES.find((x) => x.id === id);
  assert.ok(s, `no shape ${id}`);
  return s;
};

describe('GEMM ceiling shapes', () => {
  it('reduce the convolutions to im2col products with the hand-computed FLOP counts', () => {
    // ResNet-20, 3x3 conv 16->16 on 32x32, batch 64: M = 64*32*32 = 65536, K = 9*16 = 144, N = 16.
    assert.deepEqual([shape('resnet20-w16-fwd').m, shape('resnet20-w16-fwd').k, shape('resnet20-w16-fwd').n], [65536, 144, 16]);
    assert.equal(gemmFlop(shape('resnet20-w16-fwd')), 301_989_888);
    // Its filter gradient swaps M and K; the input gradient swaps K and N: the same arithmetic.
    assert.deepEqual([shape('resnet20-w16-filter').m, shape('resnet20-w16-filter').k, shape('resnet20-w16-filter').n], [144, 65536, 16]);
    assert.deepEqual([shape('resnet20-w16-input').m, shape('resnet20-w16-input').k, shape('resnet20-w16-input').n], [65536, 16, 144]);
    assert.equal(gemmFlop(shape('resnet20-w16-filter')), 301_989_888);
    // Width 8: K = 72, N = 8, a quarter of the arithmetic.
    assert.equal(gemmFlop(shape('resnet20-w8-fwd')), 2 * 65536 * 72 * 8);
    assert.equal(gemmFlop(shape('resnet20-w8-fwd')), 75_497_472);
    // Later stages keep the arithmetic per layer: 16384 x 288 x 32 and 4096 x 576 x 64.
    assert.equal(gemmFlop(shape('resnet20-w16-s2-fwd')), 301_989_888);
    assert.equal(gemmFlop(shape('resnet20-w16-s3-fwd')), 301_989_888);
    // Default student: 50176 x 9 x 6 and 12544 x 54 x 12.
    assert.equal(gemmFlop(shape('cnn-conv1')), 5_419_008);
    assert.equal(gemmFlop(shape('cnn-conv2')), 16_257_024);
    assert.equal(gemmFlop(shape('square-256')), 33_554_432);
    assert.equal(new Set(GEMM_SHAPES.map((s) => s.id)).size, GEMM_SHAPES.length, 'ids are unique');
  });
  it('turns seconds per call into GFLOP/s', () => {
    assert.equal(gflops({ m: 256, k: 256, n: 256 }, 0.001), 33.554432);
  });
});

describe('GEMM ceiling table', () => {
  const shapes = [shape('square-256'), shape('cnn-conv1')];
  const wasm = { 'square-256': { gflops: 20.04, runs: [19, 20.04, 21] }, 'cnn-conv1': { gflops: 2.5, runs: [2.5, 2.4, 2.6] } };
  const peer: PeerGemmResult = {
    shapes: {
      'square-256': { mm: { gflops: 3.5, runs: [3.5, 3.4, 3.6] }, onednn: { gflops: 90, runs: [90, 89, 91] } },
      'cnn-conv1': { mm: { gflops: 1.4, runs: [1.4, 1.4, 1.4] }, onednn: null },
    },
    torch: '1.13.0',
    threads: 1,
    blas: 'libblas.so.3',
    onednn: true,
  };
  it('has one row per shape with both ratios, and dashes where a side is missing', () => {
    const rows = gemmRows(shapes, wasm, peer);
    assert.equal(rows[0].flop, 33_554_432);
    assert.equal(rows[0].ratioOneDnn, 0.223);
    assert.equal(rows[0].ratioMm, 5.726);
    assert.equal(rows[1].pytorchOneDnn, null);
    assert.equal(rows[1].ratioOneDnn, null);
    const report: GemmReport = { seconds: 1, repeat: 3, wasm: 'wasm (XNNPACK, SIMD, 1 thread)', pytorch: { torch: '1.13.0', threads: 1, blas: 'libblas.so.3', onednn: true }, shapes: rows, errors: [] };
    const lines = formatGemmTable(report).split('\n');
    assert.match(lines[0], /GFLOP\/s, 1 thread each, 1 s per run, median of 3/);
    assert.match(lines[1], /^shape +M x K x N +SKD Lab wasm +PyTorch oneDNN +PyTorch torch\.mm +wasm \/ oneDNN +wasm \/ mm$/);
    assert.match(lines[3], /^square-256: square reference +256 x 256 x 256 +20\.0 \[19\.0 20\.0 21\.0\] +90\.0 \[90\.0 89\.0 91\.0\] +3\.5 \[3\.5 3\.4 3\.6\] +0\.22x +5\.73x$/);
    assert.match(lines[4], /^cnn-conv1: .* 50176 x 9 x 6 +2\.5 \[2\.5 2\.4 2\.6\] +- +1\.4 \[1\.4 1\.4 1\.4\] +- +1\.79x$/);
    assert.match(lines[5], /SKD Lab: tf\.matMul on wasm \(XNNPACK, SIMD, 1 thread\)/);
  });
  it('says why the PyTorch columns are empty when torch is missing', () => {
    const report: GemmReport = { seconds: 1, repeat: 1, wasm: null, pytorch: null, shapes: gemmRows(shapes, wasm, null), errors: ['PyTorch: /nowhere/python3 cannot import torch'] };
    const text = formatGemmTable(report);
    assert.match(text, /one run/);
    assert.match(text, /not measured: PyTorch: \/nowhere\/python3 cannot import torch/);
    assert.ok(report.shapes.every((r) => r.pytorchMm === null && r.ratioMm === null));
  });
});

describe('GEMM ceiling on wasm', () => {
  it('times tf.matMul on one thread and returns a positive finite GFLOP/s', async () => {
    const tiny = { id: 'tiny', label: 'tiny', m: 64, k: 32, n: 16 };
    const r = await measureWasmGemm([tiny], 0.2, 1);
    assert.match(r.detail, /^wasm \(XNNPACK.*, 1 thread\)$/);
    const f = r.shapes.tiny;
    assert.equal(f.runs.length, 1);
    assert.ok(Number.isFinite(f.gflops) && f.gflops > 0, `GFLOP/s ${f.gflops}`);
  });
});
