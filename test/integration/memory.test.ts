/**
 * No tensor leaks in the training loop: `tf.memory().numTensors`, read at every epoch event,
 * is flat across the epochs of each network (after the first, which creates the optimizer's
 * momentum slots).
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { runExperiment } from '../../src/trainer/engine/run';
import { tempDir, tinyExperiment, writeExperiment } from '../helpers/experiment';

const tmp = tempDir('skd-memory-');
after(tmp.cleanup);

describe('tensor memory across epochs', () => {
  for (const method of ['skd', 'fitnet'] as const) {
    it(`${method}: numTensors is flat across the teacher's and the student's epochs`, async () => {
      const name = `memory-${method}`;
      const file = writeExperiment(
        tmp.dir,
        name,
        tinyExperiment({
          name,
          data: { format: 'builtin', name: 'fashion-mnist-mini', limit: { train: 200, test: 50 } },
          teacher: { model: 'cnn', width: 4, epochs: 4 },
          student: { model: 'cnn', width: 4, epochs: 4 },
          method: { name: method, stages: 2, tbt: { epochs: 2 }, tet: { epochs: 2 } },
        }),
      );
      const counts: Record<string, number[]> = { teacher: [], alone: [], student: [] };
      const outcome = await runExperiment(file, {
        outDir: path.join(tmp.dir, 'runs'),
        // Every phase in this thread, whose tensors are the ones counted.
        aloneBeside: false,
        onEvent: (e) => {
          if (e.type === 'epoch') counts[e.network].push(tf.memory().numTensors);
        },
      });
      assert.equal(outcome.state, 'done');
      for (const network of ['teacher', 'alone', 'student']) {
        const c = counts[network];
        assert.equal(c.length, 4, `${network}: one count per epoch`);
        assert.deepEqual(c.slice(1), new Array(3).fill(c[1]), `${network}: tensors per epoch ${c.join(', ')}`);
      }
    });
  }
});
