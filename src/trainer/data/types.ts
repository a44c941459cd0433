import type { DataSpec } from '../../protocol/experiment';

/** One split of a data set: images as uint8 NHWC, labels as class indices. */
export interface Split {
  /** n * h * w * c bytes, row-major NHWC. */
  x: Uint8Array;
  y: Int32Array;
  n: number;
}

export interface LoadedDataset {
  /** Human-readable name, e.g. "fashion-mnist-mini" or the directory. */
  name: string;
  /** [height, width, channels] */
  shape: [number, number, number];
  numClasses: number;
  labels: string[];
  train: Split;
  test: Split;
  /** Per-channel mean and std of the training images in [0,1] units, for normalisation. */
  mean: number[];
  std: number[];
  /** Where it came from (for the model card and the run summary). */
  source: string;
  license?: string;
}

/** Context given to a data format plugin. */
export interface DataContext {
  /** The experiment file's path, for error messages ("names the file and the field"). */
  experimentFile: string;
  /** Directory that relative paths in the experiment resolve against. */
  baseDir: string;
}

/** A data format plugin: one module, one `load`. */
export interface DataFormat {
  readonly name: string;
  /**
   * Paths inside `data.dir` of which at least one must exist, checked before a run starts and in
   * the editor (the first is the one the error names); absent: nothing is checked before loading.
   * The loader's own list, so the check never refuses a folder that the loader would read.
   */
  readonly expectedFiles?: readonly string[];
  load(spec: DataSpec, ctx: DataContext): Promise<LoadedDataset>;
}
