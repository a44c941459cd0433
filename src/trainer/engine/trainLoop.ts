import * as tf from '@tensorflow/tfjs-core';
import type { DataSpec, TrainingSpec } from '../../protocol/experiment';
import type { Network } from '../../protocol/runDir';
import type { LoadedDataset } from '../data/types';
import type { LossTerms } from '../methods/types';
import type { BuiltModel } from '../models/types';
import { Rng } from '../util/rng';
import { readCheckpointOrPrevious, writeCheckpoint } from '../runDir/checkpoint';
import { encodeCorrect } from '../runDir/heldOutValidation';
import { argmax, imageBatch, runModel } from './evaluate';
import { Sgd } from './optimizer';
import { loopPreciseBnImages, recalibrateBatchNorm } from './preciseBn';
import type { RunDirectory } from '../runDir/runDirectory';
import { learningRate, stageOf } from './schedule';
import { augmentBatch, gatherBatch } from '../data';
import { captureSlots, modelSlots, restoreSlots, variableSlots, type WeightSlot } from './weights';

/** Raised inside the loop when a stop was requested; the loop has checkpointed first. */
export class StopRequested extends Error {
  constructor() {
    super('stopped by request');
    this.name = 'StopRequested';
  }
}

export interface StopToken {
  requested: boolean;
}

export interface BatchInputs {
  x: tf.Tensor4D;
  labels: tf.Tensor1D;
  oneHot: tf.Tensor2D;
  /** The model's outputs in training mode: logits, then the taps. */
  outputs: tf.Tensor[];
  /** Indices of the batch's images in `dataset.train`. */
  indices: Int32Array;
  epoch: number;
  /** Epochs done so far, with the fraction of the current one (epoch + batch / batches). */
  progress: number;
  stage: number;
}

export interface EpochInfo {
  epoch: number;
  stage: number;
  valAcc: number;
  /** Last epoch of its stage. */
  stageEnd: boolean;
  /** Whether this epoch is the best of its stage so far. */
  bestOfStage: boolean;
}

export interface LoopSpec {
  network: Network;
  /**
   * Whose data order and augmentation this loop draws (default: `network`). The student alone
   * draws the student's, so it sees the very batches a `none` run's student sees.
   */
  dataStream?: Network;
  built: BuiltModel;
  /** Variables trained beside the model (a method's adapters). */
  extraVars: tf.Variable[];
  epochs: number;
  stages: number;
  /** The stage of each epoch (schedule.ts `stagePlan`); default: near-equal epochs. */
  plan?: number[];
  training: TrainingSpec;
  augment?: DataSpec['augment'];
  seed: number;
  dataset: LoadedDataset;
  fit: Int32Array;
  val: Int32Array;
  run: RunDirectory;
  checkpointFile: string;
  /** Named loss terms of a batch; called inside the gradient tape. */
  losses(b: BatchInputs): LossTerms;
  /** After each epoch's validation and before its checkpoint (stage ends: record, save). */
  afterEpoch?(info: EpochInfo, loop: TrainLoop): void | Promise<void>;
  stop: StopToken;
  /** Progress of this loop, 0..1, for the run's status. */
  onProgress?(fraction: number, epoch: number): void;
  /** Seconds between mid-epoch checkpoints (a crash loses at most this much work). */
  checkpointSeconds?: number;
}

interface StageRecord {
  stage: number;
  bestEpoch: number;
  bestValAcc: number;
}

/** Everything besides tensors that a resumed loop needs to continue exactly. */
interface LoopState {
  network: Network;
  /** Next epoch to run (== epochs when finished). */
  epoch: number;
  /** Next batch within `epoch`. */
  batch: number;
  accum: { loss: number; terms: Record<string, number>; correct: number; seen: number; seconds: number; batches: number };
  stages: StageRecord[];
  best: { epoch: number; valAcc: number };
}

const BATCH_EVENTS_PER_EPOCH = 10;

/**
 * The training loop of one network (teacher or student): seeded data order per epoch, SGD
 * with momentum and weight decay, a learning-rate schedule, K stages with best-of-stage
 * tracking, validation every epoch, checkpoints at each epoch end (and every
 * `checkpointSeconds` inside an epoch, and on stop), `batch` and `epoch` events.
 */
export class TrainLoop {
  readonly slots: WeightSlot[];
  private readonly vars: tf.Variable[];
  private readonly sgd: Sgd;
  private state: LoopState;
  /** Weights of the best epoch of the current stage so far, and of the best overall. */
  private stageBestWeights: Float32Array[] | undefined;
  private bestWeights: Float32Array[] | undefined;

  constructor(private readonly spec: LoopSpec) {
    const modelVars = spec.built.model.trainableWeights.map((w) => w.read() as tf.Variable);
    this.vars = [...modelVars, ...spec.extraVars];
    this.sgd = new Sgd(this.vars, spec.training.momentum, spec.training.weightDecay);
    this.slots = [...modelSlots(spec.built.model, spec.network), ...variableSlots(spec.extraVars, `${spec.network}-extra`)];
    this.state = freshState(spec.network);
  }

  get finished(): boolean {
    return this.state.epoch >= this.spec.epochs;
  }

  /** The epoch the loop runs next (after a resume, the one it continues). */
  get nextEpoch(): number {
    return this.state.epoch;
  }

  get stageRecords(): readonly StageRecord[] {
    return this.state.stages;
  }

  get best(): { epoch: number; valAcc: number } {
    return this.state.best;
  }

  /** Loads the last checkpoint if there is one; returns whether it did. */
  resume(): boolean {
    // A damaged newest checkpoint falls back to the one before it (checkpoint.ts), saying so.
    const found = readCheckpointOrPrevious<{ loop: LoopState; stageBest?: number[]; best?: number[] }>(this.spec.checkpointFile, (line) => this.spec.run.warn(line));
    if (!found) return false;
    const { arrays, state } = found;
    const all = [...this.slots, ...this.sgd.slots(`${this.spec.network}-momentum`)];
    restoreSlots(all, arrays, found.file);
    this.state = state.loop;
    const byName = new Map(arrays.map((a) => [a.name, a.data]));
    const pick = (prefix: string) => this.slots.map((s) => byName.get(`${prefix}:${s.name}`) ?? new Float32Array(0));
    if (arrays.some((a) => a.name.startsWith('stage-best:'))) this.stageBestWeights = pick('stage-best');
    if (arrays.some((a) => a.name.startsWith('best:'))) this.bestWeights = pick('best');
    return true;
  }

  private checkpoint(): void {
    const arrays = [...captureSlots(this.slots), ...captureSlots(this.sgd.slots(`${this.spec.network}-momentum`))];
    const extra = (prefix: string, ws: Float32Array[] | undefined) =>
      ws ? this.slots.map((s, i) => ({ name: `${prefix}:${s.name}`, shape: s.shape, data: ws[i] })) : [];
    writeCheckpoint(
      this.spec.checkpointFile,
      [...arrays, ...extra('stage-best', this.stageBestWeights), ...extra('best', this.bestWeights)],
      { loop: this.state },
      { keepPrevious: true },
    );
  }

  /** Puts the best-of-stage (or best overall) weights into the model, returning the current ones. */
  swapIn(which: 'stage-best' | 'best'): Float32Array[] {
    const current = this.slots.map((s) => s.get());
    const ws = which === 'best' ? this.bestWeights : this.stageBestWeights;
    if (!ws) throw new Error(`no ${which} weights recorded for the ${this.spec.network}`);
    tf.tidy(() => this.slots.forEach((s, i) => s.set(ws[i])));
    return current;
  }

  restore(weights: Float32Array[]): void {
    tf.tidy(() => this.slots.forEach((s, i) => s.set(weights[i])));
  }

  async run(): Promise<void> {
    const s = this.spec;
    const { fit, dataset } = s;
    const bs = s.training.batchSize;
    const batches = Math.max(1, Math.ceil(fit.length / bs));
    const eventEvery = Math.max(1, Math.floor(batches / BATCH_EVENTS_PER_EPOCH));
    const classes = dataset.numClasses;
    const checkpointSeconds = checkpointInterval(s.checkpointSeconds);
    let lastCheckpoint = Date.now();
    while (this.state.epoch < s.epochs) {
      const epoch = this.state.epoch;
      const stage = this.stageOf(epoch);
      const lr = learningRate(s.training, epoch, s.epochs);
      const order = Rng.derive(s.seed, 'order', s.dataStream ?? s.network, epoch).shuffle(Int32Array.from(fit)) as Int32Array;
      const augmenting = !!s.augment && (!!s.augment.flip || (s.augment.crop ?? 0) > 0);
      let windowLoss = 0;
      let windowN = 0;
      for (let b = 0; b < batches; b++) {
        const indices = order.subarray(b * bs, Math.min(fit.length, (b + 1) * bs));
        if (b < this.state.batch) continue;
        // One generator per batch: a resumed epoch draws the same augmentation as an unbroken one.
        const raw = augmenting
          ? augmentBatch(gatherBatch(dataset.train.x, indices, dataset.shape), indices.length, dataset.shape, s.augment!, Rng.derive(s.seed, 'augment', s.dataStream ?? s.network, epoch, b))
          : undefined;
        const t0 = Date.now();
        const terms = this.step(indices, raw, epoch + b / batches, stage, lr, classes);
        const a = this.state.accum;
        a.seconds += (Date.now() - t0) / 1000;
        a.loss += terms.total * indices.length;
        for (const [k, v] of Object.entries(terms.named)) a.terms[k] = (a.terms[k] ?? 0) + v * indices.length;
        a.correct += terms.correct;
        a.seen += indices.length;
        a.batches++;
        windowLoss += terms.total;
        windowN++;
        this.state.batch = b + 1;
        if ((b + 1) % eventEvery === 0 || b === batches - 1) {
          s.run.append({ type: 'batch', network: s.network, epoch, step: epoch + (b + 1) / batches, loss: windowLoss / windowN, terms: terms.named });
          windowLoss = 0;
          windowN = 0;
          s.onProgress?.((epoch + (b + 1) / batches) / s.epochs, epoch);
        }
        // Training is synchronous; yielding once a batch lets signals (stop) and I/O through.
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (s.stop.requested) {
          this.checkpoint();
          throw new StopRequested();
        }
        if (checkpointSeconds !== undefined && Date.now() - lastCheckpoint >= checkpointSeconds * 1000 && b < batches - 1) {
          this.checkpoint();
          lastCheckpoint = Date.now();
        }
      }
      await this.endEpoch(epoch, stage, lr);
      lastCheckpoint = Date.now();
      if (s.stop.requested && this.state.epoch < s.epochs) throw new StopRequested();
    }
  }

  private step(indices: Int32Array, raw: Uint8Array | undefined, progress: number, stage: number, lr: number, classes: number) {
    const epoch = Math.floor(progress);
    const s = this.spec;
    const named: Record<string, number> = {};
    let total = 0;
    let correct = 0;
    tf.tidy(() => {
      const x = imageBatch(s.dataset, s.dataset.train, indices, raw);
      const y = new Int32Array(indices.length);
      for (let i = 0; i < indices.length; i++) y[i] = s.dataset.train.y[indices[i]];
      const labels = tf.tensor1d(y, 'int32');
      const oneHot = tf.cast(tf.oneHot(labels, classes), 'float32') as tf.Tensor2D;
      let kept: Record<string, tf.Scalar> = {};
      let logits: tf.Tensor | undefined;
      const { value, grads } = tf.variableGrads(() => {
        const outputs = s.built.model.apply(x, { training: true }) as tf.Tensor[];
        const terms = s.losses({ x, labels, oneHot, outputs, indices, epoch, progress, stage });
        kept = Object.fromEntries(Object.entries(terms).map(([k, v]) => [k, tf.keep(v)]));
        logits = tf.keep(outputs[0]);
        return tf.addN(Object.values(terms)) as tf.Scalar;
      }, this.vars);
      this.sgd.apply(grads, lr);
      total = value.dataSync()[0];
      for (const [k, v] of Object.entries(kept)) named[k] = v.dataSync()[0];
      const l = logits!.dataSync();
      for (let i = 0; i < y.length; i++) if (argmax(l, i * classes, classes) === y[i]) correct++;
      Object.values(kept).forEach((t) => t.dispose());
      logits!.dispose();
    });
    if (!Number.isFinite(total)) {
      throw new Error(`the ${s.network}'s loss became ${total} at epoch ${epoch + 1}; lower training.lr`);
    }
    return { total, named, correct };
  }

  private async endEpoch(epoch: number, stage: number, lr: number): Promise<void> {
    const s = this.spec;
    // Students (the student and the student alone); the teacher only with
    // `training.preciseBnTeacher: true`, so that teachers recorded before it stay as they were
    // (with "trajectory" the teacher phase recomputes them for its record alone).
    const precise = s.network === 'teacher' && s.training.preciseBnTeacher !== true ? 0 : (s.training.preciseBn ?? 0);
    if (precise > 0) {
      const images = loopPreciseBnImages(s.fit, precise, s.seed, s.dataStream ?? s.network);
      recalibrateBatchNorm(s.built.model, s.dataset, images, s.training.batchSize);
    }
    const { accuracy: valAcc, right } = runModel(s.built.model, s.dataset, s.dataset.train, s.val);
    const a = this.state.accum;
    const n = Math.max(1, a.seen);
    s.run.append({
      type: 'epoch',
      network: s.network,
      epoch,
      stage,
      lr,
      loss: a.loss / n,
      terms: Object.fromEntries(Object.entries(a.terms).map(([k, v]) => [k, v / n])),
      trainAcc: a.correct / n,
      valAcc,
      valCorrect: encodeCorrect(right),
      seconds: a.seconds,
      imagesPerSec: a.seconds > 0 ? a.seen / a.seconds : 0,
    });
    let rec = this.state.stages[stage];
    const bestOfStage = !rec || valAcc > rec.bestValAcc;
    if (bestOfStage) {
      rec = this.state.stages[stage] = { stage, bestEpoch: epoch, bestValAcc: valAcc };
      this.stageBestWeights = this.slots.map((sl) => sl.get());
    }
    if (valAcc > this.state.best.valAcc || this.state.best.epoch < 0) {
      this.state.best = { epoch, valAcc };
      this.bestWeights = this.slots.map((sl) => sl.get());
    }
    const stageEnd = epoch === s.epochs - 1 || this.stageOf(epoch + 1) !== stage;
    await s.afterEpoch?.({ epoch, stage, valAcc, stageEnd, bestOfStage }, this);
    if (stageEnd) {
      const first = Math.max(0, Array.from({ length: s.epochs }, (_, e) => this.stageOf(e)).indexOf(stage));
      s.run.append({ type: 'stage', network: s.network, stage, firstEpoch: first, lastEpoch: epoch, bestEpoch: rec.bestEpoch, bestValAcc: rec.bestValAcc });
    }
    this.state.epoch = epoch + 1;
    this.state.batch = 0;
    this.state.accum = freshState(s.network).accum;
    if (stageEnd) this.stageBestWeights = undefined;
    this.checkpoint();
  }

  private stageOf(epoch: number): number {
    const s = this.spec;
    return s.plan ? s.plan[Math.min(epoch, s.plan.length - 1)] : stageOf(epoch, s.epochs, s.stages);
  }

  dispose(): void {
    this.sgd.dispose();
  }
}

/**
 * Seconds between mid-epoch checkpoints: the environment variable `SKD_CHECKPOINT_SECONDS`
 * (a number >= 0; 0 checkpoints after every batch) overrides the phase's own choice, so that
 * crash tests and users on flaky machines can make checkpoints more frequent.
 */
export function checkpointInterval(own: number | undefined, env: string | undefined = process.env.SKD_CHECKPOINT_SECONDS): number | undefined {
  if (env === undefined || env.trim() === '') return own;
  const v = Number(env);
  return Number.isFinite(v) && v >= 0 ? v : own;
}

function freshState(network: Network): LoopState {
  return {
    network,
    epoch: 0,
    batch: 0,
    accum: { loss: 0, terms: {}, correct: 0, seen: 0, seconds: 0, batches: 0 },
    stages: [],
    best: { epoch: -1, valAcc: -1 },
  };
}
