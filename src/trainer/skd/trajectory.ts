import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError, isInputError } from '../errors';
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
 * - with `training.preciseBnTeacher: "trajectory"`, the final teacher's logits (`final.bin`): the
 *   stages and epochs above are then recorded with recomputed batch-norm statistics, the final
 *   teacher with the moving averages it is saved with (otherwise it is the best stage's best).
 * One file per stage and per epoch, written when it ends, so a crash keeps finished ones.
 * A stage's best logits are recorded twice (in its stage file and in its best epoch's file), so a
 * damaged copy of either is read from the other, with a warning; the behaviour has one copy, and a
 * damaged stage file is then an error naming it.
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
  /**
   * The final teacher, where it is recorded apart from the stages (`final.bin`): its epoch and
   * validation accuracy. Absent: the final teacher is the best stage's best checkpoint.
   */
  final?: { epoch: number; valAcc: number };
}

export interface StageRecord {
  /** [images * classes] best-of-stage logits. */
  logits: Float32Array;
  /** Per tap: [images * channels] end-of-stage behaviour descriptors. */
  behaviour: Float32Array[];
}

export const TRAJECTORY_JSON = 'trajectory.json';
const FINAL_FILE = 'final.bin';

export class Trajectory {
  private cache = new Map<number, StageRecord>();
  private epochCache = new Map<number, Float32Array>();
  /** Stage logits read from the best epoch's file because the stage file is damaged. */
  private logitsFromEpoch = new Map<number, Float32Array>();
  private finalCache: Float32Array | undefined;
  /** Where the fallbacks say what they did (the run's log); silent until a run sets it. */
  warn: (line: string) => void = () => {};

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
    let logits: Float32Array;
    try {
      logits = this.readEpochFile(epoch);
    } catch (e) {
      // The best epoch of a stage has its logits in the stage file too.
      const stage = this.meta.recorded.find((r) => r.bestEpoch === epoch)?.stage;
      if (!isInputError(e) || stage === undefined) throw e;
      logits = secondCopy(e, this.stageFile(stage), () => this.stage(stage).logits);
      this.warn(`${e.message}; its logits are read from ${this.stageFile(stage)}, which records the same checkpoint`);
    }
    this.epochCache.set(epoch, logits);
    return logits;
  }

  /** A stage's best-checkpoint logits: its stage file, or, where that is damaged, its best epoch's file. */
  stageLogits(stage: number): Float32Array {
    const read = this.logitsFromEpoch.get(stage);
    if (read) return read;
    try {
      return this.stage(stage).logits;
    } catch (e) {
      const best = this.meta.recorded.find((r) => r.stage === stage)?.bestEpoch;
      if (!isInputError(e) || best === undefined || !this.epochRecords.some((r) => r.epoch === best)) throw e;
      const logits = secondCopy(e, `epoch-${best + 1}.bin`, () => this.readEpochFile(best));
      this.warn(`${e.message}; the stage's logits are read from epoch-${best + 1}.bin, which records the same checkpoint`);
      this.epochCache.set(best, logits);
      this.logitsFromEpoch.set(stage, logits);
      return logits;
    }
  }

  private stageFile(stage: number): string {
    return path.join(this.dir, `stage-${stage + 1}.bin`);
  }

  private readEpochFile(epoch: number): Float32Array {
    return readCheckpoint<{ epoch: number }>(path.join(this.dir, `epoch-${epoch + 1}.bin`)).arrays.find((a) => a.name === 'logits')!.data;
  }

  /** Records the final teacher's logits over all training images apart from the stages (`final.bin`). */
  recordFinal(info: { epoch: number; valAcc: number }, logits: Float32Array): void {
    writeCheckpoint(path.join(this.dir, FINAL_FILE), [{ name: 'logits', shape: [this.meta.images, this.meta.classes], data: logits }], { epoch: info.epoch });
    this.meta.final = { epoch: info.epoch, valAcc: info.valAcc };
    this.saveMeta();
    this.finalCache = logits;
  }

  /** The final teacher's logits: `final.bin` where recorded, else the best stage's best checkpoint's. */
  finalLogits(): Float32Array {
    if (!this.meta.final) return this.stageLogits(this.bestStage());
    this.finalCache ??= readCheckpoint<{ epoch: number }>(path.join(this.dir, FINAL_FILE)).arrays.find((a) => a.name === 'logits')!.data;
    return this.finalCache;
  }

  /** The stage of the final teacher's checkpoint. */
  finalStage(): number {
    const final = this.meta.final;
    return final && this.meta.plan ? this.meta.plan[final.epoch] : this.bestStage();
  }

  /** The stage whose best checkpoint is the best overall by the stages' own record. */
  bestStage(): number {
    let best = this.meta.recorded[0];
    for (const r of this.meta.recorded) if (r.bestValAcc > best.bestValAcc) best = r;
    return best.stage;
  }

  private saveMeta(): void {
    writeJsonAtomic(path.join(this.dir, TRAJECTORY_JSON), this.meta);
  }
}

/** Reads the second copy of what `damaged` could not give; if that fails too, one error saying both. */
function secondCopy<T>(damaged: InputError, copy: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (!isInputError(e)) throw e;
    throw new InputError(damaged.file, damaged.field, `${damaged.reason}; its second copy, ${path.basename(copy)}, is damaged too (${e.reason})`);
  }
}
