import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { selectBackend } from '../backend/select';
import { sgdStep } from '../backend/trainingStep';
import { crossEntropy } from '../methods/losses';
import { buildModel } from '../models';
import type { BenchNetwork } from './throughputNetworks';
import { BENCH_BATCH, BENCH_CLASSES, benchBatchOf } from './throughputMeasure';
import { kernelDetail, opKind, type LayerProfile, type OpKind, type StepProfile } from './throughputProfileTable';
import { median, round } from './throughputStats';

/**
 * Where a training step's time goes on the backend of this process (wasm for `skd bench
 * --profile`), per kernel and per layer, forward and backward, and how much of it is JavaScript
 * between kernels. Three kinds of steps are run, each several times, and medians kept:
 *  - clean steps: `sgdStep` itself, the code path the benchmark times; their wall time is the step;
 *  - profiled steps (tf.profile): kernel times, attributed to the layer and direction each kernel
 *    ran in (layer `call`s and tape-node gradients are wrapped to say so);
 *  - instrumented steps: the same step with timers on the engine's dispatch (`runKernelFunc`),
 *    tape recording (`addTapeNode`), tensor allocation and disposal outside kernels, and the
 *    phases (forward, backward, update, loss read), which split the JavaScript time into parts.
 * The instrumented and profiled steps mirror `sgdStep` (same ops in the same order) with phase
 * markers in between. The wrappers are installed for those steps only and removed afterwards.
 */

type Phase = 'fwd' | 'bwd' | 'update' | 'read';

interface Ctx {
  phase: Phase;
  layer: string;
  /** Layer class, or 'Loss' / 'Accumulate' / 'Optimizer' outside layers. */
  cls: string;
}

interface KernelRecord {
  name: string;
  kernelTimeMs: number | Promise<number>;
}

interface TapeNode {
  gradient?: (dys: tf.Tensor[]) => Record<string, () => tf.Tensor>;
}

/** The engine's internals this profiler wraps (tfjs-core 4.x). */
interface EngineInternals {
  runKernelFunc(params: unknown): unknown;
  addTapeNode(...args: unknown[]): void;
  makeTensor(...args: unknown[]): unknown;
  disposeTensor(t: unknown): void;
  state: { activeTape: TapeNode[] | null; activeProfile: { kernels: KernelRecord[] }; profiling: boolean };
}

interface Tag {
  ctx: Ctx;
  depth: number;
  /** Index range [from, to) of the kernels recorded while this one ran (nested kernels). */
  from: number;
  to: number;
}

const OUTSIDE: Ctx = { phase: 'fwd', layer: '(outside layers)', cls: 'Other' };
const LOSS: Ctx = { phase: 'fwd', layer: 'loss', cls: 'Loss' };
const ACCUMULATE: Ctx = { phase: 'bwd', layer: '(backprop)', cls: 'Accumulate' };
const UPDATE: Ctx = { phase: 'update', layer: '(optimizer)', cls: 'Optimizer' };
const READ: Ctx = { phase: 'read', layer: '(loss read)', cls: 'Read' };

/**
 * Timers and tags over one step. Installed once and left in place (replacing the engine's methods
 * again for every step would throw away V8's optimised code each time): 'off' passes straight
 * through, 'profile' tags kernels with their layer and direction, 'time' also takes wall times.
 */
class StepInstruments {
  ctx: Ctx = OUTSIDE;
  mode: 'off' | 'profile' | 'time' = 'off';
  get timing(): boolean {
    return this.mode === 'time';
  }
  private depth = 0;
  readonly tags = new Map<KernelRecord, Tag>();
  runMs: Record<Phase, number> = { fwd: 0, bwd: 0, update: 0, read: 0 };
  allocMs: Record<Phase, number> = { fwd: 0, bwd: 0, update: 0, read: 0 };
  phaseMs: Record<Phase, number> = { fwd: 0, bwd: 0, update: 0, read: 0 };
  tapeMs = 0;
  private phaseStart = 0;
  private restore: (() => void)[] = [];

  reset(mode: 'off' | 'profile' | 'time'): void {
    this.mode = mode;
    this.tags.clear();
    for (const p of ['fwd', 'bwd', 'update', 'read'] as Phase[]) {
      this.runMs[p] = 0;
      this.allocMs[p] = 0;
      this.phaseMs[p] = 0;
    }
    this.tapeMs = 0;
    this.ctx = OUTSIDE;
    this.phaseStart = performance.now();
  }

  /** Ends the current phase's clock and moves to `ctx` (a new phase when its phase differs). */
  enter(ctx: Ctx): void {
    const now = performance.now();
    if (ctx.phase !== this.ctx.phase || ctx === OUTSIDE) {
      this.phaseMs[this.ctx.phase] += now - this.phaseStart;
      this.phaseStart = now;
    }
    this.ctx = ctx;
  }

  finish(): void {
    this.phaseMs[this.ctx.phase] += performance.now() - this.phaseStart;
  }

  within<T>(ctx: Ctx, f: () => T): T {
    const prev = this.ctx;
    this.ctx = ctx;
    try {
      return f();
    } finally {
      this.ctx = prev;
    }
  }

  install(model: LayersModel): void {
    const engine = tf.engine() as unknown as EngineInternals;
    if (Object.prototype.hasOwnProperty.call(engine, 'runKernelFunc')) throw new Error('the step profiler is already installed');
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const inst = this;
    const run = engine.runKernelFunc;
    engine.runKernelFunc = function (this: EngineInternals, params: unknown): unknown {
      if (inst.mode === 'off') return run.call(this, params);
      const from = this.state.profiling ? this.state.activeProfile.kernels.length : 0;
      const t0 = inst.timing && inst.depth === 0 ? performance.now() : 0;
      const ctx = inst.ctx;
      inst.depth++;
      try {
        return run.call(this, params);
      } finally {
        inst.depth--;
        if (inst.timing && inst.depth === 0) inst.runMs[ctx.phase] += performance.now() - t0;
        if (this.state.profiling) {
          const kernels = this.state.activeProfile.kernels;
          // The last record is this call's own (the engine pushes it when the kernel ends).
          if (kernels.length > from) inst.tags.set(kernels[kernels.length - 1], { ctx, depth: inst.depth, from, to: kernels.length - 1 });
        }
      }
    };
    const addTapeNode = engine.addTapeNode;
    engine.addTapeNode = function (this: EngineInternals, ...args: unknown[]): void {
      if (inst.mode === 'off') return addTapeNode.apply(this, args);
      const t0 = inst.timing ? performance.now() : 0;
      addTapeNode.apply(this, args);
      const tape = this.state.activeTape;
      const node = tape?.[tape.length - 1];
      const gradient = node?.gradient;
      if (node && gradient) {
        const forward = inst.ctx;
        // Gradients of a kernel run in a layer (or the loss) count for that layer, backward.
        const ctx: Ctx = { phase: 'bwd', layer: forward.layer, cls: forward.cls };
        node.gradient = (dys) =>
          inst.within(ctx, () => {
            const fns = gradient(dys);
            const wrapped: Record<string, () => tf.Tensor> = {};
            for (const [k, f] of Object.entries(fns)) wrapped[k] = () => inst.within(ctx, f);
            return wrapped;
          });
      }
      if (inst.timing) inst.tapeMs += performance.now() - t0;
    };
    const timed = <A extends unknown[], R>(f: (this: EngineInternals, ...a: A) => R) =>
      function (this: EngineInternals, ...a: A): R {
        if (!inst.timing || inst.depth > 0) return f.apply(this, a);
        const t0 = performance.now();
        try {
          return f.apply(this, a);
        } finally {
          inst.allocMs[inst.ctx.phase] += performance.now() - t0;
        }
      };
    const makeTensor = engine.makeTensor;
    const disposeTensor = engine.disposeTensor;
    engine.makeTensor = timed(makeTensor);
    engine.disposeTensor = timed(disposeTensor);
    this.restore.push(() => {
      // The engine's methods live on its prototype: dropping the own properties restores them.
      for (const name of ['runKernelFunc', 'addTapeNode', 'makeTensor', 'disposeTensor'] as const) delete (engine as Partial<EngineInternals>)[name];
    });
    for (const layer of model.layers) {
      const l = layer as unknown as { call: (inputs: unknown, kwargs: unknown) => unknown };
      const call = l.call;
      const ctx: Ctx = { phase: 'fwd', layer: layer.name, cls: layer.getClassName() };
      l.call = (inputs, kwargs) => (this.mode === 'off' ? call.call(layer, inputs, kwargs) : this.within(ctx, () => call.call(layer, inputs, kwargs)));
      this.restore.push(() => {
        delete (l as Partial<typeof l>).call;
      });
    }
  }

  uninstall(): void {
    for (const r of this.restore.splice(0).reverse()) r();
  }
}

/** `sgdStep` (src/trainer/backend/trainingStep.ts) with phase markers: the same ops in the same order. */
async function markedStep(model: LayersModel, x: tf.Tensor4D, oneHot: tf.Tensor2D, lr: number, inst: StepInstruments): Promise<number> {
  inst.enter(OUTSIDE);
  const loss = tf.tidy(() => {
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => {
      const out = model.apply(x, { training: true });
      const logits = (Array.isArray(out) ? out[0] : out) as tf.Tensor2D;
      inst.enter(LOSS);
      const l = crossEntropy(logits, oneHot);
      // From here the engine walks the tape: kernels outside tape-node gradients are its sums.
      inst.enter(ACCUMULATE);
      return l;
    }, vars);
    inst.enter(UPDATE);
    vars.forEach((v) => v.assign(tf.sub(v, tf.mul(grads[v.name], lr))));
    return value;
  });
  inst.enter(READ);
  const value = (await loss.data())[0];
  inst.finish();
  loss.dispose();
  return value;
}

export interface ProfileOptions {
  batch?: number;
  /** Rough time budget for the clean steps; profiled and instrumented steps add about as much. */
  seconds?: number;
  /** Rounds of clean, profiled and instrumented steps (default 5). */
  repeats?: number;
}

function kindOf(ctx: Ctx): OpKind {
  if (ctx.cls === 'Accumulate') return 'gradient accumulation';
  if (ctx.phase === 'update') return 'optimizer update';
  return opKind(ctx.cls, ctx.phase === 'bwd' ? 'bwd' : 'fwd');
}

function medianRecord<K extends string>(runs: Partial<Record<K, number>>[]): Partial<Record<K, number>> {
  const keys = new Set(runs.flatMap((r) => Object.keys(r) as K[]));
  const out: Partial<Record<K, number>> = {};
  for (const k of keys) out[k] = round(median(runs.map((r) => r[k] ?? 0)), 3);
  return out;
}

/** Profiles one network's training step on the backend already selected in this process. */
export async function profileTrainingStep(network: BenchNetwork, backendLabel: string, opts: ProfileOptions = {}): Promise<StepProfile> {
  const batch = opts.batch ?? BENCH_BATCH;
  const repeats = Math.max(1, opts.repeats ?? 5);
  const seconds = opts.seconds ?? 2;
  const built = buildModel(network.spec, { inputShape: network.input, numClasses: BENCH_CLASSES, seed: 1, experimentFile: 'bench', field: 'net' });
  const model = built.model;
  const { x, oneHot } = benchBatchOf(batch, network.input, 'bench', 'profile');
  const inst = new StepInstruments();
  try {
    for (let i = 0; i < 3; i++) await sgdStep(model, x, oneHot, 0.01);
    // The step as the benchmark times it, nothing installed.
    const clean: number[] = [];
    const cleanStart = performance.now();
    do {
      const t0 = performance.now();
      await sgdStep(model, x, oneHot, 0.01);
      clean.push(performance.now() - t0);
    } while (clean.length < 3 || (performance.now() - cleanStart < (seconds * 1000) / 2 && clean.length < 200));
    // Then rounds of (steps with the wrappers passing through, one profiled, one instrumented), so
    // that all three see the same load on the machine.
    inst.install(model);
    inst.reset('off');
    for (let i = 0; i < 3; i++) await sgdStep(model, x, oneHot, 0.01);
    const passThrough: number[] = [];
    const profiled: number[] = [];
    const instrumented: number[] = [];
    const detailRuns: Record<string, number>[] = [];
    const layerRuns: Record<string, number>[] = [];
    const parts: Record<string, number>[] = [];
    let kernelCalls = 0;
    const roundMs = (seconds * 1000) / 2 / repeats;
    for (let r = 0; r < repeats; r++) {
      inst.reset('off');
      const roundStart = performance.now();
      do {
        const t0 = performance.now();
        await sgdStep(model, x, oneHot, 0.01);
        passThrough.push(performance.now() - t0);
      } while (performance.now() - roundStart < roundMs && passThrough.length < 200);
      inst.reset('profile');
      const t0 = performance.now();
      const info = await tf.profile(async () => {
        await markedStep(model, x, oneHot, 0.01, inst);
      });
      profiled.push(performance.now() - t0);
      const kernels = info.kernels as unknown as KernelRecord[];
      kernelCalls = kernels.length;
      const { byDetail, byLayer } = attribute(kernels, inst.tags);
      detailRuns.push(byDetail);
      layerRuns.push(byLayer);
      inst.reset('time');
      const t1 = performance.now();
      await markedStep(model, x, oneHot, 0.01, inst);
      instrumented.push(performance.now() - t1);
      const sum = (rec: Record<Phase, number>) => rec.fwd + rec.bwd + rec.update + rec.read;
      parts.push({
        run: sum(inst.runMs),
        tape: inst.tapeMs,
        alloc: sum(inst.allocMs),
        read: inst.phaseMs.read,
        layersApi: inst.phaseMs.fwd - inst.runMs.fwd - inst.allocMs.fwd,
        backprop: inst.phaseMs.bwd - inst.runMs.bwd - inst.allocMs.bwd,
        optimizer: inst.phaseMs.update - inst.runMs.update - inst.allocMs.update,
      });
    }
    inst.reset('off');
    // Kinds are sums of their kernels' medians, so that a kind's row and its detail rows agree.
    const kernelMs: Partial<Record<OpKind, number>> = {};
    const detailMs: StepProfile['detailMs'] = {};
    for (const [key, v] of Object.entries(medianRecord(detailRuns))) {
      const [kind, name] = key.split('\t') as [OpKind, string];
      const ms = v ?? 0;
      kernelMs[kind] = round((kernelMs[kind] ?? 0) + ms, 3);
      const details = (detailMs[kind] ??= {});
      details[name] = ms;
      const half = kernelDetail(name);
      if (half !== name) details[half] = round((details[half] ?? 0) + ms, 3);
    }
    const kernelTotal = Object.values(kernelMs).reduce<number>((a, b) => a + (b ?? 0), 0);
    const stepMs = median(clean);
    const p = medianRecord(parts);
    const layerMs = medianRecord(layerRuns);
    const layers: LayerProfile[] = model.layers
      .filter((l) => layerMs[`${l.name}\tfwd`] !== undefined || layerMs[`${l.name}\tbwd`] !== undefined)
      .map((l) => ({ name: l.name, type: l.getClassName(), fwdMs: layerMs[`${l.name}\tfwd`] ?? 0, bwdMs: layerMs[`${l.name}\tbwd`] ?? 0 }));
    if (layerMs['loss\tfwd'] !== undefined || layerMs['loss\tbwd'] !== undefined) {
      layers.push({ name: 'loss', type: 'Loss', fwdMs: layerMs['loss\tfwd'] ?? 0, bwdMs: layerMs['loss\tbwd'] ?? 0 });
    }
    const pos = (v: number | undefined) => round(Math.max(0, v ?? 0), 3);
    const betweenMs = pos(stepMs - kernelTotal);
    const betweenParts: Record<string, number> = {
      'tf.js dispatch': pos((p.run ?? 0) - kernelTotal - (p.tape ?? 0)),
      'tape recording': pos(p.tape),
      'allocation, disposal': pos(p.alloc),
      'layers API (forward)': pos(p.layersApi),
      'backprop bookkeeping': pos(p.backprop),
      'optimizer JS': pos(p.optimizer),
      'loss read (data())': pos(p.read),
    };
    // What the parts (timed in other steps than the clean ones) leave unexplained; may be negative.
    betweenParts['rest: timers, wrappers, noise (clean step less the parts)'] = round(betweenMs - Object.values(betweenParts).reduce((a, b) => a + b, 0), 3);
    return {
      framework: `SKD Lab ${backendLabel}`,
      threads: 1,
      network: network.label,
      batch,
      stepMs: round(stepMs, 3),
      profiledStepMs: round(median(profiled), 3),
      kernelMs,
      detailMs,
      betweenMs,
      betweenParts,
      layers,
      kernelCalls,
      steps: repeats,
      notes: [
        `${clean.length} clean steps (median ${round(stepMs, 1)} ms); then, interleaved, ${passThrough.length} steps with the wrappers ` +
          `passing through (median ${round(median(passThrough), 1)} ms), ${repeats} profiled (median ${round(median(profiled), 1)} ms) and ` +
          `${repeats} instrumented steps (median ${round(median(instrumented), 1)} ms); the JS parts come from the instrumented steps`,
      ],
    };
  } finally {
    inst.uninstall();
    tf.dispose([x, oneHot]);
    model.dispose();
  }
}

/** Kernel self times per `kind\tkernel name` and per `layer\tdirection` for one profiled step. */
function attribute(kernels: KernelRecord[], tags: Map<KernelRecord, Tag>): { byDetail: Record<string, number>; byLayer: Record<string, number> } {
  const ms = kernels.map((k) => Number(k.kernelTimeMs));
  const byDetail: Record<string, number> = {};
  const byLayer: Record<string, number> = {};
  kernels.forEach((k, i) => {
    const tag = tags.get(k);
    const ctx = tag?.ctx ?? OUTSIDE;
    // Own time: less the kernels it ran inside itself (ops built from other ops).
    let self = ms[i];
    if (tag) for (let j = tag.from; j < tag.to; j++) if (tags.get(kernels[j])?.depth === tag.depth + 1) self -= ms[j];
    const key = `${kindOf(ctx)}\t${k.name}`;
    byDetail[key] = (byDetail[key] ?? 0) + self;
    if (ctx.phase === 'fwd' || ctx.phase === 'bwd') {
      const lkey = `${ctx.layer}\t${ctx.phase}`;
      byLayer[lkey] = (byLayer[lkey] ?? 0) + self;
    }
  });
  return { byDetail, byLayer };
}

/** Selects wasm (or `backend`) in this process and profiles `network` there. */
export async function profileOnBackend(network: BenchNetwork, backend: 'wasm' | 'cpu', opts: ProfileOptions = {}): Promise<StepProfile> {
  await selectBackend(backend);
  return profileTrainingStep(network, backend, opts);
}
