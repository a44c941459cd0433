import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { classifyNpmFailure, npmFailureMessage } from '../../../src/extension/native/npmFailure';
import { NpmInstall, npmInstallArgs } from '../../../src/extension/native/npmInstall';

const fixture = (name: string) => fs.readFileSync(path.join(__dirname, 'fixtures', name), 'utf8');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skd-npm-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('native install: npm\'s real output when tfjs-node cannot download libtensorflow reads as that, in one message', () => {
  // Captured from `npm install --prefix /tmp/x @tensorflow/tfjs-node` on a machine without
  // access to storage.googleapis.com.
  const failure = classifyNpmFailure(fixture('npm-install-tfjs-node-offline.txt'));
  assert.deepEqual(failure, { kind: 'library-download', host: 'storage.googleapis.com', reason: 'getaddrinfo ENOTFOUND storage.googleapis.com' });
  const text = npmFailureMessage('@tensorflow/tfjs-node', failure);
  assert.equal(text.split('\n').length, 1);
  assert.match(text, /^Installing @tensorflow\/tfjs-node failed: .*could not download the TensorFlow library \(libtensorflow\) from storage\.googleapis\.com/);
  assert.match(text, /needs internet access to storage\.googleapis\.com, or a pre-downloaded libtensorflow/);
  assert.match(text, /Training goes on with the wasm backend\.$/);
});

test('native install: a registry npm cannot reach is not taken for the library download', () => {
  // Captured from the same install with --registry http://127.0.0.1:9/.
  const failure = classifyNpmFailure(fixture('npm-install-registry-unreachable.txt'));
  assert.equal(failure.kind, 'registry');
  assert.match(failure.reason, /ECONNREFUSED 127\.0\.0\.1:9/);
  assert.match(npmFailureMessage('@tensorflow/tfjs-node-gpu', failure), /npm could not reach its package registry .*wasm backend/);
  const other = classifyNpmFailure('npm error code E404\nnpm error 404 Not Found - GET https://registry.npmjs.org/@tensorflow%2ftfjs-nod - Not found\nnpm error A complete log of this run can be found in: /root/.npm/_logs/x.log\n');
  assert.deepEqual(other, { kind: 'other', reason: '404 Not Found - GET https://registry.npmjs.org/@tensorflow%2ftfjs-nod - Not found' });
});

test('native install: the install runs npm with --no-save --prefix and streams its lines', async () => {
  assert.deepEqual(npmInstallArgs('/s/native', '@tensorflow/tfjs-node@4.22.0').filter((a) => !a.startsWith('--no-') || a === '--no-save'), [
    'install',
    '--no-save',
    '--prefix',
    '/s/native',
    '@tensorflow/tfjs-node@4.22.0',
  ]);
  // The real npm, pointed at a registry that refuses connections: it fails at once, offline.
  const saved = { registry: process.env.npm_config_registry, retries: process.env.npm_config_fetch_retries };
  process.env.npm_config_registry = 'http://127.0.0.1:9/';
  process.env.npm_config_fetch_retries = '0';
  try {
    const lines: string[] = [];
    const result = await new NpmInstall({ prefix: path.join(tmp, 'native'), spec: '@tensorflow/tfjs-node@4.22.0', onLine: (l) => lines.push(l) }).done;
    assert.notEqual(result.code, 0);
    assert.equal(result.cancelled, false);
    assert.ok(lines.some((l) => l.includes('ECONNREFUSED')), lines.join('\n'));
    assert.equal(classifyNpmFailure(result.output).kind, 'registry');
  } finally {
    for (const [k, v] of [['npm_config_registry', saved.registry], ['npm_config_fetch_retries', saved.retries]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  const missing = await new NpmInstall({ prefix: tmp, spec: 'x', onLine: () => {}, npm: path.join(tmp, 'no-such-npm') }).done;
  assert.match(missing.spawnError ?? '', /ENOENT/);
});

test('native install: the manifest contributes the command and the machine-scoped setting the code uses', async () => {
  const { Commands } = await import('../../../src/extension/constants');
  const { TFJS_NODE_PATH_SETTING } = await import('../../../src/protocol/nativeBackend');
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
    contributes: { commands: { command: string; title: string; category: string }[]; configuration: { properties: Record<string, { type: string; scope?: string }> } };
  };
  const command = pkg.contributes.commands.find((c) => c.command === Commands.installNativeBackend);
  assert.deepEqual(command && { title: command.title, category: command.category }, { title: 'Install Native Backend (tfjs-node)', category: 'SKD' });
  const setting = pkg.contributes.configuration.properties[`skdLab.${TFJS_NODE_PATH_SETTING}`];
  assert.equal(setting?.type, 'string');
  assert.equal(setting?.scope, 'machine', 'a workspace cannot choose native code to load');
});
