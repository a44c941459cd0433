import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { getDataFormat } from '../../../src/trainer/data';
import { isInputError } from '../../../src/trainer/errors';
import { getMethod } from '../../../src/trainer/methods';
import { modelFamilyNames } from '../../../src/trainer/models';
import { RUN_FORMATS } from '../../../src/trainer/pluginFormats';
import { loadPlugin, loadPluginsFromEnv, unloadPlugin } from '../../../src/trainer/plugins';

function writeModule(source: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skd-plugin-'));
  const file = path.join(dir, 'plugin.js');
  fs.writeFileSync(file, source);
  return file;
}

describe('plugin modules', () => {
  it('registers a method, a model family and a data format from one module', () => {
    const file = writeModule(`
      exports.name = 'my-method';
      exports.create = () => ({ name: 'my-method', needs: {}, extraVariables: () => [], losses: () => ({}), dispose() {} });
      exports.family = { name: 'my-net', build() { throw new Error('not built here'); } };
      exports.dataFormat = { name: 'my-data', load: async () => { throw new Error('not loaded here'); } };
    `);
    assert.deepEqual(loadPlugin(file, { formats: RUN_FORMATS }), ['method my-method', 'model my-net', 'data format my-data']);
    assert.equal(typeof getMethod('my-method'), 'function');
    assert.ok(modelFamilyNames().includes('my-net'));
    assert.equal(getDataFormat('my-data')?.name, 'my-data');
    assert.deepEqual(unloadPlugin(file), ['method my-method', 'model my-net']);
    assert.ok(!modelFamilyNames().includes('my-net'));
  });

  it('without format registries (the language server) a data format is recognised, not registered', () => {
    const file = writeModule(`exports.dataFormat = { name: 'server-data', load: async () => { throw new Error('no'); } };`);
    assert.deepEqual(loadPlugin(file), ['data format server-data']);
    assert.equal(getDataFormat('server-data'), undefined);
  });

  it('a model family may not take a built-in name; the error names the module', () => {
    const file = writeModule(`exports.family = { name: 'resnet', build() {} };`);
    assert.throws(() => loadPlugin(file), (e: unknown) => isInputError(e) && e.message === `${file}: the model name "resnet" is already taken by a built-in`);
  });

  it('reads SKD_PLUGINS, several paths joined by the path delimiter', () => {
    const a = writeModule(`exports.name = 'env-a'; exports.create = () => ({});`);
    const b = writeModule(`exports.family = { name: 'env-b', build() {} };`);
    assert.deepEqual(loadPluginsFromEnv({ SKD_PLUGINS: [a, b].join(path.delimiter) }), ['method env-a', 'model env-b']);
    assert.deepEqual(loadPluginsFromEnv({}), []);
  });

  it('rejects a module that provides nothing, or does not load, with one line naming it', () => {
    const empty = writeModule(`exports.something = 1;`);
    const broken = writeModule(`throw new Error('boom\\nsecond line');`);
    for (const file of [empty, broken, path.join(os.tmpdir(), 'no-such-plugin.js')]) {
      assert.throws(
        () => loadPlugin(file),
        (e: unknown) => isInputError(e) && e.message.startsWith(file) && !e.message.includes('\n'),
      );
    }
  });
});
