/** Where the trainer looks for runs: a runs folder's runs, a sweep's or bench's, and a draw's of a draws folder. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { findRunDirs } from '../../../src/trainer/runDir/runFiles';
import { tempDir } from '../../helpers/experiment';

const tmp = tempDir('skd-find-runs-');
after(tmp.cleanup);

function run(...parts: string[]): string {
  const dir = path.join(tmp.dir, ...parts);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'status.json'), '{"state":"done"}');
  return dir;
}

test('findRunDirs: three levels deep, never inside a run, never in node_modules or hidden folders', () => {
  const wanted = [
    run('a-20260101-100000'),
    run('bench-methods-1', 'teacher'),
    run('bench-methods-1', 'kd-s1'),
    run('bench-draws-1', 'data-seed-2', 'kd-s1'),
  ];
  run('a-20260101-100000', 'checkpoints', 'inner'); // a run's own folder: not a run of the list
  run('deep', 'er', 'than', 'three');
  run('node_modules', 'pkg');
  run('.hidden', 'x');
  assert.deepEqual(findRunDirs([tmp.dir]), [...wanted].sort());
  assert.deepEqual(findRunDirs([path.join(tmp.dir, 'missing')]), []);
});
