import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { sharedLoopSpec, type RunContext } from '../../../src/trainer/engine/context';

test('data.augment applies to the teacher only; the student trains on un-augmented images', () => {
  const augment = { flip: true, crop: 4 };
  // sharedLoopSpec only passes these through, so a bare context is enough.
  const ctx = {
    experiment: { seed: 1, training: {}, data: { format: 'builtin', augment } },
    dataset: {},
    splits: { fit: [], val: [] },
    run: {},
    stop: {},
    progress: () => undefined,
  } as unknown as RunContext;
  assert.deepEqual(sharedLoopSpec(ctx, 'teacher').augment, augment);
  assert.equal(sharedLoopSpec(ctx, 'student').augment, undefined);
});
