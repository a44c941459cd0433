import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';

const root = path.resolve(__dirname, '..', '..', '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skd-pkg-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface PackageScript {
  TARGETS: Record<string, string>;
  ignoreFileFor(target: string, base?: string, modules?: string): string;
}

function fakeOnnxruntime(): string {
  const modules = path.join(tmp, 'node_modules');
  const files: Record<string, string[]> = {
    'linux/x64': ['libonnxruntime.so.1', 'onnxruntime_binding.node'],
    'linux/arm64': ['libonnxruntime.so.1', 'onnxruntime_binding.node'],
    'darwin/arm64': ['libonnxruntime.1.30.0.dylib', 'libonnxruntime.1.dylib', 'onnxruntime_binding.node'],
    'win32/x64': ['onnxruntime.dll', 'DirectML.dll', 'onnxruntime_binding.node'],
  };
  for (const [dir, names] of Object.entries(files)) {
    const d = path.join(modules, 'onnxruntime-node', 'bin', 'napi-v6', ...dir.split('/'));
    fs.mkdirSync(d, { recursive: true });
    for (const n of names) fs.writeFileSync(path.join(d, n), '');
  }
  return modules;
}

test('packaging: each platform\'s .vsix lets in its own onnxruntime binaries only', async () => {
  const script = (await import(path.join(root, 'scripts', 'package.mjs'))) as PackageScript;
  const modules = fakeOnnxruntime();
  const base = fs.readFileSync(path.join(root, '.vscodeignore'), 'utf8');
  const linux = script.ignoreFileFor('linux-x64', base, modules);
  assert.ok(linux.startsWith(base.trimEnd()), 'the repository\'s .vscodeignore comes first');
  const letIn = (text: string) => text.split('\n').filter((l) => l.startsWith('!node_modules/onnxruntime-node/bin/'));
  assert.ok(linux.includes('!node_modules/onnxruntime-node/dist/*.js'), 'with its JavaScript');
  assert.ok(!base.includes('onnxruntime-node/bin'), 'the universal package has no native onnxruntime');
  assert.deepEqual(letIn(linux), [
    '!node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1',
    '!node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node',
  ]);
  // macOS: the versioned dylib is a second copy of the one the binding loads.
  assert.deepEqual(letIn(script.ignoreFileFor('darwin-arm64', base, modules)).map((l) => path.basename(l)), ['libonnxruntime.1.dylib', 'onnxruntime_binding.node']);
  assert.equal(letIn(script.ignoreFileFor('win32-x64', base, modules)).length, 3);
  assert.throws(() => script.ignoreFileFor('plan9-mips', base, modules), /unknown target "plan9-mips"/);
  assert.deepEqual(Object.keys(script.TARGETS).sort(), ['darwin-arm64', 'linux-arm64', 'linux-x64', 'win32-arm64', 'win32-x64']);
});

test('packaging: the .vscodeignore leaves out sources, maps and node_modules but for what runs', () => {
  const lines = fs.readFileSync(path.join(root, '.vscodeignore'), 'utf8').split('\n').map((l) => l.trim());
  for (const p of ['src/**', 'test/**', 'webview/**', '**/*.map', 'node_modules/**', 'README.md', 'media/marketplace/**']) assert.ok(lines.includes(p), `leaves out ${p}`);
  for (const p of [
    '!node_modules/@tensorflow/tfjs-core/dist/tf-core.min.js',
    '!node_modules/onnxruntime-web/dist/ort.node.min.js',
    '!node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm',
    '!node_modules/onnxruntime-common/dist/cjs/*.js',
  ]) {
    assert.ok(lines.includes(p), `lets in ${p}`);
  }
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as Record<string, unknown> & { scripts: Record<string, string>; devDependencies: Record<string, string> };
  assert.equal(pkg.scripts.package, 'node esbuild.mjs --production && node scripts/package.mjs');
  assert.match(pkg.devDependencies['@vscode/vsce'] ?? '', /^\d+\.\d+\.\d+$/, 'vsce is pinned');
  assert.ok(pkg.repository && pkg.icon === 'media/icon.png' && fs.existsSync(path.join(root, 'media', 'icon.png')));
  assert.match(fs.readFileSync(path.join(root, 'LICENSE'), 'utf8'), /MIT License[\s\S]*SKD Lab contributors/);
  const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { devDependencies?: Record<string, string> }> };
  assert.equal(lock.packages['']?.devDependencies?.['@vscode/vsce'], pkg.devDependencies['@vscode/vsce'], 'the lock file lists vsce as package.json does');
});
