import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isInputError } from '../../../src/trainer/errors';
import { builtinMethodNames, getMethod, methodNames, methodRegistry, registerMethod } from '../../../src/trainer/methods/index';
import { skd, skdNoStages } from '../../../src/trainer/methods/skd';
import { loadMethodPlugin, unloadPlugin } from '../../../src/trainer/plugins';
import { kd } from '../../../src/trainer/methods/kd';
import { stagesTheStudent, trainsStudentAlone } from '../../../src/protocol/experiment';
import { none } from '../../../src/trainer/methods/none';
import type { MethodFactory } from '../../../src/trainer/methods/types';
import * as R from './reference';

function tempModule(source: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skd-method-'));
  const file = path.join(dir, 'plugin.js');
  fs.writeFileSync(file, source);
  return file;
}

test('the six baselines, SKD and its ablations are built in, registered by the registry itself', () => {
  assert.deepEqual(builtinMethodNames(), ['none', 'kd', 'fitnet', 'at', 'rco', 'dkd', 'skd', 'skd-no-tbt', 'skd-no-tet', 'skd-no-stages']);
  assert.equal(getMethod('kd'), kd);
  assert.equal(getMethod('none'), none);
  assert.equal(getMethod('skd'), skd);
  assert.equal(getMethod('skd-no-stages'), skdNoStages);
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

test('registerMethod adds a plugin name once; its module may replace it; unregistering its origin removes it', () => {
  const fake: MethodFactory = (s) => none(s);
  registerMethod('skd-test', fake, '/plugins/a.js');
  assert.equal(getMethod('skd-test'), fake);
  assert.ok(methodNames().includes('skd-test'));
  assert.ok(!builtinMethodNames().includes('skd-test' as never));
  const again: MethodFactory = (s) => none(s);
  registerMethod('skd-test', again, '/plugins/a.js');
  assert.equal(getMethod('skd-test'), again);
  assert.equal(methodNames().filter((n) => n === 'skd-test').length, 1);
  assert.throws(() => registerMethod('skd-test', fake, '/plugins/b.js'), /already taken by the plugin \/plugins\/a\.js/);
  assert.deepEqual(methodRegistry.unregisterOrigin('/plugins/a.js'), ['skd-test']);
  assert.ok(!methodNames().includes('skd-test'));
});

test('loadMethodPlugin registers a user plugin (a CommonJS file) under its exported name', () => {
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
  assert.equal(loadMethodPlugin(file), 'half-ce');
  assert.ok(methodNames().includes('half-ce'));
  const m = getMethod('half-ce')(R.setup());
  assert.equal(m.name, 'half-ce');
  const b = R.batch();
  const out = m.losses(b);
  R.close(R.value(out.half), 0.5 * R.sum(R.STUDENT.flat()));
  out.half.dispose();
  R.disposeBatch(b);
  assert.deepEqual(unloadPlugin(file), ['method half-ce']);
  assert.throws(() => getMethod('half-ce'), /unknown method "half-ce"/);
});

test('a module without name/create, or one that does not load, is a one-line InputError naming its path', () => {
  const bad = tempModule(`exports.factory = () => ({});`);
  assert.throws(
    () => loadMethodPlugin(bad),
    (e: unknown) => isInputError(e) && e.message.startsWith(`${bad}: method.module: `) && e.message.includes('`create`'),
  );
  const missing = path.join(os.tmpdir(), 'skd-no-such-dir', 'plugin.js');
  assert.throws(
    () => loadMethodPlugin(missing),
    (e: unknown) => isInputError(e) && e.message.startsWith(`${missing}: method.module: cannot load`) && !e.message.includes('\n'),
  );
  const broken = tempModule(`exports.name = ;`);
  assert.throws(() => loadMethodPlugin(broken), (e: unknown) => isInputError(e) && !e.message.includes('\n'));
});

test('a plugin may not take a built-in name', () => {
  const file = tempModule(`exports.name = 'kd'; exports.create = () => ({});`);
  assert.throws(() => loadMethodPlugin(file), (e: unknown) => isInputError(e) && /method\.module: the method name "kd" is already taken by a built-in/.test(e.message));
  assert.equal(getMethod('kd'), kd);
});

test("the methods that train the student alone for SKD's ahead check are those whose stages are checked", () => {
  for (const name of builtinMethodNames()) {
    const m = getMethod(name)(R.setup());
    try {
      // The protocol cannot ask the trainer's methods, so it lists them; this keeps the list true.
      const checked = m.needs.experience === true || m.needs.stageCheck === true;
      assert.equal(trainsStudentAlone({ method: { name, stages: 2, temperature: 2 }, studentAlone: false }), checked, name);
      assert.equal(trainsStudentAlone({ method: { name, stages: 2, temperature: 2, tet: { check: 'confidence' } }, studentAlone: false }), false, name);
      assert.equal(trainsStudentAlone({ method: { name, stages: 2, temperature: 2, tet: { check: 'ahead-only' } }, studentAlone: false }), checked, name);
    } finally {
      m.dispose();
    }
  }
});

test('the methods whose student may have fewer epochs than stages are those that read no per-stage signal', () => {
  for (const name of builtinMethodNames()) {
    const m = getMethod(name)(R.setup());
    try {
      // The protocol lists them for the experiment check (before any method is built); this keeps the list true.
      const staged = m.needs.stageLogits === true || m.needs.experience === true || m.needs.behaviour === true;
      assert.equal(stagesTheStudent(name), staged, name);
    } finally {
      m.dispose();
    }
  }
  assert.equal(stagesTheStudent('a-plugin-method'), true, 'a plugin is held to the stages');
});
