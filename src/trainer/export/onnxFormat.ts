import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { graphToOnnx, ONNX_INPUT, ONNX_OUTPUT } from './onnxGraph';
import type { ExportFormat, Predictor, Student, StudentMeta } from './types';
import type { Quantize } from './quantize';

export const ONNX_FILE = 'model.onnx';

/** Loaded when an ONNX export is checked, so that commands which export nothing start without it. */
function loadOrt(): { ort: typeof Ort; version: string } {
  return {
    ort: require('onnxruntime-node') as typeof Ort,
    version: (require('onnxruntime-node/package.json') as { version: string }).version,
  };
}

/** ONNX (opset 13), checked in onnxruntime-node. */
export const onnxFormat: ExportFormat = {
  name: 'onnx',
  description: 'ONNX opset 13, input NHWC float32 "input", output "logits"',

  async write(student: Student, quantize: Quantize, dir: string): Promise<string[]> {
    const bytes = graphToOnnx(student.folded, {
      quantize,
      docString: `SKD Lab student (${student.meta.family}), weights ${quantize === 'none' ? 'float32' : quantize}`,
      metadata: {
        inputShape: JSON.stringify(student.meta.inputShape),
        layout: 'NHWC',
        mean: JSON.stringify(student.meta.mean),
        std: JSON.stringify(student.meta.std),
        labels: JSON.stringify(student.meta.labels),
      },
    });
    fs.writeFileSync(path.join(dir, ONNX_FILE), bytes);
    return [ONNX_FILE];
  },

  async load(dir: string): Promise<Predictor> {
    const { ort, version } = loadOrt();
    const session = await ort.InferenceSession.create(path.join(dir, ONNX_FILE), { intraOpNumThreads: 1, interOpNumThreads: 1 });
    return {
      runtime: `onnxruntime-node ${version}`,
      async run(x, shape) {
        const out = await session.run({ [ONNX_INPUT]: new ort.Tensor('float32', x, shape) });
        return out[ONNX_OUTPUT].data as Float32Array;
      },
      dispose: () => session.release(),
    };
  },

  snippets(files: string[], meta: StudentMeta): Record<string, string> {
    const [h, w, c] = meta.inputShape;
    const file = files[0] ?? ONNX_FILE;
    return {
      node: [
        "const ort = require('onnxruntime-node');",
        `const session = await ort.InferenceSession.create('${file}');`,
        `// x: Float32Array of ${h}*${w}*${c} values, NHWC, (pixel/255 - mean) / std per channel`,
        `const { logits } = await session.run({ input: new ort.Tensor('float32', x, [1, ${h}, ${w}, ${c}]) });`,
      ].join('\n'),
      python: [
        'import numpy as np, onnxruntime as ort',
        `session = ort.InferenceSession('${file}')`,
        `mean, std = np.array(${JSON.stringify(meta.mean)}), np.array(${JSON.stringify(meta.std)})`,
        `x = ((pixels / 255.0 - mean) / std).astype(np.float32).reshape(1, ${h}, ${w}, ${c})  # pixels: uint8 HWC`,
        "logits = session.run(['logits'], {'input': x})[0]",
      ].join('\n'),
    };
  },
};
