/** Progress goes out at most once per interval, and the last report (fraction 1) always does. */
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { progressThrottle } from '../../../src/trainer/engine/context';

test('the first report, then none within the interval but the last', () => {
  const due = progressThrottle(60_000);
  assert.equal(due(0.1), true);
  assert.equal(due(0.2), false);
  assert.equal(due(0.99), false);
  assert.equal(due(1), true);
});

test('after the interval the next report goes out', async () => {
  const due = progressThrottle(5);
  assert.equal(due(0.1), true);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(due(0.2), true);
});
