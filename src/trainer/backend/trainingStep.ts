import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { crossEntropy } from '../methods/losses';

/**
 * The plain supervised training step (cross-entropy on the logits, the model's first output)
 * that the throughput benchmark times and the backend tests compare between backends. Batch
 * norm runs in training mode, so its moving statistics update as in a real run.
 */

export interface LossAndGrads {
  loss: tf.Scalar;
  /** One gradient per trainable weight, in `model.trainableWeights` order. */
  grads: tf.Tensor[];
}

export function lossAndGrads(model: LayersModel, x: tf.Tensor4D, oneHot: tf.Tensor2D): LossAndGrads {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(() => {
    const out = model.apply(x, { training: true });
    const logits = (Array.isArray(out) ? out[0] : out) as tf.Tensor2D;
    return crossEntropy(logits, oneHot);
  }, vars);
  return { loss: value, grads: vars.map((v) => grads[v.name]) };
}

/**
 * One SGD step (no momentum: the benchmark times the network, not the optimizer). The loss is
 * read asynchronously, which also waits for the step on a GPU backend (webgpu cannot read
 * synchronously under Node).
 */
export async function sgdStep(model: LayersModel, x: tf.Tensor4D, oneHot: tf.Tensor2D, lr: number): Promise<number> {
  const loss = tf.tidy(() => {
    const { loss, grads } = lossAndGrads(model, x, oneHot);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    vars.forEach((v, i) => v.assign(tf.sub(v, tf.mul(grads[i], lr))));
    return loss;
  });
  const value = (await loss.data())[0];
  loss.dispose();
  return value;
}
