import type * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { ModelSpec } from '../../protocol/experiment';

/**
 * A built network. `model` maps an NHWC image batch to `[logits, ...taps]`: the logits first,
 * then one feature map per named hidden-layer tap (the outputs of its stages), which
 * feature-based methods (FitNet, AT, SKD's behaviour term) read.
 */
export interface BuiltModel {
  model: LayersModel;
  /** Names of the taps, in the order of the model's outputs after the logits. */
  taps: string[];
  /** Channels of each tap. */
  tapChannels: number[];
  params: number;
}

export interface ModelContext {
  inputShape: [number, number, number];
  numClasses: number;
  seed: number;
  experimentFile: string;
  field: string;
}

/** A model family plugin. */
export interface ModelFamily {
  readonly name: string;
  build(spec: ModelSpec, ctx: ModelContext): BuiltModel;
}

export type Tensor = tf.Tensor;
