// One esbuild script, one bundle per process: the extension host, the trainer (command line,
// language server, run worker) and the webview. `--production` minifies, `--watch` rebuilds.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

const require = createRequire(import.meta.url);

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

// tf.js (core, layers, the cpu and wasm backends) is bundled, so each process loads one
// tfjs-core: a backend loaded from node_modules brought its own, which printed "Platform node has
// already been set" on every run. The wasm backend's Emscripten loader reads its .wasm files
// from beside the code (`__dirname`), so they are copied into dist/. tfjs-node is optional and
// native, as is onnxruntime-node; `vscode` is the editor's.
// onnxruntime-web (the ONNX check where onnxruntime-node is absent) loads its .wasm and glue
// from beside its own file, so it stays in node_modules too.
const nodeExternal = ['vscode', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'onnxruntime-node', 'onnxruntime-web'];
const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];

function copyWasmFiles() {
  const from = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '..', 'dist');
  fs.mkdirSync('dist', { recursive: true });
  for (const f of WASM_FILES) fs.copyFileSync(path.join(from, f), path.join('dist', f));
}

/** Prints errors as `file:line:col: error: text`, the form a problem matcher reads. */
const problemMatcherPlugin = {
  name: 'problem-matcher',
  setup(build) {
    build.onEnd((result) => {
      for (const { text, location } of result.errors) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
      }
    });
  },
};

const node = (entry, outfile) => ({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  external: nodeExternal,
  // jsonc-parser's UMD entry requires files esbuild cannot see; its ES module entry bundles.
  mainFields: ['module', 'main'],
  logLevel: 'warning',
  plugins: [problemMatcherPlugin],
});

const builds = [
  node('src/extension/extension.ts', 'dist/extension.js'),
  node('src/trainer/cli.ts', 'dist/cli.js'),
  node('src/trainer/server/server.ts', 'dist/server.js'),
  node('src/trainer/bench/gradWorker.ts', 'dist/gradWorker.js'),
  // The thread that trains a run's student alone beside its teacher (src/trainer/engine/aloneBeside.ts).
  node('src/trainer/engine/aloneBeside.ts', 'dist/aloneWorker.js'),
  {
    entryPoints: ['webview/main.ts'],
    outfile: 'dist/webview.js',
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    sourcemap: !production,
    minify: production,
    logLevel: 'warning',
    plugins: [problemMatcherPlugin],
  },
];

// A missing entry is a broken build, not an optional one: say which and stop, so a renamed
// file never ships a package without its bundle.
const missing = builds.map((b) => b.entryPoints[0]).filter((e) => !fs.existsSync(e));
if (missing.length > 0) {
  console.error(`esbuild.mjs: missing entry point${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`);
  process.exit(1);
}

copyWasmFiles();
if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
