import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../errors';
import { readCheckpoint, writeCheckpoint } from '../runDir/checkpoint';
import { readJson, writeJsonAtomic } from '../runDir/atomicFile';

/**
 * The teacher's recorded learning trajectory (SKD.md, step 2): for every learning stage k,
 * over all training images (fit and validation),
 * - the hidden behaviour B_k^l at each tap l: channel-wise global-average-pooled features of
 *   the teacher at the end of the stage;
 * - the logits of the stage's best checkpoint (its "optimal experience").
 * - the logits of every epoch's checkpoint (`epoch-<n>.bin`), from which TET builds each stage's
 *   optimal experience as a mixture of checkpoints (format 2; a format-1 record has none, and
 *   TET then works from the best-of-stage logits alone).
 * One file per stage and per epoch, written when it ends, so a crash keeps finished ones.
 */
export interface EpochRecord {
  epoch: number;
  stage: number;
  valAcc: number;
}

export interface TrajectoryMeta {
  format: 'skd-trajectory/1' | 'skd-trajectory/2';
  stages: number;
  classes: number;
  taps: string[];
  tapChannels: number[];
  /** Number of training images recorded (all of `dataset.train`). */
  images: number;
  /** Identifies the data the trajectory belongs to; a reusing run must load the same. */
  data: { name: string; train: number; test: number; seed: number; shape: number[] };
  recorded: { stage: number; bestEpoch: number; bestValAcc: number; endEpoch: number }[];
  /** Epochs whose checkpoint logits are recorded (format 2). */
  epochs?: EpochRecord[];
  /** The stage of each teacher epoch (format 2). */
  plan?: number[];
}

export interface StageRecord {
  /** [images * classes] best-of-stage logits. */
  logits: Float32Array;
  /** Per tap: [images * channels] end-of-stage behaviour descriptors. */
  behaviour: Float32Array[];
}

export const TRAJECTORY_JSON = 'trajectory.json';

export class Trajectory {
  private cache = new Map<number, StageRecord>();
  private epochCache = new Map<number, Float32Array>();

  private constructor(
    readonly dir: string,
    public meta: TrajectoryMeta,
  ) {}

  static create(dir: string, meta: Omit<TrajectoryMeta, 'format' | 'recorded'>): Trajectory {
    const t = new Trajectory(dir, { format: 'skd-trajectory/2', recorded: [], epochs: [], ...meta });
    if (fs.existsSync(path.join(dir, TRAJECTORY_JSON))) {
      // Resuming: keep what earlier stages recorded.
      t.meta = readJson<TrajectoryMeta>(path.join(dir, TRAJECTORY_JSON));
    } else {
      t.saveMeta();
    }
    return t;
  }

  static open(dir: string): Trajectory {
    const file = path.join(dir, TRAJECTORY_JSON);
    if (!fs.existsSync(file)) {
      throw new InputError(dir, undefined, 'no recorded teacher trajectory here: a teacher trained outside SKD Lab, without its per-stage record, cannot give SKD');
    }
    const meta = readJson<TrajectoryMeta>(file);
    if (meta.format !== 'skd-trajectory/1' && meta.format !== 'skd-trajectory/2') throw new InputError(file, 'format', `unknown trajectory format ${meta.format}`);
    return new Trajectory(dir, meta);
  }

  get complete(): boolean {
    return this.meta.recorded.length === this.meta.stages;
  }

  has(stage: number): boolean {
    return this.meta.recorded.some((r) => r.stage === stage);
  }

  record(stage: number, rec: StageRecord, info: { bestEpoch: number; bestValAcc: number; endEpoch: number }): void {
    writeCheckpoint(
      path.join(this.dir, `stage-${stage + 1}.bin`),
      [
        { name: 'logits', shape: [this.meta.images, this.meta.classes], data: rec.logits },
        ...rec.behaviour.map((b, l) => ({ name: `behaviour/${this.meta.taps[l]}`, shape: [this.meta.images, this.meta.tapChannels[l]], data: b })),
      ],
      { stage },
    );
    this.meta.recorded = [...this.meta.recorded.filter((r) => r.stage !== stage), { stage, ...info }].sort((a, b) => a.stage - b.stage);
    this.saveMeta();
    this.cache.set(stage, rec);
  }

  stage(stage: number): StageRecord {
    const hit = this.cache.get(stage);
    if (hit) return hit;
    if (!this.has(stage)) throw new Error(`stage ${stage + 1} of the teacher trajectory was not recorded`);
    const { arrays } = readCheckpoint<{ stage: number }>(path.join(this.dir, `stage-${stage + 1}.bin`));
    const rec: StageRecord = {
      logits: arrays.find((a) => a.name === 'logits')!.data,
      behaviour: this.meta.taps.map((t) => arrays.find((a) => a.name === `behaviour/${t}`)!.data),
    };
    this.cache.set(stage, rec);
    return rec;
  }

  /** Records the logits of one epoch's checkpoint over all training images. */
  recordEpoch(info: EpochRecord, logits: Float32Array): void {
    writeCheckpoint(path.join(this.dir, `epoch-${info.epoch + 1}.bin`), [{ name: 'logits', shape: [this.meta.images, this.meta.classes], data: logits }], { epoch: info.epoch });
    this.meta.epochs = [...(this.meta.epochs ?? []).filter((r) => r.epoch !== info.epoch), info].sort((a, b) => a.epoch - b.epoch);
    this.saveMeta();
    this.epochCache.set(info.epoch, logits);
  }

  /** The recorded epochs (empty for a format-1 record). */
  get epochRecords(): readonly EpochRecord[] {
    return this.meta.epochs ?? [];
  }

  epochLogits(epoch: number): Float32Array {
    const hit = this.epochCache.get(epoch);
    if (hit) return hit;
    if (!this.epochRecords.some((r) => r.epoch === epoch)) throw new Error(`epoch ${epoch + 1} of the teacher trajectory was not recorded`);
    const logits = readCheckpoint<{ epoch: number }>(path.join(this.dir, `epoch-${epoch + 1}.bin`)).arrays.find((a) => a.name === 'logits')!.data;
    this.epochCache.set(epoch, logits);
    return logits;
  }

  /** The stage whose best checkpoint is the best overall: its logits are the final teacher's. */
  bestStage(): number {
    let best = this.meta.recorded[0];
    for (const r of this.meta.recorded) if (r.bestValAcc > best.bestValAcc) best = r;
    return best.stage;
  }

  private saveMeta(): void {
    writeJsonAtomic(path.join(this.dir, TRAJECTORY_JSON), this.meta);
  }
}
