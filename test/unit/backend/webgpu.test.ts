import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeAdapter, isSoftwareAdapter } from '../../../src/trainer/backend/webgpu';
import { selectBackend } from '../../../src/trainer/backend/select';

const info = (description: string, device = '') => ({ vendor: '', architecture: '', device, description });

test('software rasterisers are told apart from GPUs', () => {
  assert.equal(isSoftwareAdapter(info('NVIDIA: 580.159.04 580.159.4.0', 'nvidia-h100-80gb-hbm3')), false);
  assert.equal(isSoftwareAdapter(info('', 'llvmpipe (LLVM 15.0.6, 256 bits)')), true);
  assert.equal(isSoftwareAdapter(info('SwiftShader Device (Subzero)')), true);
  assert.equal(isSoftwareAdapter(info('Intel(R) UHD Graphics 620'), true), true, 'a fallback adapter is software');
});

test('the adapter is described for the log and the benchmark', () => {
  assert.equal(describeAdapter(info('NVIDIA: 580.159.04', 'nvidia-h100'), 'Vulkan'), 'webgpu (Dawn, Vulkan, NVIDIA: 580.159.04)');
  assert.equal(describeAdapter(info('', ''), 'Vulkan'), 'webgpu (Dawn, Vulkan, unknown adapter)');
});

test('webgpu either starts on a GPU or says in one line why it cannot', async () => {
  try {
    const b = await selectBackend('webgpu');
    assert.equal(b.name, 'webgpu');
    assert.match(b.detail, /^webgpu \(Dawn, /);
    assert.doesNotMatch(b.detail, /software/);
  } catch (e) {
    const message = String((e as Error).message);
    assert.match(message, /^backend "webgpu" is not available: /);
    assert.doesNotMatch(message, /\n/);
  }
});
