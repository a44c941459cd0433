import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { graphToOnnx, ONNX_INPUT, ONNX_OUTPUT } from './onnxGraph';
import type { ExportFormat, Predictor, Student, StudentMeta } from './types';
import type { Quantize } from './quantize';

export const ONNX_FILE = 'model.onnx';

interface LoadedOrt {
  ort: typeof Ort;
  runtime: string;
}

let loaded: LoadedOrt | undefined;

/**
 * The runtime that checks an ONNX export, loaded on first use (commands that export nothing start
 * without it): onnxruntime-node where its native library is installed (a checkout), else
 * onnxruntime-web's WebAssembly build, which runs on every platform and is what the one universal
 * .vsix carries (scripts/package.mjs). Both run the same kernels on the CPU.
 */
export function loadOrt(prefer: 'node' | 'web' = process.env.SKD_ONNX_RUNTIME === 'web' ? 'web' : 'node'): LoadedOrt {
  if (loaded && (prefer === 'node' || loaded.runtime.startsWith('onnxruntime-web'))) return loaded;
  let nodeError: unknown;
  if (prefer === 'node') {
    try {
      const ort = require('onnxruntime-node') as typeof Ort;
      const { version } = require('onnxruntime-node/package.json') as { version: string };
      return (loaded = { ort, runtime: `onnxruntime-node ${version}` });
    } catch (e) {
      nodeError = e;
    }
  }
  try {
    const ort = require('onnxruntime-web') as typeof Ort & { env: { wasm: { numThreads?: number }; versions?: { web?: string } } };
    // One thread: the trainer's processes keep to their core, and no worker is needed.
    ort.env.wasm.numThreads = 1;
    return (loaded = { ort, runtime: `onnxruntime-web ${ort.env.versions?.web ?? ''} (wasm)`.replace('  ', ' ') });
  } catch (e) {
    const why = (x: unknown) => String(x instanceof Error ? x.message : x).split('\n')[0];
    throw new Error(`no ONNX runtime to check the export: onnxruntime-node (${why(nodeError ?? 'not tried')}), onnxruntime-web (${why(e)})`);
  }
}

/** ONNX (opset 13), checked in onnxruntime-node, or onnxruntime-web where the native one is absent. */
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
    const { ort, runtime } = loadOrt();
    // Bytes rather than a path: onnxruntime-web takes a path as a URL to fetch.
    const session = await ort.InferenceSession.create(fs.readFileSync(path.join(dir, ONNX_FILE)), { intraOpNumThreads: 1, interOpNumThreads: 1 });
    return {
      runtime,
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
