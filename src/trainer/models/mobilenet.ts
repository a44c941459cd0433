import * as tfl from '@tensorflow/tfjs-layers';
import type { ModelSpec } from '../../protocol/experiment';
import { Builder, type Sym } from './layers';
import { finishModel, positiveInt } from './common';
import type { BuiltModel, ModelContext, ModelFamily } from './types';

/**
 * MobileNet-style student (Howard et al. 2017): a 3x3 stem, then depthwise-separable blocks
 * (3x3 depthwise + BN + ReLU, 1x1 pointwise + BN + ReLU) in three stages of widths w, 2w, 4w,
 * the second and third starting with stride 2. `depth` is the number of blocks per stage.
 */
export const mobilenet: ModelFamily = {
  name: 'mobilenet',
  build(spec: ModelSpec, ctx: ModelContext): BuiltModel {
    const blocks = positiveInt(spec.depth ?? 1, ctx, 'depth', 1, 8);
    const w = positiveInt(spec.width ?? 8, ctx, 'width', 1, 512);
    const b = new Builder(ctx.seed, ctx.field);
    const input = tfl.input({ shape: ctx.inputShape, name: `${ctx.field}_input` });
    let x = b.convBnRelu(input, w, 3, 1, 'stem');
    const taps: Sym[] = [];
    for (let s = 0; s < 3; s++) {
      for (let i = 0; i < blocks; i++) {
        x = separable(b, x, w << s, s > 0 && i === 0 ? 2 : 1, `s${s + 1}b${i + 1}`);
      }
      taps.push(x);
    }
    const logits = b.dense(b.globalPool(x, 'gap'), ctx.numClasses, 'fc');
    return finishModel(input, logits, taps, ['stage1', 'stage2', 'stage3'], ctx);
  },
};

function separable(b: Builder, x: Sym, filters: number, stride: number, n: string): Sym {
  const y = b.relu(b.bn(b.depthwise(x, 3, stride, `${n}_dw`), `${n}_dw_bn`), `${n}_dw_relu`);
  return b.convBnRelu(y, filters, 1, 1, `${n}_pw`);
}
