import * as tf from '@tensorflow/tfjs-core';
import { variableSlots, type WeightSlot } from './weights';

/**
 * SGD with momentum and L2 weight decay (PyTorch's convention: d = g + wd * w; v = m * v + d;
 * w -= lr * v). Decay applies to convolution and dense kernels, not to biases or batch-norm
 * parameters. The momentum buffers are part of every checkpoint, so a resumed run continues
 * exactly where it stopped.
 */
export class Sgd {
  private readonly buffers: tf.Variable[];
  private readonly decay: boolean[];

  constructor(
    readonly vars: tf.Variable[],
    private readonly momentum: number,
    private readonly weightDecay: number,
    decayNames: (name: string) => boolean = (n) => /kernel/.test(n),
  ) {
    this.buffers = tf.tidy(() => vars.map((v) => tf.variable(tf.zerosLike(v), false)));
    this.decay = vars.map((v) => decayNames(v.name));
  }

  apply(grads: tf.NamedTensorMap | tf.Tensor[], lr: number): void {
    tf.tidy(() => {
      for (let i = 0; i < this.vars.length; i++) {
        const v = this.vars[i];
        const g = Array.isArray(grads) ? grads[i] : grads[v.name];
        if (!g) continue;
        const d = this.decay[i] && this.weightDecay > 0 ? tf.add(g, tf.mul(v, this.weightDecay)) : g;
        const buf = this.buffers[i];
        const next = this.momentum > 0 ? tf.add(tf.mul(buf, this.momentum), d) : d;
        if (this.momentum > 0) buf.assign(next);
        v.assign(tf.sub(v, tf.mul(next, lr)));
      }
    });
  }

  slots(prefix: string): WeightSlot[] {
    return variableSlots(this.buffers, prefix);
  }

  dispose(): void {
    this.buffers.forEach((b) => b.dispose());
  }
}
