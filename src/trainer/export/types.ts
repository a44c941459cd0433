import type * as tfl from '@tensorflow/tfjs-layers';
import type { StudentGraph } from './graph';
import type { Quantize } from './quantize';

/** Test images as the data loaders give them: uint8 NHWC and class indices. */
export interface TestSet {
  x: Uint8Array;
  y: Int32Array;
  n: number;
  /** What the model card calls it (`fashion-mnist-mini (builtin) test split`). */
  name?: string;
}

/** What the trainer stores with the student (`userDefinedMetadata` of `student/model.json`). */
export interface StudentMeta {
  inputShape: [number, number, number];
  mean: number[];
  std: number[];
  labels: string[];
  family: string;
}

/** The trained student of a run, read once and handed to every format. */
export interface Student {
  runDir: string;
  /** The tf.js layers model the trainer saved (the reference the exports are checked against). */
  model: tfl.LayersModel;
  /** Its layers as a graph (logits only). */
  graph: StudentGraph;
  /** The same graph with batch norms folded into the convolutions before them. */
  folded: StudentGraph;
  meta: StudentMeta;
}

/** A loaded export, run in the runtime a device would use. */
export interface Predictor {
  /** Logits [n, classes] for normalised images of `shape` [n, h, w, c] (NHWC). */
  run(x: Float32Array, shape: [number, number, number, number]): Promise<Float32Array>;
  /** The runtime, for the model card ("onnxruntime-node 1.20.1", "tf.js 4.22.0 (cpu)"). */
  runtime: string;
  dispose(): Promise<void>;
}

/** An export format plugin: one module behind this interface, found through the registry. */
export interface ExportFormat {
  readonly name: string;
  /** Short description of the files, for the model card. */
  readonly description: string;
  /** Writes the student's files into `dir` (empty, made by the caller); returns their names. */
  write(student: Student, quantize: Quantize, dir: string): Promise<string[]>;
  /** Loads what `write` wrote, fresh, in this format's runtime. */
  load(dir: string): Promise<Predictor>;
  /** How to load the files: snippets by environment (browser, node, python), for the card. */
  snippets(files: string[], meta: StudentMeta): Record<string, string>;
}
