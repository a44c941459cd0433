import * as fs from 'node:fs';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { LoadedDataset } from '../data/types';
import { readCheckpoint, writeCheckpoint } from '../runDir/checkpoint';
import { allIndices, runModel } from './evaluate';

/**
 * The student's own behaviour at the start of each of its stages: the pooled descriptors of its
 * taps over every training image, in inference mode, with the weights it starts the stage with.
 * SKD's action form of the behaviour term (`method.tbt.match: "action"`) asks the student to
 * change how it relates images, from there, as the teacher changed in the stage it looks ahead
 * to. Each stage's record is a file in the run directory, written before the stage's first
 * batch, so a resumed run continues with the very targets it had.
 */
export class StudentHistory {
  private current: { stage: number; descriptors: Float32Array[] } | undefined;

  constructor(
    private readonly model: LayersModel,
    private readonly dataset: LoadedDataset,
    /** Where stage k's record is kept. */
    private readonly fileOf: (stage: number) => string,
  ) {}

  /** Records the model's behaviour now as the start of `stage` (called outside any gradient tape). */
  record(stage: number): void {
    const ds = this.dataset;
    const descriptors = runModel(this.model, ds, ds.train, allIndices(ds.train.n), { descriptors: true }).descriptors;
    writeCheckpoint(
      this.fileOf(stage),
      descriptors.map((d, l) => ({ name: `tap/${l}`, shape: [ds.train.n, d.length / ds.train.n], data: d })),
      { stage },
    );
    this.current = { stage, descriptors };
  }

  /** Makes `stage`'s record current: read back if it was written (a resumed run), else recorded now. */
  ensure(stage: number): void {
    if (this.current?.stage === stage) return;
    const file = this.fileOf(stage);
    if (!fs.existsSync(file)) return this.record(stage);
    const { arrays } = readCheckpoint<{ stage: number }>(file);
    this.current = { stage, descriptors: arrays.map((a) => a.data) };
  }

  /** The start-of-stage descriptors of `stage`, one array per tap ([images * channels]). */
  at(stage: number): Float32Array[] {
    if (this.current?.stage !== stage) throw new Error(`the student's behaviour at the start of its stage ${stage + 1} was not recorded`);
    return this.current.descriptors;
  }
}
