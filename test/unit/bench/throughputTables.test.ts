import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emptyRuns, formatNetworksTable, summarizeNetwork, type NetworksReport } from '../../../src/trainer/bench/throughputPerCore';
import { formatLayerTable, formatProfileTable, opKind, type StepProfile } from '../../../src/trainer/bench/throughputProfileTable';
import { alignColumns, fmtRatio, median, ratio } from '../../../src/trainer/bench/throughputStats';
import type { BenchNetwork } from '../../../src/trainer/bench/throughputNetworks';

const NET: BenchNetwork = { id: 'resnet20', label: 'ResNet-20', spec: { model: 'resnet', depth: 20, width: 16, epochs: 1 }, input: [32, 32, 3] };

describe('median and ratio', () => {
  it('takes the middle of an odd count and the mean of the two middles of an even one, unsorted input', () => {
    assert.equal(median([5062, 5701, 5514]), 5514);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.ok(Number.isNaN(median([])));
  });
  it('is null, not Infinity or NaN, when a side is missing or zero', () => {
    assert.equal(ratio(5514, 9431), 5514 / 9431);
    assert.equal(ratio(1, 0), null);
    assert.equal(ratio(null, 2), null);
    assert.equal(ratio(1, undefined), null);
    assert.equal(fmtRatio(null), '-');
    assert.equal(fmtRatio(0.5847), '0.58x');
  });
  it('aligns columns: first left, the rest right, a rule under the header', () => {
    assert.equal(alignColumns([['a', 'bb'], ['ccc', 'd']]), 'a    bb\n---  --\nccc   d');
  });
});

describe('per-core figures', () => {
  it('reports medians of the repetitions and the 1-thread and 2-core ratios of the medians', () => {
    // The student figures: medians 5514 and 9431, 0.58x.
    const runs = { ...emptyRuns(), params: { skdLab: 272474, pytorch: 272474 } };
    runs.wasm1Thread.push(5701, 5514, 5062);
    runs.pytorch1Thread.push(9431, 13483, 9399);
    runs.wasmDataParallel2.push(9000, 10000, 11000);
    runs.pytorch2Threads.push(20000, 20000, 20000);
    const f = summarizeNetwork(NET, runs, true);
    assert.equal(f.wasm1Thread.imagesPerSec, 5514);
    assert.deepEqual(f.wasm1Thread.runs, [5701, 5514, 5062]);
    assert.equal(f.pytorch1Thread?.imagesPerSec, 9431);
    assert.equal(f.ratio1Thread, Math.round((5514 / 9431) * 1000) / 1000);
    assert.equal(f.ratio2Threads, 0.5);
  });
  it('leaves the 2-core columns null when they were not measured, and the ratio null without a peer', () => {
    const runs = emptyRuns();
    runs.wasm1Thread.push(100);
    const f = summarizeNetwork(NET, runs, false);
    assert.equal(f.wasmDataParallel2, null);
    assert.equal(f.pytorch1Thread, null);
    assert.equal(f.ratio1Thread, null);
    assert.equal(f.ratio2Threads, null);
  });
  it('prints one row per network with runs in brackets, and warns when PyTorch counts other parameters', () => {
    const runs = { ...emptyRuns(), params: { skdLab: 1586, pytorch: 1586 } };
    runs.wasm1Thread.push(300, 320, 310);
    runs.pytorch1Thread.push(2137, 2000, 2200);
    const other = { ...emptyRuns(), params: { skdLab: 100, pytorch: 101 } };
    other.wasm1Thread.push(50);
    const report: NetworksReport = {
      repeat: 3,
      seconds: 5,
      batch: 64,
      networks: [summarizeNetwork({ ...NET, id: 'mobilenet', label: 'MobileNet', input: [28, 28, 1] }, runs, false), summarizeNetwork(NET, other, false)],
      errors: ['PyTorch 2 threads: boom'],
    };
    const table = formatNetworksTable(report);
    assert.match(table, /median of 3/);
    assert.match(table, /mobilenet: MobileNet\s+28x28x1\s+1586\s+310 \[300 320 310\]\s+2137 \[2137 2000 2200\]\s+0\.15x/);
    assert.match(table, /100 \(PyTorch 101!\)/);
    assert.match(table, /warning: PyTorch builds resnet20 with other parameter counts/);
    assert.match(table, /not measured: PyTorch 2 threads: boom/);
  });
});

function profile(framework: string, over: Partial<StepProfile>): StepProfile {
  return {
    framework,
    threads: 1,
    network: 'student',
    batch: 64,
    stepMs: 100,
    profiledStepMs: 110,
    kernelMs: {},
    detailMs: {},
    betweenMs: 0,
    betweenParts: {},
    layers: [],
    kernelCalls: 0,
    steps: 3,
    notes: [],
    ...over,
  };
}

describe('the profile table', () => {
  it('maps tf.js layer classes and PyTorch module classes to the same op kinds', () => {
    assert.equal(opKind('Conv2D', 'bwd'), 'conv2d bwd');
    assert.equal(opKind('Conv2d', 'bwd'), 'conv2d bwd');
    assert.equal(opKind('DepthwiseConv2D', 'fwd'), 'depthwise conv2d fwd');
    assert.equal(opKind('GlobalAveragePooling2D', 'fwd'), 'pooling fwd');
    assert.equal(opKind('MaxPool2d', 'bwd'), 'pooling bwd');
    assert.equal(opKind('Dense', 'fwd'), 'matmul (dense) fwd');
    assert.equal(opKind('Linear', 'fwd'), 'matmul (dense) fwd');
    assert.equal(opKind('Flatten', 'fwd'), 'other kernels');
  });
  it('puts both sides in one table: ms, share of each step, ratio; convolution gradient halves under their row', () => {
    const skd = profile('SKD Lab wasm', {
      stepMs: 200,
      kernelMs: { 'conv2d fwd': 20, 'conv2d bwd': 60, 'batchnorm bwd': 40 },
      detailMs: { 'conv2d bwd': { 'backprop-input': 25, 'backprop-filter': 35, Conv2DBackpropInput: 25 } },
      betweenMs: 80,
      betweenParts: { 'tf.js dispatch': 30 },
    });
    const torch = profile('PyTorch 1.13', { stepMs: 100, kernelMs: { 'conv2d fwd': 10, 'conv2d bwd': 40, 'relu fwd': 5 }, betweenMs: 45 });
    const lines = formatProfileTable(skd, torch).split('\n');
    const row = (label: string) => lines.find((l) => l.trimStart().startsWith(label)) ?? '';
    assert.match(row('conv2d fwd'), /20\.0\s+10\.0%\s+10\.0\s+10\.0%\s+2\.00x$/);
    assert.match(row('conv2d bwd'), /60\.0\s+30\.0%\s+40\.0\s+40\.0%\s+1\.50x$/);
    assert.match(row('of which backprop-filter'), /35\.0\s+17\.5%\s+-\s+-\s+-$/);
    assert.match(row('relu fwd'), /^relu fwd\s+-\s+-\s+5\.0\s+5\.0%\s+-$/);
    assert.match(row('JS between kernels'), /80\.0\s+40\.0%\s+45\.0\s+45\.0%\s+1\.78x$/);
    assert.match(row('of which tf.js dispatch'), /30\.0\s+15\.0%/);
    assert.match(row('step (unprofiled)'), /200\s+100\.0%\s+100\s+100\.0%\s+2\.00x$/);
    // Kinds neither side has are left out; the raw kernel name is JSON-only.
    assert.equal(row('depthwise'), '');
    assert.equal(row('Conv2DBackpropInput'), '');
  });
  it('says so when there is no PyTorch peer, and lists the costliest layers in forward order', () => {
    const skd = profile('SKD Lab wasm', {
      kernelMs: { 'conv2d fwd': 1 },
      layers: [
        { name: 'a', type: 'Conv2D', fwdMs: 1, bwdMs: 1 },
        { name: 'b', type: 'ReLU', fwdMs: 0.1, bwdMs: 0.1 },
        { name: 'c', type: 'Conv2D', fwdMs: 3, bwdMs: 5 },
      ],
    });
    assert.match(formatProfileTable(skd, null), /no PyTorch peer/);
    const layers = formatLayerTable(skd, 2);
    assert.match(layers, /a\s+Conv2D\s+1\.0\s+1\.0\s+2\.0%\n(.*\n)?c\s+Conv2D\s+3\.0\s+5\.0\s+8\.0%/);
    assert.doesNotMatch(layers, /\bReLU\b/);
    assert.match(layers, /the 2 costliest of 3/);
  });
});
