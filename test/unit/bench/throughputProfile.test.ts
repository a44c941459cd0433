import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import type { BenchNetwork } from '../../../src/trainer/bench/throughputNetworks';
import { profileOnBackend } from '../../../src/trainer/bench/throughputProfile';
import { OP_KINDS, type StepProfile } from '../../../src/trainer/bench/throughputProfileTable';

const PYTHON = '/usr/bin/python3';
const hasTorch = fs.existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const PEER = path.resolve(__dirname, '..', '..', '..', 'bench', 'pytorch_peer.py');

// The smallest network: a width-2 CNN student at batch 16 keeps a profiled step to milliseconds.
const NET: BenchNetwork = { id: 'tiny', label: 'tiny cnn', spec: { model: 'cnn', width: 2, epochs: 1 }, input: [28, 28, 1] };
const sum = (xs: (number | undefined)[]) => xs.reduce<number>((a, b) => a + (b ?? 0), 0);

describe('profiling a training step', () => {
  it('attributes every wasm kernel to a layer and direction, the loss, the tape walk or the update', async () => {
    const p = await profileOnBackend(NET, 'wasm', { batch: 16, seconds: 0.3, repeats: 1 });
    for (const kind of ['conv2d fwd', 'conv2d bwd', 'batchnorm fwd', 'batchnorm bwd', 'relu bwd', 'pooling fwd', 'pooling bwd', 'matmul (dense) fwd', 'softmax / loss fwd', 'optimizer update'] as const) {
      assert.ok((p.kernelMs[kind] ?? 0) > 0, `${kind}: ${p.kernelMs[kind]}`);
    }
    assert.equal(p.kernelMs['other kernels'], undefined, 'no kernel ran outside a known place');
    assert.ok((p.detailMs['conv2d bwd']?.['backprop-filter'] ?? 0) > 0);
    assert.ok((p.detailMs['conv2d bwd']?.['backprop-input'] ?? 0) > 0);
    // With one profiled step the per-layer figures add up to the per-kind ones.
    const layered = sum(p.layers.flatMap((l) => [l.fwdMs, l.bwdMs]));
    const total = sum(Object.values(p.kernelMs));
    const outsideLayers = sum([p.kernelMs['gradient accumulation'], p.kernelMs['optimizer update']]);
    assert.ok(Math.abs(layered + outsideLayers - total) < 1e-2, `${layered} + ${outsideLayers} != ${total}`);
    const convs = p.layers.filter((l) => l.type === 'Conv2D');
    assert.equal(convs.length, 3);
    assert.ok(convs.every((l) => l.fwdMs > 0 && l.bwdMs > 0));
    assert.ok(p.stepMs > 0 && p.kernelCalls > 50);
    assert.ok('tf.js dispatch' in p.betweenParts && 'tape recording' in p.betweenParts && 'loss read (data())' in p.betweenParts);
    // The wrappers are gone: the engine's methods are its prototype's again.
    const engine = tf.engine() as unknown as Record<string, unknown>;
    assert.equal(Object.prototype.hasOwnProperty.call(engine, 'runKernelFunc'), false);
    assert.equal(Object.prototype.hasOwnProperty.call(engine, 'addTapeNode'), false);
  });

  it('gets the same op kinds from PyTorch\'s profiler on the same network', { skip: !hasTorch && 'python3-torch is not installed' }, () => {
    const r = spawnSync(PYTHON, [PEER, '--profile', JSON.stringify(NET), '--batch', '16', '--seconds', '0.2', '--repeats', '1', '--threads', '1'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const p = JSON.parse(r.stdout) as StepProfile;
    assert.equal(p.threads, 1);
    for (const kind of Object.keys(p.kernelMs)) assert.ok((OP_KINDS as readonly string[]).includes(kind), kind);
    for (const kind of ['conv2d fwd', 'conv2d bwd', 'batchnorm fwd', 'batchnorm bwd', 'pooling fwd', 'matmul (dense) fwd', 'softmax / loss fwd', 'optimizer update']) {
      assert.ok((p.kernelMs[kind as keyof StepProfile['kernelMs']] ?? 0) > 0, kind);
    }
    assert.equal(p.kernelMs['other kernels'], undefined, 'every op ran in a layer, the loss, the tape walk or the update');
    assert.ok('aten::convolution_backward' in (p.detailMs['conv2d bwd'] ?? {}));
    const convs = p.layers.filter((l) => l.type === 'Conv2d');
    assert.equal(convs.length, 3);
    assert.ok(convs.every((l) => l.fwdMs > 0 && l.bwdMs > 0));
  });
});
