// One esbuild script, one bundle per process: the extension host, the trainer (command line,
// language server, run worker) and the webview. `--production` minifies, `--watch` rebuilds.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

// The wasm backend stays in node_modules (shipped in the .vsix by vsce) so that it finds its
// .wasm files beside it; it registers with tf.js's global engine, which the bundled tfjs-core
// shares. tfjs-node is optional and native, as is onnxruntime-node; `vscode` is the editor's.
const nodeExternal = ['vscode', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-backend-wasm', 'onnxruntime-node'];

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
  node('src/trainer/engine/runWorker.ts', 'dist/runWorker.js'),
  node('src/trainer/backend/gradWorker.ts', 'dist/gradWorker.js'),
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
].filter((b) => fs.existsSync(b.entryPoints[0]));

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
