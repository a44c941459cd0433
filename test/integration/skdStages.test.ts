/**
 * SKD's stages end to end on tiny real runs: one stage works (it used to crash inside tf.js),
 * a reused teacher recorded with another number of stages, or with its stages cut another way,
 * is an input error naming `method.stages` or `method.boundaries`, and the trajectory holds
 * every epoch's logits and the stage plan.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { RUN_FILES } from '../../src/protocol/runDir';
import { runExperiment } from '../../src/trainer/engine/run';
import { DEFAULT_BOUNDARIES } from '../../src/trainer/engine/schedule';
import { Trajectory } from '../../src/trainer/skd/trajectory';
import { eventsOf, readMetrics, tempDir, tinyExperiment, writeExperiment } from '../helpers/experiment';

const tmp = tempDir('skd-stages-');
after(tmp.cleanup);
const out = path.join(tmp.dir, 'runs');

describe('SKD stages, end to end', () => {
  let teacherDir = '';

  it('records every epoch of the teacher and the stage of each', async () => {
    const file = writeExperiment(tmp.dir, 'teacher', tinyExperiment({ name: 'teacher', teacher: { model: 'cnn', width: 4, epochs: 3 }, studentAlone: false }));
    const r = await runExperiment(file, { outDir: out });
    teacherDir = r.dir;
    const t = Trajectory.open(path.join(r.dir, RUN_FILES.trajectory));
    assert.equal(t.meta.format, 'skd-trajectory/2');
    assert.deepEqual(t.epochRecords.map((e) => e.epoch), [0, 1, 2]);
    assert.equal(t.meta.plan!.length, 3);
    assert.equal(t.meta.stages, 2);
    for (const e of t.epochRecords) assert.equal(t.epochLogits(e.epoch).length, t.meta.images * t.meta.classes);
    const tet = eventsOf(readMetrics(r.dir), 'tet');
    assert.equal(tet.length, 2);
    for (const m of tet) {
      assert.ok(m.temperature! > 0 && m.nll! > 0 && m.teacherNll! > 0);
      assert.ok(m.identity ? m.nll === m.teacherNll : m.nll! < m.teacherNll!, 'TET is never worse than the raw teacher on held-out images');
      assert.ok(m.corrected! >= 0 && m.corrected! <= 1);
    }
  });

  for (const method of ['skd', 'skd-no-tbt', 'skd-no-tet', 'skd-no-stages']) {
    it(`${method} with one stage runs to the end`, async () => {
      const file = writeExperiment(tmp.dir, `one-${method}`, tinyExperiment({ name: `one-${method}`, method: { name: method, stages: 1, tbt: { epochs: 2 }, tet: { epochs: 5 } }, studentAlone: false }));
      const r = await runExperiment(file, { outDir: out });
      assert.equal(r.state, 'done');
      assert.ok(r.summary!.student.testAcc > 0);
    });
  }

  it('a reused teacher recorded with other stages is an input error naming method.stages', async () => {
    const file = writeExperiment(
      tmp.dir,
      'mismatch',
      tinyExperiment({ name: 'mismatch', teacher: { run: teacherDir }, student: { model: 'cnn', width: 4, epochs: 3 }, method: { name: 'skd', stages: 3, tbt: { epochs: 2 }, tet: { epochs: 5 } }, studentAlone: false }),
    );
    await assert.rejects(runExperiment(file, { outDir: out }), /method\.stages.*is 3, but the teacher in .* recorded 2 stages/);
  });

  it('a reused teacher whose stages were cut another way is an input error naming method.boundaries', async () => {
    // Three cosine epochs in two stages: by learning rate [0, 1, 1], by epochs [0, 0, 1].
    const other = DEFAULT_BOUNDARIES === 'lr' ? 'epochs' : 'lr';
    const reuse = (name: string, boundaries: string) =>
      writeExperiment(tmp.dir, name, tinyExperiment({ name, teacher: { run: teacherDir }, method: { name: 'skd', stages: 2, boundaries, tbt: { epochs: 2 }, tet: { epochs: 5 } }, studentAlone: false }));
    await assert.rejects(runExperiment(reuse('cut-other', other), { outDir: out }), new RegExp(`method\\.boundaries.*is "${other}", but the teacher in .* recorded its stages by "${DEFAULT_BOUNDARIES}": set method\\.boundaries to "${DEFAULT_BOUNDARIES}"`));
    const r = await runExperiment(reuse('cut-same', DEFAULT_BOUNDARIES), { outDir: out });
    assert.equal(r.state, 'done');
  });
});
