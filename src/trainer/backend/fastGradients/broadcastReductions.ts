import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, NamedAttrMap } from '@tensorflow/tfjs-core';

/**
 * Gradients of Sum and Mean as one Tile of dy (divided by the count for Mean) to x's shape.
 * tfjs-core's multiply dy by a tensor of ones made to x's shape (and for Mean divide the result
 * again): three full-size passes where the Tile is one block copy (with SKD Lab's wasm Tile).
 * Every training-mode batch norm takes two means over the activation (tf.moments).
 */
function expanded(dy: tf.Tensor, x: tf.Tensor, axis: number | number[]): { dy: tf.Tensor; reps: number[] } {
  const axes = tf.util.parseAxisParam(axis, x.shape);
  const shape = x.shape.slice();
  const reps = x.shape.map(() => 1);
  for (const a of axes) {
    shape[a] = 1;
    reps[a] = x.shape[a];
  }
  return { dy: tf.reshape(dy, shape), reps };
}

function broadcastGrad(kernelName: string, divide: boolean): GradConfig {
  return {
    kernelName,
    inputsToSave: ['x'],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: NamedAttrMap) => {
      const [x] = saved;
      const { axis } = attrs as unknown as tf.SumAttrs;
      return {
        x: () => {
          const e = expanded(tf.cast(dy as tf.Tensor, 'float32'), x, axis);
          const count = e.reps.reduce((a, b) => a * b, 1);
          const scaled = divide ? tf.div(e.dy, count) : e.dy;
          return e.reps.every((r) => r === 1) ? tf.clone(scaled) : tf.tile(scaled, e.reps);
        },
      };
    },
  };
}

export const sumGradConfig: GradConfig = broadcastGrad(tf.Sum, false);
export const meanGradConfig: GradConfig = broadcastGrad(tf.Mean, true);
