import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { findAdb } from '../../../src/trainer/export/device';
import { findOnPath } from '../../../src/trainer/util/findOnPath';

test('findOnPath finds an executable file in PATH order, and skips folders and non-executables', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'skd-path-'));
  const [a, b, c] = ['a', 'b', 'c'].map((d) => fs.mkdirSync(path.join(root, d)) ?? path.join(root, d));
  fs.writeFileSync(path.join(a, 'adb'), 'not executable', { mode: 0o644 });
  fs.mkdirSync(path.join(b, 'adb'));
  fs.writeFileSync(path.join(c, 'adb'), '#!/bin/sh\n', { mode: 0o755 });
  const envPath = ['', a, b, c].join(path.delimiter);
  assert.equal(findOnPath('adb', envPath), path.join(c, 'adb'));
  assert.equal(findAdb(envPath), path.join(c, 'adb'), 'the device command asks the same question');
  assert.equal(findOnPath('sbatch', envPath), undefined);
  assert.equal(findOnPath('adb', ''), undefined);
  fs.rmSync(root, { recursive: true, force: true });
});
