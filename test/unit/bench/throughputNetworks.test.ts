import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import '@tensorflow/tfjs-backend-cpu';
import { benchNetworks, selectNetworks } from '../../../src/trainer/bench/throughputNetworks';
import { buildModel } from '../../../src/trainer/models';
import { isInputError } from '../../../src/trainer/errors';

const PYTHON = '/usr/bin/python3';
const hasTorch = fs.existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const PEER = path.resolve(__dirname, '..', '..', '..', 'bench', 'pytorch_peer.py');

const nets = benchNetworks({ student: { model: 'cnn', width: 6, epochs: 1 }, teacher: { model: 'resnet', depth: 8, width: 8, epochs: 1 } });

/**
 * Trainable parameters counted by hand: a 3x3 conv from a to b channels has 9ab weights (no
 * bias), batch norm 2 per channel (gamma, beta; the moving statistics do not train), a 1x1
 * projection ab, a depthwise 3x3 conv 9a, the dense layer 10c + 10.
 */
const HAND: Record<string, number> = {
  // conv 1->6 (54) + bn 12; conv 6->12 (648) + 24; conv 12->24 (2592) + 48; dense 24*10 + 10
  student: 54 + 12 + 648 + 24 + 2592 + 48 + 250,
  // stem 1->8 (72) + 16; stage 1: 2 x (576 + 16); stage 2: 8->16 (1152) + 32, 16->16 (2304) + 32, proj 128 + 32;
  // stage 3: 16->32 (4608) + 64, 32->32 (9216) + 64, proj 512 + 64; dense 330
  teacher: 88 + 1184 + 3680 + 14528 + 330,
  // stem 72 + 16; three stages of depthwise (9a) + bn (2a) + pointwise (ab) + bn (2b): 8->8, 8->16, 16->32; dense 330
  mobilenet: 88 + (72 + 16 + 64 + 16) + (72 + 16 + 128 + 32) + (144 + 32 + 512 + 64) + 330,
  // stem 3->16 (432) + 32; stage 1: 3 blocks x 2 x (2304 + 32); stage 2: (4608 + 64) + (9216 + 64) + (512 + 64)
  // + 2 blocks x 2 x (9216 + 64); stage 3: (18432 + 128) + (36864 + 128) + (2048 + 128) + 2 x 2 x (36864 + 128); dense 650
  resnet20: 464 + 3 * 2 * 2336 + (4672 + 9280 + 576 + 4 * 9280) + (18560 + 36992 + 2176 + 4 * 36992) + 650,
  // the same at width 8: stem 216 + 16; 3 x 2 x (576 + 16); (1152 + 32) + (2304 + 32) + (128 + 32) + 4 x (2304 + 32);
  // (4608 + 64) + (9216 + 64) + (512 + 64) + 4 x (9216 + 64); dense 330
  'resnet20-w8': 232 + 6 * 592 + (1184 + 2336 + 160 + 4 * 2336) + (4672 + 9280 + 576 + 4 * 9280) + 330,
};

describe('the benchmark networks', () => {
  it('are the default pair, the MobileNet student and the CIFAR ResNet-20 pair (width 16 and 8, both depth 20)', () => {
    assert.deepEqual(
      nets.map((n) => n.id),
      ['student', 'teacher', 'mobilenet', 'resnet20', 'resnet20-w8'],
    );
    const byId = Object.fromEntries(nets.map((n) => [n.id, n]));
    assert.deepEqual(byId.resnet20.input, [32, 32, 3]);
    assert.deepEqual(byId['resnet20-w8'].spec, { model: 'resnet', depth: 20, width: 8, epochs: 1 });
    assert.deepEqual(byId.mobilenet.input, [28, 28, 1]);
    assert.equal(HAND.resnet20, 272474); // the figure ResNet-20 papers give (0.27M)
  });

  it('have the parameter counts worked out by hand', () => {
    for (const n of nets) {
      const built = buildModel(n.spec, { inputShape: n.input, numClasses: 10, seed: 1, experimentFile: 'test', field: 'net' });
      built.model.dispose();
      assert.equal(built.params, HAND[n.id], n.id);
    }
  });

  it('are built by the PyTorch peer with the same counts', { skip: !hasTorch && 'python3-torch is not installed' }, () => {
    const specs = nets.map((n) => ({ ...n.spec, input: n.input }));
    const r = spawnSync(PYTHON, [PEER, '--params', JSON.stringify(specs)], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), nets.map((n) => HAND[n.id]));
  });

  it('are chosen by id with --networks, and an unknown id is an error naming the option', () => {
    assert.deepEqual(
      selectNetworks(nets, 'resnet20, student,resnet20').map((n) => n.id),
      ['resnet20', 'student'],
    );
    assert.equal(selectNetworks(nets, undefined).length, 5);
    assert.throws(
      () => selectNetworks(nets, 'student,vgg'),
      (e: unknown) => isInputError(e) && /--networks/.test(String(e)) && /unknown network "vgg"/.test(String(e)),
    );
  });
});
