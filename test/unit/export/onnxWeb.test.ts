/**
 * The universal .vsix has no onnxruntime-node (a native library per platform): there an ONNX
 * export is checked in onnxruntime-web's WebAssembly build. Same check, same tolerance.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { exportRun } from '../../../src/trainer/export';
import type { ModelCard } from '../../../src/trainer/export/card';
import { loadOrt } from '../../../src/trainer/export/onnxFormat';
import { makeRunDir, makeStudent, shapesData } from './fixtures';

let runDir = '';
before(async () => {
  await tf.setBackend('cpu');
  runDir = await makeRunDir(makeStudent('cnn'), 'cnn');
});
after(() => fs.rmSync(runDir, { recursive: true, force: true }));

test('an ONNX export is checked in onnxruntime-web where onnxruntime-node is absent', async () => {
  assert.match(loadOrt('web').runtime, /^onnxruntime-web \d+\.\d+\.\d+ \(wasm\)$/);
  const r = await exportRun(runDir, { format: 'onnx', quantize: 'none', testSet: shapesData(60, 5) });
  assert.ok(r.maxAbsLogitDiff <= 1e-4, `max logit diff ${r.maxAbsLogitDiff}`);
  const card = JSON.parse(fs.readFileSync(`${r.outDir}/model-card.json`, 'utf8')) as ModelCard & { verification?: { runtime?: string } };
  assert.match(JSON.stringify(card), /onnxruntime-web \d+\.\d+\.\d+ \(wasm\)/);
});
