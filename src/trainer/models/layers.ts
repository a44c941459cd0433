import * as tfl from '@tensorflow/tfjs-layers';
import { Rng } from '../util/rng';

/**
 * Building blocks shared by the model families. Every layer gets an explicit name (so saved
 * models and exports read well) and a seeded initializer (so the same seed gives the same
 * initial weights). Only layers the exporters know are used here: Conv2D, DepthwiseConv2D,
 * BatchNormalization, ReLU, Add, MaxPooling2D, GlobalAveragePooling2D, Dense.
 */
export type Sym = tfl.SymbolicTensor;

export class Builder {
  private readonly rng: Rng;

  constructor(seed: number, readonly prefix: string) {
    this.rng = Rng.derive(seed, 'init', prefix);
  }

  private name(n: string): string {
    return `${this.prefix}_${n}`;
  }

  conv(x: Sym, filters: number, kernel: number, stride: number, n: string): Sym {
    return tfl.layers
      .conv2d({
        filters,
        kernelSize: kernel,
        strides: stride,
        padding: 'same',
        useBias: false,
        kernelInitializer: tfl.initializers.heNormal({ seed: this.rng.seed() }),
        name: this.name(n),
      })
      .apply(x) as Sym;
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
    return tfl.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5, name: this.name(n) }).apply(x) as Sym;
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
