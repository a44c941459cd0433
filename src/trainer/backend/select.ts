import * as tf from '@tensorflow/tfjs-core';
// Training needs the gradient functions, which tfjs-core registers only on request.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { BackendName } from '../../protocol/experiment';
import { NATIVE_PACKAGES } from '../../protocol/nativeBackend';
import { InputError } from '../errors';
import { installHint, loadNativePackage, NativePackageMissing } from './nativePackage';
import { registerFastGradients } from './fastGradients';
import { registerWasmTrainingKernels } from './wasmKernels';
import { activateWebgpu } from './webgpu';

/**
 * Picks the compute backend for this process. 'auto' takes the first that loads, in order of
 * speed: tfjs-node-gpu, tfjs-node (optional native packages, looked for in the folder named by
 * SKD_TFJS_NODE_PATH and then beside SKD Lab: nativePackage.ts), wasm (XNNPACK, with SKD Lab's
 * training kernels), and the pure-JS cpu backend. Logging the choice is the caller's job;
 * `detail` says what was chosen in words.
 *
 * 'webgpu' (Dawn for Node on the machine's Vulkan GPU) is measured by `skd bench` but is not an
 * experiment's backend: on the networks SKD Lab trains it was slower than wasm even on an H100
 * (README, "GPU"), and the trainer reads tensors synchronously, which tf.js's webgpu backend
 * cannot do under Node.
 */

export interface SelectedBackend {
  /** The tf.js backend name now active ('tensorflow', 'wasm', 'cpu'). */
  name: string;
  /** For people: e.g. "wasm (XNNPACK, SIMD, 1 thread)". */
  detail: string;
}

export const AUTO_ORDER: readonly Exclude<BackendName, 'auto'>[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

/** Every backend a process can select by name: the experiment's, and webgpu for the benchmark. */
export type ComputeBackend = Exclude<BackendName, 'auto'> | 'webgpu';

/** What `skd bench` measures by default. */
export const BENCH_BACKENDS: readonly ComputeBackend[] = ['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'];

/** `require` that esbuild leaves alone, so that absent optional packages fail only at run time. */
function optionalRequire(id: string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const req = (typeof require === 'function' ? require : undefined) as NodeRequire | undefined;
  if (!req) throw new Error('require is not available in this environment');
  return req(id);
}

async function activate(name: string): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tf.js could not initialise the ${name} backend`);
  await tf.ready();
}

async function useTensorflow(gpu: boolean): Promise<SelectedBackend> {
  const pkg = gpu ? NATIVE_PACKAGES.gpu : NATIVE_PACKAGES.cpu;
  let from: string;
  try {
    // The package registers 'tensorflow' in tf.js's engine, which every copy of tfjs-core
    // shares through a global, so the bundle's tfjs-core can activate it.
    from = loadNativePackage(pkg).from;
  } catch (e) {
    if (e instanceof NativePackageMissing) throw e;
    throw new Error(`${pkg} failed to load (${firstLine(e)})`);
  }
  await activate('tensorflow');
  return { name: 'tensorflow', detail: `tensorflow (${pkg}${gpu ? ', CUDA' : ', CPU'}, from ${from})` };
}

async function useWasm(): Promise<SelectedBackend> {
  // The package registers the 'wasm' backend when loaded. esbuild bundles it (a literal
  // require), so it shares the bundle's one tfjs-core: loaded from node_modules it brought a
  // second tfjs-core ("Platform node has already been set"). Its .wasm files are copied beside
  // the bundles (esbuild.mjs), where its Emscripten loader looks (`__dirname`).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const wasm = require('@tensorflow/tfjs-backend-wasm') as { getThreadsCount?: () => number };
  await activate('wasm');
  registerWasmTrainingKernels();
  registerFastGradients();
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = typeof wasm.getThreadsCount === 'function' ? wasm.getThreadsCount() : 1;
  return { name: 'wasm', detail: `wasm (XNNPACK${simd ? ', SIMD' : ''}, ${threads} thread${threads === 1 ? '' : 's'})` };
}

/**
 * A software adapter (Mesa's llvmpipe) only with SKD_WEBGPU_SOFTWARE=1: there a training step
 * never completed (Mesa 22.3, OpenGL ES compatibility mode), so a benchmark must not wait on it.
 */
async function useWebgpu(): Promise<SelectedBackend> {
  const choice = await activateWebgpu(optionalRequire, { allowSoftware: process.env.SKD_WEBGPU_SOFTWARE === '1' });
  return { name: 'webgpu', detail: choice.detail };
}

async function useCpu(): Promise<SelectedBackend> {
  // Bundled (a literal require), for the same reason as the wasm backend: one tfjs-core.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('@tensorflow/tfjs-backend-cpu');
  await activate('cpu');
  return { name: 'cpu', detail: 'cpu (pure JavaScript, slow)' };
}

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split('\n')[0];
}

const LOADERS: Record<ComputeBackend, () => Promise<SelectedBackend>> = {
  'tensorflow-gpu': () => useTensorflow(true),
  tensorflow: () => useTensorflow(false),
  webgpu: useWebgpu,
  wasm: useWasm,
  cpu: useCpu,
};

/** Where a backend's name came from, for an error that names it: the experiment file and field. */
export interface BackendSource {
  file: string;
  field: string;
}

/**
 * Activates `name`, or for 'auto' the fastest that loads. A named backend that cannot load is an
 * error that says why (an InputError naming `source` when given, with how to install a missing
 * native package); 'auto' falls through and its error lists every failure.
 */
export async function selectBackend(name: BackendName | 'webgpu', source?: BackendSource): Promise<SelectedBackend> {
  if (name !== 'auto') {
    const load = LOADERS[name];
    if (!load) throw new Error(`unknown backend "${String(name)}" (expected one of auto, ${BENCH_BACKENDS.join(', ')})`);
    try {
      return await load();
    } catch (e) {
      const reason = e instanceof NativePackageMissing ? `${firstLine(e)}: ${installHint(e.pkg)}` : firstLine(e);
      if (source) throw new InputError(source.file, source.field, `"${name}" is not available: ${reason}`);
      throw new Error(`backend "${name}" is not available: ${reason}`);
    }
  }
  const failures: string[] = [];
  for (const candidate of AUTO_ORDER) {
    try {
      return await LOADERS[candidate]();
    } catch (e) {
      failures.push(`${candidate}: ${firstLine(e)}`);
    }
  }
  throw new Error(`no compute backend could be loaded (${failures.join('; ')})`);
}
