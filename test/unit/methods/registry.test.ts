import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isInputError } from '../../../src/trainer/errors';
import { METHOD_NAMES, getMethod, loadMethodModule, registerMethod } from '../../../src/trainer/methods/index';
import { kd } from '../../../src/trainer/methods/kd';
import { none } from '../../../src/trainer/methods/none';
import type { MethodFactory } from '../../../src/trainer/methods/types';
import * as R from './reference';

function tempModule(source: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skd-method-'));
  const file = path.join(dir, 'plugin.js');
  fs.writeFileSync(file, source);
  return file;
}

test('the six baselines are built in', () => {
  assert.deepEqual([...METHOD_NAMES].slice(0, 6), ['none', 'kd', 'fitnet', 'at', 'rco', 'dkd']);
  assert.equal(getMethod('kd'), kd);
  assert.equal(getMethod('none'), none);
});

test('an unknown name is an InputError naming method.name and the known ones', () => {
  assert.throws(
    () => getMethod('hinton', 'exp.skd.json'),
    (e: unknown) =>
      isInputError(e) &&
      e.message.startsWith('exp.skd.json: method.name: unknown method "hinton"') &&
      e.message.includes('none, kd, fitnet, at, rco, dkd') &&
      !e.message.includes('\n'),
  );
});

test('registerMethod adds a name (SKD registers itself this way)', () => {
  const fake: MethodFactory = (s) => none(s);
  registerMethod('skd-test', fake);
  assert.equal(getMethod('skd-test'), fake);
  assert.ok(METHOD_NAMES.includes('skd-test'));
  registerMethod('skd-test', fake);
  assert.equal(METHOD_NAMES.filter((n) => n === 'skd-test').length, 1);
});

test('loadMethodModule registers a user plugin (a CommonJS file) under its exported name', () => {
  // A plugin brings its own tf.js import; the engine and registries are process-wide.
  const file = tempModule(`
    const tf = require(${JSON.stringify(require.resolve('@tensorflow/tfjs-core'))});
    exports.name = 'half-ce';
    exports.create = (setup) => ({
      name: 'half-ce',
      needs: {},
      extraVariables: () => [],
      losses: (batch) => ({ half: tf.tidy(() => tf.mul(tf.sum(batch.studentLogits), 0.5)) }),
      dispose: () => undefined,
      classes: setup.numClasses,
    });
  `);
  assert.equal(loadMethodModule(file), 'half-ce');
  assert.ok(METHOD_NAMES.includes('half-ce'));
  const m = getMethod('half-ce')(R.setup());
  assert.equal(m.name, 'half-ce');
  const b = R.batch();
  const out = m.losses(b);
  R.close(R.value(out.half), 0.5 * R.sum(R.STUDENT.flat()));
  out.half.dispose();
  R.disposeBatch(b);
});

test('a module without name/create, or one that does not load, is a one-line InputError naming its path', () => {
  const bad = tempModule(`exports.factory = () => ({});`);
  assert.throws(
    () => loadMethodModule(bad),
    (e: unknown) => isInputError(e) && e.message.startsWith(`${bad}: method.module: `) && e.message.includes('`create`'),
  );
  const missing = path.join(os.tmpdir(), 'skd-no-such-dir', 'plugin.js');
  assert.throws(
    () => loadMethodModule(missing),
    (e: unknown) => isInputError(e) && e.message.startsWith(`${missing}: method.module: cannot load`) && !e.message.includes('\n'),
  );
  const broken = tempModule(`exports.name = ;`);
  assert.throws(() => loadMethodModule(broken), (e: unknown) => isInputError(e) && !e.message.includes('\n'));
});

test('a plugin may not take a built-in name', () => {
  const file = tempModule(`exports.name = 'kd'; exports.create = () => ({});`);
  assert.throws(() => loadMethodModule(file), /already taken/);
  assert.equal(getMethod('kd'), kd);
});
