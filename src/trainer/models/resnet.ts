import * as tfl from '@tensorflow/tfjs-layers';
import type { ModelSpec } from '../../protocol/experiment';
import { Builder, type Sym } from './layers';
import { finishModel, positiveInt } from './common';
import { InputError } from '../errors';
import type { BuiltModel, ModelContext, ModelFamily } from './types';

/**
 * CIFAR-style ResNet (He et al. 2016): a 3x3 stem, three stages of n basic blocks with widths
 * w, 2w, 4w (the second and third halve the resolution), global pooling and a dense layer;
 * depth = 6n + 2 (8, 14, 20, 32, 44, 56, ...). Each stage's output is a tap.
 */
export const resnet: ModelFamily = {
  name: 'resnet',
  build(spec: ModelSpec, ctx: ModelContext): BuiltModel {
    const depth = positiveInt(spec.depth ?? 20, ctx, 'depth', 8, 110);
    if ((depth - 2) % 6 !== 0) {
      throw new InputError(ctx.experimentFile, `${ctx.field}.depth`, `a ResNet's depth must be 6n+2 (8, 14, 20, 26, 32, ...), got ${depth}`);
    }
    const n = (depth - 2) / 6;
    const w = positiveInt(spec.width ?? 16, ctx, 'width', 1, 512);
    const b = new Builder(ctx.seed, ctx.field);
    const input = tfl.input({ shape: ctx.inputShape, name: `${ctx.field}_input` });
    let x = b.convBnRelu(input, w, 3, 1, 'stem');
    const taps: Sym[] = [];
    for (let s = 0; s < 3; s++) {
      for (let i = 0; i < n; i++) {
        x = basicBlock(b, x, w << s, s > 0 && i === 0 ? 2 : 1, `s${s + 1}b${i + 1}`);
      }
      taps.push(x);
    }
    const logits = b.dense(b.globalPool(x, 'gap'), ctx.numClasses, 'fc');
    return finishModel(input, logits, taps, ['stage1', 'stage2', 'stage3'], ctx);
  },
};

function basicBlock(b: Builder, x: Sym, filters: number, stride: number, n: string): Sym {
  const inChannels = x.shape[x.shape.length - 1];
  let y = b.convBnRelu(x, filters, 3, stride, `${n}_conv1`);
  y = b.bn(b.conv(y, filters, 3, 1, `${n}_conv2`), `${n}_conv2_bn`);
  // Projection shortcut (1x1 conv + BN) where the shape changes, identity otherwise.
  const shortcut = stride !== 1 || inChannels !== filters ? b.bn(b.conv(x, filters, 1, stride, `${n}_proj`), `${n}_proj_bn`) : x;
  return b.relu(b.add(y, shortcut, `${n}_add`), `${n}_relu`);
}

