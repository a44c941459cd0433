import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import '@tensorflow/tfjs-backend-cpu';
import type { ModelSpec } from '../../../src/protocol/experiment';
import { defaultNets, formatTable, type ThroughputReport } from '../../../src/trainer/bench/throughput';
import { buildModel } from '../../../src/trainer/models';

const PYTHON = '/usr/bin/python3';
const hasTorch = fs.existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

test('the PyTorch peer builds the same networks, parameter for parameter', { skip: !hasTorch && 'python3-torch is not installed' }, () => {
  const specs: ModelSpec[] = [
    { model: 'resnet', depth: 8, width: 16, epochs: 1 },
    { model: 'resnet', depth: 14, width: 8, epochs: 1 },
    { model: 'cnn', width: 8, epochs: 1 },
    { model: 'cnn', width: 6, depth: 5, epochs: 1 },
    { model: 'mobilenet', width: 8, depth: 2, epochs: 1 },
  ];
  const script = path.resolve(__dirname, '..', '..', '..', 'bench', 'pytorch_peer.py');
  const r = spawnSync(PYTHON, [script, '--params', JSON.stringify(specs)], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const torchParams = JSON.parse(r.stdout) as number[];
  const tfjsParams = specs.map((spec) => {
    const built = buildModel(spec, { inputShape: [28, 28, 1], numClasses: 10, seed: 1, experimentFile: 'test', field: 'net' });
    built.model.dispose();
    return built.params;
  });
  assert.deepEqual(torchParams, tfjsParams);
});

test('the benchmark reads teacher and student from the default experiment, else uses a fixed pair', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'skd-bench-test-'));
  try {
    assert.equal(defaultNets(root).teacher.model, 'resnet');
    fs.mkdirSync(path.join(root, 'examples'));
    fs.writeFileSync(
      path.join(root, 'examples', 'default.skd.json'),
      '{ // comments allowed\n "teacher": {"model": "resnet", "depth": 14, "width": 8, "epochs": 2}, "student": {"model": "mobilenet", "width": 4, "epochs": 2} }',
    );
    const nets = defaultNets(root);
    assert.deepEqual(nets.teacher, { model: 'resnet', depth: 14, width: 8, epochs: 2 });
    assert.equal(nets.student.model, 'mobilenet');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('the table shows each backend, the peer and the wasm/cpu and wasm/pytorch ratios', () => {
  const report: ThroughputReport = {
    backends: { wasm: { studentTrainImagesPerSec: 600, teacherTrainImagesPerSec: 120 }, cpu: { studentTrainImagesPerSec: 6, teacherTrainImagesPerSec: 0.4 } },
    peer: { pytorch: { studentTrainImagesPerSec: 1200, teacherTrainImagesPerSec: 600 } },
    skdOverKdEpochTime: 1.2,
    machine: { batch: 64, input: [28, 28, 1], cpus: 2, cpuModel: 'test', teacher: {}, student: {} },
  };
  const table = formatTable(report);
  assert.match(table, /wasm \/ cpu\s+100\.00x\s+300\.00x/);
  assert.match(table, /wasm \/ pytorch\s+0\.50x\s+0\.20x/);
  assert.match(table, /SKD \/ KD student epoch time: 1\.2/);
});

test('the table names a GPU peer and adds the webgpu ratios when webgpu was measured', () => {
  const report: ThroughputReport = {
    backends: { webgpu: { studentTrainImagesPerSec: 1000, teacherTrainImagesPerSec: 300 }, wasm: { studentTrainImagesPerSec: 2000, teacherTrainImagesPerSec: 600 } },
    peer: { pytorch: { studentTrainImagesPerSec: 40000, teacherTrainImagesPerSec: 20000 } },
    skdOverKdEpochTime: null,
    machine: { batch: 256, input: [28, 28, 1], cpus: 16, cpuModel: 'test', teacher: {}, student: {}, pytorch: { version: '2', threads: 2, device: 'NVIDIA H100' } },
  };
  const table = formatTable(report);
  assert.match(table, /pytorch \(NVIDIA H100\)\s+40000\s+20000/);
  assert.match(table, /webgpu \/ wasm\s+0\.50x\s+0\.50x/);
  assert.match(table, /webgpu \/ pytorch\s+0\.03x\s+0\.01x/);
  assert.match(table, /batch 256/);
});

test('the PyTorch peer times the networks on the device it is given', { skip: !hasTorch && 'python3-torch is not installed' }, () => {
  const nets = JSON.stringify({ model: 'cnn', width: 2 });
  const script = path.resolve(__dirname, '..', '..', '..', 'bench', 'pytorch_peer.py');
  const ok = spawnSync(PYTHON, [script, '--teacher', nets, '--student', nets, '--batch', '8', '--seconds', '0.1', '--device', 'cpu'], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  const r = JSON.parse(ok.stdout) as { device: string; student: { steps: number } };
  assert.equal(r.device, 'cpu');
  assert.ok(r.student.steps >= 1);
  // A machine without CUDA says so instead of timing the CPU under a GPU's name.
  const gpu = spawnSync(PYTHON, [script, '--teacher', nets, '--student', nets, '--batch', '8', '--seconds', '0.1', '--device', 'cuda'], { encoding: 'utf8' });
  if (gpu.status === 0) assert.notEqual((JSON.parse(gpu.stdout) as { device: string }).device, 'cpu');
  else assert.match(gpu.stderr, /CUDA|cuda|NVIDIA/);
});

test('data-parallel wasm workers train the network on the whole batch, half each', async () => {
  const { measureDataParallel } = await import('../../../src/trainer/bench/dataParallel');
  const spec: ModelSpec = { model: 'cnn', width: 2, epochs: 1 };
  const r = await measureDataParallel(spec, 16, 0.2, 2);
  assert.equal(r.batch, 16);
  assert.ok(r.steps >= 1 && r.imagesPerSec > 0);
  const built = buildModel(spec, { inputShape: [28, 28, 1], numClasses: 10, seed: 1, experimentFile: 'test', field: 'net' });
  assert.equal(r.params, built.params);
  built.model.dispose();
});
