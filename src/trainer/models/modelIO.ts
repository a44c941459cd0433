import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { writeFileAtomic, writeJsonAtomic } from '../runDir/atomicFile';

/**
 * tf.js model directories (model.json + one weights file), the format that `tf.loadLayersModel`
 * reads in a browser and that `student/` of a run holds. tfjs-node's `file://` handler is not
 * available here, so the directory is written and read through tf.io's memory handlers.
 */

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

export interface ModelJson {
  format: 'layers-model';
  generatedBy: string;
  convertedBy: null;
  modelTopology: unknown;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  userDefinedMetadata?: Record<string, unknown>;
}

/** The model's artifacts (topology, weight specs and bytes) without touching the disk. */
export async function modelArtifacts(model: tfl.LayersModel): Promise<tf.io.ModelArtifacts> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!captured) throw new Error('tf.js returned no model artifacts');
  return captured;
}

/** Write model.json + weights.bin (atomically, each) from artifacts. */
export function writeArtifacts(dir: string, artifacts: tf.io.ModelArtifacts, metadata?: Record<string, unknown>): void {
  fs.mkdirSync(dir, { recursive: true });
  const data = artifacts.weightData;
  const bytes = data === undefined ? new Uint8Array(0) : new Uint8Array(tf.io.CompositeArrayBuffer.join(data));
  writeFileAtomic(path.join(dir, WEIGHTS_BIN), bytes);
  const json: ModelJson = {
    format: 'layers-model',
    generatedBy: 'SKD Lab',
    convertedBy: null,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
    userDefinedMetadata: metadata,
  };
  writeJsonAtomic(path.join(dir, MODEL_JSON), json);
}

export async function saveModelDir(dir: string, model: tfl.LayersModel, metadata?: Record<string, unknown>): Promise<void> {
  writeArtifacts(dir, await modelArtifacts(model), metadata);
}

/** Read a model directory written by SKD Lab or by tf.js (one or more weight shards). */
export function readModelJson(dir: string): ModelJson {
  const file = path.join(dir, MODEL_JSON);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as ModelJson;
}

export async function loadModelDir(dir: string): Promise<tfl.LayersModel> {
  const json = readModelJson(dir);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) buffers.push(fs.readFileSync(path.join(dir, p)));
  }
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  return tfl.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology as object, weightSpecs: specs, weightData }),
  );
}
