import type { KernelBackend, TensorInfo } from '@tensorflow/tfjs-core';
import { SIMD_MODULE_BASE64 } from './simdModule';

/**
 * SKD Lab's own SIMD128 kernels (kernels.wat), instantiated on the wasm backend's own memory so
 * that they read and write the backend's tensors in place. Pointers are byte offsets into that
 * memory; see kernels.wat for each kernel's contract.
 */
export interface SimdKernels {
  convFilterGrad(
    xp: number,
    dy: number,
    out: number,
    offs: number,
    n: number,
    hp: number,
    wp: number,
    ci: number,
    oh: number,
    ow: number,
    co: number,
    sh: number,
    sw: number,
    rowBlocks: number,
    colPairs: number,
  ): void;
  maxPoolGrad2x2(x: number, dy: number, dx: number, n: number, h: number, w: number, c: number, oh: number, ow: number): void;
  laneSums(x: number, chunks: number, lanes: number, acc: number): void;
  laneCenteredSquares(x: number, center: number, chunks: number, lanes: number, acc: number): void;
  laneGradientSums(dy: number, x: number, center: number, chunks: number, lanes: number, accDy: number, accDyXc: number): void;
  laneAffine2(u: number, v: number, a: number, b: number, c: number, out: number, chunks: number, lanes: number): void;
  /** The backend's memory, to check that a kernel's reads stay inside it. */
  readonly memory: WebAssembly.Memory;
}

interface WasmBackendInternals {
  wasm?: { asm?: { memory?: unknown } };
  dataIdMap?: { get(dataId: object): { memoryOffset: number | null } | undefined };
}

const instances = new WeakMap<WebAssembly.Memory, SimdKernels | null>();
let compiled: WebAssembly.Module | null | undefined;

function compile(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(Buffer.from(SIMD_MODULE_BASE64, 'base64'));
    } catch {
      compiled = null; // a runtime without SIMD128: the callers keep their other route
    }
  }
  return compiled;
}

/** The kernels on this backend's memory, or null where the backend is not wasm or SIMD is missing. */
export function simdKernelsOf(backend: KernelBackend): SimdKernels | null {
  const memory = (backend as unknown as WasmBackendInternals).wasm?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) return null;
  if (instances.has(memory)) return instances.get(memory) ?? null;
  const module = compile();
  let kernels: SimdKernels | null = null;
  if (module) {
    try {
      const exports = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Omit<SimdKernels, 'memory'>;
      kernels = { ...exports, memory };
    } catch {
      kernels = null; // a memory the module cannot import (a threaded build's shared memory): the other routes run
    }
  }
  instances.set(memory, kernels);
  return kernels;
}

/** The byte offset of a tensor's values in the wasm backend's memory. */
export function heapOffsetOf(backend: KernelBackend, info: TensorInfo): number {
  const offset = (backend as unknown as WasmBackendInternals).dataIdMap?.get(info.dataId)?.memoryOffset;
  if (offset == null) throw new Error('a tensor of the wasm backend has no memory offset');
  return offset;
}
