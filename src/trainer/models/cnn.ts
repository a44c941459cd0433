import * as tfl from '@tensorflow/tfjs-layers';
import type { ModelSpec } from '../../protocol/experiment';
import { Builder } from './layers';
import { finishModel, positiveInt } from './common';
import type { BuiltModel, ModelContext, ModelFamily } from './types';

/**
 * Small CNN student: three conv-BN-ReLU blocks of width w, 2w, 4w at full, half and quarter
 * resolution (max-pooling between), global average pooling and a dense classifier. The three
 * blocks are its taps, at the same resolutions as the ResNet teacher's stages.
 */
export const cnn: ModelFamily = {
  name: 'cnn',
  build(spec: ModelSpec, ctx: ModelContext): BuiltModel {
    const w = positiveInt(spec.width ?? 8, ctx, 'width', 1, 512);
    const extra = positiveInt(spec.depth ?? 3, ctx, 'depth', 3, 12) - 3;
    const b = new Builder(ctx.seed, ctx.field);
    const input = tfl.input({ shape: ctx.inputShape, name: `${ctx.field}_input` });
    const taps: tfl.SymbolicTensor[] = [];
    let x = input;
    for (let s = 0; s < 3; s++) {
      if (s > 0) x = b.maxPool(x, `pool${s}`);
      x = b.convBnRelu(x, w << s, 3, 1, `conv${s + 1}`);
      // Optional extra convolutions per block (depth > 3), spread over the blocks.
      for (let e = s; e < extra; e += 3) x = b.convBnRelu(x, w << s, 3, 1, `conv${s + 1}_${e}`);
      taps.push(x);
    }
    const logits = b.dense(b.globalPool(x, 'gap'), ctx.numClasses, 'fc');
    return finishModel(input, logits, taps, ['block1', 'block2', 'block3'], ctx);
  },
};
