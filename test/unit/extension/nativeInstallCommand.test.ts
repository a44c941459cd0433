import './vscodeMock';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import type * as vscode from 'vscode';
import { NativeBackendInstaller } from '../../../src/extension/native/installNative';
import { tfjsNodeEnv } from '../../../src/extension/native/tfjsNodePath';
import { TFJS_NODE_PATH_ENV } from '../../../src/protocol/nativeBackend';
import { globalSettings, quickPick, shownMessages } from './vscodeMock';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skd-native-cmd-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const logged: string[] = [];
const log = { info: (l: string) => logged.push(l), warn: (l: string) => logged.push(l), error: (l: string) => logged.push(l), show() {} } as unknown as vscode.LogOutputChannel;
const context = {
  globalStorageUri: { fsPath: path.join(tmp, 'storage') },
  extension: { packageJSON: { dependencies: { '@tensorflow/tfjs-core': '4.22.0' } } },
} as unknown as vscode.ExtensionContext;
const SETTING = 'skdLab.tfjsNodePath';

/** Runs `fn` with npm's registry set through the environment, as a user's .npmrc would. */
async function withRegistry<T>(registry: string, fn: () => Promise<T>): Promise<T> {
  const saved = { registry: process.env.npm_config_registry, retries: process.env.npm_config_fetch_retries };
  process.env.npm_config_registry = registry;
  process.env.npm_config_fetch_retries = '0';
  try {
    return await fn();
  } finally {
    for (const [k, v] of [['npm_config_registry', saved.registry], ['npm_config_fetch_retries', saved.retries]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/**
 * A registry on localhost that serves one package, `@tensorflow/tfjs-node@4.22.0`: a stand-in
 * packed by the real `npm pack` (no install script, no dependencies), so the real npm installs it.
 */
async function localRegistry(): Promise<{ url: string; close: () => Promise<void> }> {
  const src = path.join(tmp, 'pkg');
  fs.mkdirSync(src, { recursive: true });
  fs.writeFileSync(path.join(src, 'package.json'), JSON.stringify({ name: '@tensorflow/tfjs-node', version: '4.22.0', main: 'index.js' }));
  fs.writeFileSync(path.join(src, 'index.js'), 'exports.standIn = true;\n');
  const name = execFileSync('npm', ['pack', '--silent', '--pack-destination', tmp], { cwd: src, encoding: 'utf8' }).trim().split('\n').pop() as string;
  const tarball = fs.readFileSync(path.join(tmp, name));
  const integrity = `sha512-${crypto.createHash('sha512').update(tarball).digest('base64')}`;
  const server = http.createServer((req, res) => {
    const url = decodeURIComponent(req.url ?? '');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    if (url === '/@tensorflow/tfjs-node') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ name: '@tensorflow/tfjs-node', 'dist-tags': { latest: '4.22.0' }, versions: { '4.22.0': { name: '@tensorflow/tfjs-node', version: '4.22.0', main: 'index.js', dist: { tarball: `${base}/tarball.tgz`, integrity } } } }));
    } else if (url === '/tarball.tgz') {
      res.end(tarball);
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

test('install command: npm installs the chosen package into the extension\'s storage and the setting points there', async () => {
  globalSettings.delete(SETTING);
  shownMessages.length = 0;
  quickPick.answer = (items) => items.find((i) => (i as { label: string }).label === 'CPU');
  const registry = await localRegistry();
  try {
    const installer = new NativeBackendInstaller(context, log);
    const ok = await withRegistry(registry.url, () => installer.run());
    assert.equal(ok, true, logged.join('\n'));
    const folder = path.join(tmp, 'storage', 'native');
    assert.equal(globalSettings.get(SETTING), folder);
    assert.ok(fs.existsSync(path.join(folder, 'node_modules', '@tensorflow', 'tfjs-node', 'index.js')));
    assert.equal(fs.existsSync(path.join(folder, 'package.json')), false, '--no-save leaves no package.json behind');
    assert.deepEqual(tfjsNodeEnv(), { [TFJS_NODE_PATH_ENV]: folder }, 'the trainer gets the folder at its next start');
    assert.ok(logged.some((l) => l.startsWith('Installing @tensorflow/tfjs-node@4.22.0 into')));
    assert.match(shownMessages.at(-1)?.text ?? '', /^SKD Lab: @tensorflow\/tfjs-node is installed in .*"auto" or "tensorflow"/);
  } finally {
    await registry.close();
    globalSettings.delete(SETTING);
  }
});

test('install command: a failed install is one error message and leaves the setting alone', async () => {
  globalSettings.delete(SETTING);
  shownMessages.length = 0;
  quickPick.answer = (items) => items.find((i) => (i as { label: string }).label.startsWith('GPU'));
  const installer = new NativeBackendInstaller(context, log);
  const ok = await withRegistry('http://127.0.0.1:9/', () => installer.run());
  assert.equal(ok, false);
  assert.equal(globalSettings.has(SETTING), false);
  const errors = shownMessages.filter((m) => m.level === 'error');
  assert.equal(errors.length, 1);
  assert.match(errors[0]?.text ?? '', /^SKD Lab: Installing @tensorflow\/tfjs-node-gpu failed: npm could not reach its package registry .* Training goes on with the wasm backend\.$/);
  assert.ok(logged.some((l) => l.startsWith('npm: ') && l.includes('ECONNREFUSED')), 'npm\'s own output is in the log');
});
