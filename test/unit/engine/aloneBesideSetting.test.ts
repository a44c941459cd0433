/**
 * When a run trains its student alone beside its teacher: by default only with a core to spare
 * and not turned off; several runs at once on one machine (the editor's queue, a local sweep)
 * turn it off for each, unless the user said otherwise.
 */
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { ALONE_BESIDE_ENV, aloneBesideByDefault, aloneBesideEnv } from '../../../src/trainer/engine/aloneBesideSetting';
import { threadable } from '../../../src/trainer/engine/aloneBeside';

test('a second core and no "0" in the environment, or "1"', () => {
  assert.equal(aloneBesideByDefault({}, 2), true);
  assert.equal(aloneBesideByDefault({}, 1), false);
  assert.equal(aloneBesideByDefault({ [ALONE_BESIDE_ENV]: '0' }, 16), false);
  assert.equal(aloneBesideByDefault({ [ALONE_BESIDE_ENV]: '1' }, 2), true);
  assert.equal(aloneBesideByDefault({ [ALONE_BESIDE_ENV]: '1' }, 1), true, '"1" asks for it on one core too');
});

test('runs side by side keep to a core each, unless the user set it', () => {
  assert.deepEqual(aloneBesideEnv(1, {}), {});
  assert.deepEqual(aloneBesideEnv(2, {}), { [ALONE_BESIDE_ENV]: '0' });
  assert.deepEqual(aloneBesideEnv(4, { [ALONE_BESIDE_ENV]: '1' }), {});
});

test('only backends whose threads are independent CPU instances', () => {
  assert.equal(threadable('wasm'), true);
  assert.equal(threadable('cpu'), true);
  assert.equal(threadable('tensorflow'), false);
  assert.equal(threadable('tensorflow-gpu'), false);
});
