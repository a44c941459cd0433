import * as tf from '@tensorflow/tfjs-core';

/**
 * The GPU route that installs from npm alone: Dawn for Node (the optional `webgpu` package, which
 * ships its native build for each platform) under tf.js's webgpu backend. Dawn drives the
 * machine's Vulkan driver (NVIDIA, AMD, Intel); where none is usable it can still offer an
 * OpenGL ES adapter through EGL in WebGPU's compatibility mode, which on a server without a GPU
 * is Mesa's llvmpipe: correct and useful for tests, far too slow to train on.
 *
 * tf.js's own registration asks `navigator.gpu` for the default adapter when the package loads;
 * SKD Lab picks the adapter itself (hardware first, software only when allowed) and registers
 * the backend on that device, so the choice is explicit and can be logged.
 */

/** The subset of the WebGPU API used here (Dawn implements all of it). */
interface GpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter?: boolean;
}
interface GpuAdapter {
  info: GpuAdapterInfo;
  limits: Record<string, number>;
  isFallbackAdapter?: boolean;
  requestDevice(descriptor: { requiredLimits?: Record<string, number> }): Promise<{ destroy(): void }>;
}
interface Gpu {
  requestAdapter(options?: { powerPreference?: string; featureLevel?: string }): Promise<GpuAdapter | null>;
}
interface DawnModule {
  create(flags: string[]): Gpu;
  globals: Record<string, unknown>;
}
interface WebgpuBackendModule {
  WebGPUBackend: new (device: unknown, adapterInfo: GpuAdapterInfo) => tf.KernelBackend;
}

export interface WebgpuChoice {
  /** For people: "webgpu (Dawn, Vulkan, NVIDIA H100 80GB HBM3)". */
  detail: string;
  /** A CPU rasteriser (llvmpipe, SwiftShader) rather than a GPU. */
  software: boolean;
}

/** The limits tf.js's webgpu backend asks for, raised to what the adapter offers. */
const LIMITS = [
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupSizeX',
  'maxComputeInvocationsPerWorkgroup',
];

const SOFTWARE = /llvmpipe|lavapipe|softpipe|swiftshader|software/i;

export function isSoftwareAdapter(info: GpuAdapterInfo, fallback = false): boolean {
  return fallback || info.isFallbackAdapter === true || SOFTWARE.test(`${info.vendor} ${info.device} ${info.description} ${info.architecture}`);
}

export function describeAdapter(info: GpuAdapterInfo, mode: string): string {
  const name = [info.description, info.device, info.vendor].find((s) => s && s.trim()) ?? 'unknown adapter';
  return `webgpu (Dawn, ${mode}, ${name.trim()})`;
}

/**
 * Finds an adapter, registers tf.js's webgpu backend on it (once per process) and activates it.
 * `load` is the caller's `require` for the optional packages, so that bundles leave them external.
 */
export async function activateWebgpu(
  load: (id: string) => unknown,
  opts: { allowSoftware: boolean },
): Promise<WebgpuChoice> {
  // One Dawn instance and device per process: a second one beside (or after) the first
  // crashed the process on NVIDIA's driver. Selecting webgpu again reactivates the first.
  registered ??= registerWebgpu(load, opts);
  const choice = await registered.catch((e: unknown) => {
    registered = null;
    throw e;
  });
  const ok = await tf.setBackend('webgpu');
  if (!ok) throw new Error('tf.js could not initialise the webgpu backend');
  await tf.ready();
  return choice;
}

let registered: Promise<WebgpuChoice> | null = null;

async function registerWebgpu(load: (id: string) => unknown, opts: { allowSoftware: boolean }): Promise<WebgpuChoice> {
  const dawn = load('webgpu') as DawnModule;
  const backendModule = load('@tensorflow/tfjs-backend-webgpu') as WebgpuBackendModule;
  // tf.js reads the WebGPU enums (GPUBufferUsage, GPUMapMode, ...) as globals, as in a browser.
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create([]);
  let adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  let mode = 'Vulkan';
  if ((!adapter || isSoftwareAdapter(adapter.info, adapter.isFallbackAdapter)) && opts.allowSoftware) {
    // Without a usable Vulkan device, Dawn's OpenGL ES backend (compatibility mode) on EGL
    // without a display: Mesa needs to be told there is no window system.
    process.env.EGL_PLATFORM ??= 'surfaceless';
    const gl = adapter ?? (await dawn.create(['backend=opengles']).requestAdapter({ featureLevel: 'compatibility' }));
    if (gl && !adapter) mode = 'OpenGL ES, compatibility mode';
    adapter = gl;
  }
  if (!adapter) throw new Error('Dawn found no WebGPU adapter (no Vulkan GPU driver is installed or usable)');
  const software = isSoftwareAdapter(adapter.info, adapter.isFallbackAdapter);
  if (software && !opts.allowSoftware) {
    throw new Error(`the only WebGPU adapter is a software rasteriser (${describeAdapter(adapter.info, mode)}); name backend "webgpu" to use it anyway`);
  }
  const requiredLimits: Record<string, number> = {};
  for (const k of LIMITS) if (typeof adapter.limits[k] === 'number') requiredLimits[k] = adapter.limits[k];
  const device = await adapter.requestDevice({ requiredLimits });
  // Validation errors would otherwise pass silently and leave a result that never arrives.
  (device as unknown as { onuncapturederror: (e: { error?: { message?: string } }) => void }).onuncapturederror = (e) =>
    process.stderr.write(`webgpu: ${e.error?.message ?? 'device error'}\n`);
  // The backend's constructor checks for navigator.gpu, which Node 20 does not have.
  const nav = ((globalThis as { navigator?: object }).navigator ??= {}) as { gpu?: Gpu };
  if (!nav.gpu) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  const info = adapter.info;
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new backendModule.WebGPUBackend(device, info));
  return { detail: `${describeAdapter(info, mode)}${software ? ', software' : ''}`, software };
}
