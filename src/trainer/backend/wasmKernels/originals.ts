import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';

/**
 * The wasm backend's own kernels that SKD Lab replaces but still falls back to for the cases its
 * replacement does not cover (other dtypes, other axes, other pool sizes). Remembered at the
 * first registration, before anything is unregistered, so that registering again keeps them.
 */
const originals = new Map<string, KernelFunc>();

export function rememberOriginal(kernelName: string): void {
  if (originals.has(kernelName)) return;
  const kernel = tf.getKernel(kernelName, 'wasm');
  if (kernel) originals.set(kernelName, kernel.kernelFunc);
}

/** The wasm backend's kernel of that name as it was before SKD Lab replaced it. */
export function original(kernelName: string): KernelFunc {
  const fn = originals.get(kernelName);
  if (!fn) throw new Error(`the wasm backend has no original ${kernelName} kernel to fall back to`);
  return fn;
}

export interface WasmKernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
}

/** A replacement kernel that calls `fast` and, where that returns null, the original kernel. */
export function withFallback(kernelName: string, fast: (args: WasmKernelArgs) => tf.TensorInfo | null): KernelConfig {
  const kernelFunc: KernelFunc = (args) => fast(args as WasmKernelArgs) ?? original(kernelName)(args);
  return { kernelName, backendName: 'wasm', kernelFunc };
}

/** Registers the remembered original kernels again under these names (for A/B measurements and tests). */
export function restoreOriginalKernels(kernelNames: readonly string[]): void {
  for (const kernelName of kernelNames) {
    const kernelFunc = original(kernelName);
    if (tf.getKernel(kernelName, 'wasm')) tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
  }
}
