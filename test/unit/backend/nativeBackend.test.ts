import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { TFJS_NODE_PATH_ENV } from '../../../src/protocol/nativeBackend';
import { findNativePackage, loadNativePackage, NativePackageMissing, nativeFolder } from '../../../src/trainer/backend/nativePackage';
import { selectBackend } from '../../../src/trainer/backend/select';
import { isInputError } from '../../../src/trainer/errors';
import { BIN, ensureBuilt } from '../../helpers/cli';
import { tinyExperiment, writeExperiment } from '../../helpers/experiment';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skd-native-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/**
 * A folder laid out as `npm install --prefix <folder> <pkg>` leaves it, holding a stand-in for
 * the package: a package.json and an index.js that Node really loads. With `register`, the
 * stand-in does what tfjs-node does when loaded: registers the 'tensorflow' backend (here the
 * cpu backend's kernels under that name) in tf.js's engine.
 */
function fakePackageFolder(name: string, pkg: string, register = false): { folder: string; dir: string } {
  const folder = path.join(tmp, name);
  const dir = path.join(folder, 'node_modules', ...pkg.split('/'));
  fs.mkdirSync(path.join(dir, 'dist'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: pkg, version: '4.22.0', main: 'dist/index.js' }));
  const core = JSON.stringify(require.resolve('@tensorflow/tfjs-core'));
  const cpu = JSON.stringify(require.resolve('@tensorflow/tfjs-backend-cpu'));
  fs.writeFileSync(
    path.join(dir, 'dist', 'index.js'),
    [
      `exports.loadedFrom = __dirname;`,
      register
        ? `const tf = require(${core}); const { MathBackendCPU } = require(${cpu});
           tf.copyRegisteredKernels('cpu', 'tensorflow');
           tf.registerBackend('tensorflow', () => new MathBackendCPU(), 1);`
        : '',
    ].join('\n'),
  );
  return { folder, dir };
}

test('native backend: the folder in SKD_TFJS_NODE_PATH is where tfjs-node is found and loaded from', () => {
  const { folder, dir } = fakePackageFolder('cpu', '@tensorflow/tfjs-node');
  const env = { [TFJS_NODE_PATH_ENV]: ` ${folder} ` };
  assert.equal(nativeFolder(env), folder);
  assert.equal(nativeFolder({ [TFJS_NODE_PATH_ENV]: '  ' }), undefined, 'a blank value names no folder');
  assert.equal(findNativePackage('@tensorflow/tfjs-node', folder), dir);
  assert.equal(findNativePackage('@tensorflow/tfjs-node', path.join(folder, 'node_modules')), dir, 'the node_modules folder itself is accepted too');
  assert.equal(findNativePackage('@tensorflow/tfjs-node-gpu', folder), undefined);

  const loaded = loadNativePackage('@tensorflow/tfjs-node', env);
  assert.equal(loaded.from, dir);
  assert.equal((loaded.module as { loadedFrom: string }).loadedFrom, path.join(dir, 'dist'), 'Node loaded the package\'s own main file');
});

test('native backend: a package in neither place is "missing", naming the folder searched', () => {
  const { folder } = fakePackageFolder('only-cpu', '@tensorflow/tfjs-node');
  assert.throws(
    () => loadNativePackage('@tensorflow/tfjs-node-gpu', { [TFJS_NODE_PATH_ENV]: folder }),
    (e: unknown) => e instanceof NativePackageMissing && e.pkg === '@tensorflow/tfjs-node-gpu' && e.message.includes(path.join(folder, 'node_modules')),
  );
  // SKD Lab's own node_modules has no native backend (it cannot install here).
  assert.throws(() => loadNativePackage('@tensorflow/tfjs-node', {}), NativePackageMissing);
});

test('native backend: selecting "tensorflow" activates what the package registered', async () => {
  const { folder, dir } = fakePackageFolder('registers', '@tensorflow/tfjs-node', true);
  const before = process.env[TFJS_NODE_PATH_ENV];
  process.env[TFJS_NODE_PATH_ENV] = folder;
  try {
    const selected = await selectBackend('tensorflow');
    assert.equal(selected.name, 'tensorflow');
    assert.equal(tf.getBackend(), 'tensorflow');
    assert.match(selected.detail, new RegExp(`@tensorflow/tfjs-node, CPU, from ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.deepEqual(Array.from(tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).dataSync()), [4, 6]);
  } finally {
    if (before === undefined) delete process.env[TFJS_NODE_PATH_ENV];
    else process.env[TFJS_NODE_PATH_ENV] = before;
    tf.removeBackend('tensorflow');
  }
});

test('native backend: a named backend that is not installed is an input error naming the file, the field and how to install', async () => {
  const empty = path.join(tmp, 'empty');
  fs.mkdirSync(empty, { recursive: true });
  const before = process.env[TFJS_NODE_PATH_ENV];
  process.env[TFJS_NODE_PATH_ENV] = empty;
  try {
    await assert.rejects(selectBackend('tensorflow-gpu', { file: '/x/exp.skd.json', field: 'backend' }), (e: unknown) => {
      assert.ok(isInputError(e));
      assert.equal(e.message.split('\n').length, 1);
      assert.match(e.message, /^\/x\/exp\.skd\.json: backend: "tensorflow-gpu" is not available: @tensorflow\/tfjs-node-gpu is not installed in /);
      assert.match(e.message, /SKD: Install Native Backend \(tfjs-node\)/);
      assert.match(e.message, /npm install --prefix <folder> @tensorflow\/tfjs-node-gpu/);
      return true;
    });
    // Without a source (the benchmark) it stays a plain error.
    await assert.rejects(selectBackend('tensorflow'), (e: unknown) => !isInputError(e) && /backend "tensorflow" is not available/.test((e as Error).message));
  } finally {
    if (before === undefined) delete process.env[TFJS_NODE_PATH_ENV];
    else process.env[TFJS_NODE_PATH_ENV] = before;
  }
});

test('native backend: `skd run` of an experiment with backend "tensorflow" and no tfjs-node says so in one line and exits 2', async () => {
  ensureBuilt();
  const dir = fs.mkdtempSync(path.join(tmp, 'run-'));
  const file = writeExperiment(dir, 'native', tinyExperiment({ backend: 'tensorflow' }));
  const result = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'run', file, '--out', path.join(dir, 'runs')], {
      cwd: dir,
      env: { ...process.env, [TFJS_NODE_PATH_ENV]: dir },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
  assert.equal(result.code, 2, result.stderr);
  const lines = result.stderr.split('\n').filter((l) => l.trim() && !/Platform node has already been set/.test(l));
  assert.equal(lines.length, 1, result.stderr);
  assert.ok(lines[0]?.startsWith(`skd: ${file}: backend: "tensorflow" is not available: @tensorflow/tfjs-node is not installed in ${path.join(dir, 'node_modules')}`), lines[0]);
  assert.match(lines[0] ?? '', /SKD: Install Native Backend/);
  assert.equal(fs.existsSync(path.join(dir, 'runs')), false, 'no run directory for a refused experiment');
});
