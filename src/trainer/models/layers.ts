import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { BATCH_NORM_TRAINING, batchNormTrainingAvailable } from '../backend/wasmKernels/batchNormTraining';
import { Rng } from '../util/rng';

/**
 * Building blocks shared by the model families. Every layer gets an explicit name (so saved
 * models and exports read well) and a seeded initializer (so the same seed gives the same
 * initial weights). Only layers the exporters know are used here: Conv2D, DepthwiseConv2D,
 * BatchNormalization, ReLU, Add, MaxPooling2D, GlobalAveragePooling2D, Dense.
 */
export type Sym = tfl.SymbolicTensor;

/**
 * A convolution that reads the network's input (the images) computes no gradient for it. The
 * layers API convolves with tf.fused.conv2d, whose custom gradient computes the input's gradient
 * with the filter's whatever is asked: for the first layer that is wasted work (the default
 * student's input gradients took 3.5 ms a step on wasm with it, 1.8 without, `skd bench --profile`).
 * tf.conv2d's registered gradient is pruned by the
 * tape instead. Same kernel, same values; only this layer instance's call changes, so saved
 * models and exports still see a plain Conv2D (no bias, no activation: what Builder.conv makes).
 */
function withoutInputGradient(layer: tfl.layers.Layer, stride: number): void {
  const weights = layer as unknown as { kernel: { read(): tf.Tensor4D } };
  layer.call = (inputs) =>
    tf.tidy(() => tf.conv2d((Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D, weights.kernel.read(), stride, 'same'));
}

/**
 * Batch norm in training mode through SKD Lab's own kernel where the backend has it (wasm with
 * SIMD128, backend/wasmKernels/batchNormTraining.ts): the same statistics, normalisation and
 * moving averages as the layers API's own training branch (normalizeBatchInTraining, then
 * moving = moving - (moving - batch) * (1 - momentum)), in five full-size passes instead of some
 * fifteen. Inference, and every other backend, take the layer's own call; saved models and
 * exports see a plain BatchNormalization.
 */
function withFastTraining(layer: tfl.layers.Layer, epsilon: number): void {
  const own = layer.call.bind(layer);
  const vars = layer as unknown as Record<'gamma' | 'beta' | 'movingMean' | 'movingVariance', tfl.LayerVariable>;
  // Read at each call, as the layer's own branch does, so that engine/preciseBn.ts can average.
  const bn = layer as unknown as { momentum: number };
  layer.call = (inputs, kwargs) => {
    if (!kwargs['training'] || !batchNormTrainingAvailable()) return own(inputs, kwargs);
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const [y, mean, variance] = tf.engine().runKernel(
        BATCH_NORM_TRAINING,
        { x, scale: vars.gamma.read(), offset: vars.beta.read() },
        { varianceEpsilon: epsilon } as unknown as tf.NamedAttrMap,
      ) as tf.Tensor[];
      for (const [moving, batch] of [
        [vars.movingMean, mean],
        [vars.movingVariance, variance],
      ] as const) {
        tf.tidy(() => {
          const old = moving.read();
          moving.write(tf.sub(old, tf.mul(tf.sub(old, batch), 1 - bn.momentum)));
        });
      }
      return y;
    });
  };
}

export class Builder {
  private readonly rng: Rng;

  constructor(seed: number, readonly prefix: string) {
    this.rng = Rng.derive(seed, 'init', prefix);
  }

  private name(n: string): string {
    return `${this.prefix}_${n}`;
  }

  conv(x: Sym, filters: number, kernel: number, stride: number, n: string): Sym {
    const layer = tfl.layers.conv2d({
      filters,
      kernelSize: kernel,
      strides: stride,
      padding: 'same',
      useBias: false,
      kernelInitializer: tfl.initializers.heNormal({ seed: this.rng.seed() }),
      name: this.name(n),
    });
    if (x.sourceLayer.getClassName() === 'InputLayer') withoutInputGradient(layer, stride);
    return layer.apply(x) as Sym;
  }

  depthwise(x: Sym, kernel: number, stride: number, n: string): Sym {
    return tfl.layers
      .depthwiseConv2d({
        kernelSize: kernel,
        strides: stride,
        padding: 'same',
        useBias: false,
        depthwiseInitializer: tfl.initializers.heNormal({ seed: this.rng.seed() }),
        name: this.name(n),
      })
      .apply(x) as Sym;
  }

  bn(x: Sym, n: string): Sym {
    const layer = tfl.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5, name: this.name(n) });
    withFastTraining(layer, 1e-5);
    return layer.apply(x) as Sym;
  }

  relu(x: Sym, n: string): Sym {
    return tfl.layers.reLU({ name: this.name(n) }).apply(x) as Sym;
  }

  /** conv -> batch norm -> relu, the unit every family is made of. */
  convBnRelu(x: Sym, filters: number, kernel: number, stride: number, n: string): Sym {
    return this.relu(this.bn(this.conv(x, filters, kernel, stride, n), `${n}_bn`), `${n}_relu`);
  }

  add(a: Sym, b: Sym, n: string): Sym {
    return tfl.layers.add({ name: this.name(n) }).apply([a, b]) as Sym;
  }

  maxPool(x: Sym, n: string): Sym {
    return tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, padding: 'same', name: this.name(n) }).apply(x) as Sym;
  }

  globalPool(x: Sym, n: string): Sym {
    return tfl.layers.globalAveragePooling2d({ name: this.name(n) }).apply(x) as Sym;
  }

  dense(x: Sym, units: number, n: string): Sym {
    return tfl.layers
      .dense({
        units,
        kernelInitializer: tfl.initializers.glorotUniform({ seed: this.rng.seed() }),
        name: this.name(n),
      })
      .apply(x) as Sym;
  }
}
