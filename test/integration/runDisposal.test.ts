/**
 * A run that does not finish frees its models and its method as a finished one does: the
 * teacher, the distilled student and the method are disposed however the phases end. What a
 * run stopped in the distilled student's phase leaves behind is what one stopped in the
 * student alone's phase leaves (that phase disposes its own model and method): the stopped
 * training loop's state, never the networks around it. A failed run's method is disposed
 * (what a loop that threw mid-batch leaves is the loop's business, not counted here).
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import type { Network } from '../../src/protocol/runDir';
import { runExperiment } from '../../src/trainer/engine/run';
import { tempDir, tinyExperiment, writeExperiment } from '../helpers/experiment';

const tmp = tempDir('skd-disposal-');
after(tmp.cleanup);

const PLUGIN = path.join(__dirname, 'fixtures', 'failingMethodPlugin.js');

/** Tensors left alive by one run, stopped at the first epoch of `stopAt` when given. */
async function leftOver(name: string, method: Record<string, unknown>, stopAt?: Network): Promise<{ state: string; tensors: number }> {
  const file = writeExperiment(tmp.dir, name, tinyExperiment({ name, method }));
  const stop = { requested: false };
  const start = tf.memory().numTensors;
  let state: string;
  try {
    const outcome = await runExperiment(file, {
      outDir: path.join(tmp.dir, 'runs'),
      // The student alone in this thread, after the teacher: its tensors are counted here (beside
      // the teacher it has a thread and a tf.js of its own, freed with the thread).
      aloneBeside: false,
      stop,
      onEvent: (e) => {
        if (e.type === 'epoch' && e.network === stopAt) stop.requested = true;
      },
    });
    state = outcome.state;
  } catch (e) {
    state = `failed: ${(e as Error).message}`;
  }
  return { state, tensors: tf.memory().numTensors - start };
}

describe('a run frees its tensors however it ends', () => {
  const kd = { name: 'kd', stages: 2 };
  let stoppedAlone: { state: string; tensors: number };

  before(async () => {
    // The first run also sets up what tf.js keeps for the process (the backend), so it is not counted.
    await runExperiment(writeExperiment(tmp.dir, 'warm-up', tinyExperiment({ name: 'warm-up', method: kd })), { outDir: path.join(tmp.dir, 'runs') });
    stoppedAlone = await leftOver('stopped-alone', kd, 'alone');
  });

  it('a finished run leaves no tensor behind', async () => {
    assert.deepEqual(await leftOver('finished', kd), { state: 'done', tensors: 0 });
  });

  it('a run stopped in the distilled student phase frees the teacher, the student and the method', async () => {
    assert.equal(stoppedAlone.state, 'stopped');
    const stopped = await leftOver('stopped-student', kd, 'student');
    assert.equal(stopped.state, 'stopped');
    assert.equal(stopped.tensors, stoppedAlone.tensors, `left by a stop in the student phase: ${stopped.tensors}; in the alone phase: ${stoppedAlone.tensors}`);
  });

  it('a run whose method fails disposes the method (and the models with it)', async () => {
    const record = { created: 0, disposed: 0 };
    (globalThis as Record<symbol, unknown>)[Symbol.for('skd-lab.test.failsMidway')] = record;
    const failed = await leftOver('failed-student', { name: 'fails-midway', module: PLUGIN, stages: 2 });
    assert.match(failed.state, /^failed: fails-midway: a bug at batch 3/);
    assert.deepEqual(record, { created: 1, disposed: 1 });
  });
});
