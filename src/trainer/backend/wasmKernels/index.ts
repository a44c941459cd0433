import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { batchNormTrainingConfig, batchNormTrainingGradConfig } from './batchNormTraining';
import { addConfig, multiplyConfig, subConfig } from './channelAffine';
import { conv2DBackpropFilterConfig } from './conv2DBackpropFilter';
import { conv2DBackpropInputConfig } from './conv2DBackpropInput';
import { depthwiseConv2dNativeBackpropFilterConfig } from './depthwiseConv2dNativeBackpropFilter';
import { depthwiseConv2dNativeBackpropInputConfig } from './depthwiseConv2dNativeBackpropInput';
import { fusedBatchNormConfig } from './fusedBatchNorm';
import { maxPoolGradConfig } from './maxPoolGrad';
import { rememberOriginal } from './originals';
import { meanConfig, sumConfig } from './reduceBlock';
import { castConfig, identityConfig } from './shareData';
import { tileConfig } from './tile';

/**
 * Kernels SKD Lab supplies to the wasm backend: the three it lacks for training convolutional
 * networks, and replacements for ones it has that are too slow for training: Conv2DBackpropInput
 * (a scalar loop); Tile (an index per element); MaxPoolGrad; Sum and Mean over a block of axes
 * (they transpose first); Identity and same-dtype Cast (they copy); FusedBatchNorm (a scalar
 * loop); Multiply, Add and Sub of a large tensor and a per-channel vector (two passes where one
 * per-channel multiply-add does). From MaxPoolGrad on, each falls back to the original kernel for
 * the cases it does not cover (see originals.ts). Last, two kernels of SKD Lab's own that the
 * backend has no counterpart for: batch norm's training step and its gradient (batchNormTraining.ts).
 */
export const WASM_TRAINING_KERNELS: readonly KernelConfig[] = [
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  depthwiseConv2dNativeBackpropInputConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
  tileConfig,
  maxPoolGradConfig,
  sumConfig,
  meanConfig,
  identityConfig,
  castConfig,
  fusedBatchNormConfig,
  multiplyConfig,
  addConfig,
  subConfig,
  batchNormTrainingConfig,
  batchNormTrainingGradConfig,
];

/**
 * Registers the supplied kernels for 'wasm', replacing any registered under the same name.
 * Call after `await tf.setBackend('wasm')`; calling it again is harmless.
 */
export function registerWasmTrainingKernels(): void {
  for (const config of WASM_TRAINING_KERNELS) {
    rememberOriginal(config.kernelName);
    if (tf.getKernel(config.kernelName, 'wasm')) tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
  }
}
