/** `--set key=value`: typed by the experiment schema, one-line errors naming the key and value. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { applyOverrides, loadExperimentWithOverrides, parseSetOption, takeSetOptions } from '../../../src/trainer/config/overrides';
import { isInputError } from '../../../src/trainer/errors';
import { tempDir, tinyExperiment, writeExperiment } from '../../helpers/experiment';

function message(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.ok(isInputError(e), String(e));
    return (e as Error).message;
  }
  assert.fail('expected an InputError');
}

describe('parseSetOption', () => {
  it('types values by the schema', () => {
    assert.deepEqual(parseSetOption('method.temperature=2').value, 2);
    assert.deepEqual(parseSetOption('student.epochs=20').value, 20);
    assert.deepEqual(parseSetOption('method.name=kd').value, 'kd');
    assert.deepEqual(parseSetOption('studentAlone=false').value, false);
    assert.deepEqual(parseSetOption('training.milestones=[0.3,0.6]').value, [0.3, 0.6]);
    assert.deepEqual(parseSetOption('data.limit={"train":100}').value, { train: 100 });
    assert.deepEqual(parseSetOption('method.tbt.cell=lstm').value, 'lstm');
    // A name that looks like a number stays a string where the schema wants a string.
    assert.deepEqual(parseSetOption('name=2024').value, '2024');
  });

  it('resolves path settings against the given folder', () => {
    assert.equal(parseSetOption('teacher.run=../t', '/a/b').value, path.resolve('/a/t'));
    assert.equal(parseSetOption('data.dir=data', '/a').value, '/a/data');
  });

  it('bad keys and values: one line naming them', () => {
    assert.equal(message(() => parseSetOption('student.epoch=3')), 'command line: --set student.epoch=3: unknown key "student.epoch" (student has: model, depth, width, epochs)');
    assert.match(message(() => parseSetOption('foo=1')), /--set foo=1: unknown key "foo" \(an experiment has: name, seed, data/);
    assert.equal(message(() => parseSetOption('student.epochs=2.5')), 'command line: --set student.epochs=2.5: must be an integer, got "2.5"');
    assert.equal(message(() => parseSetOption('method.temperature=hot')), 'command line: --set method.temperature=hot: must be a number, got "hot"');
    assert.equal(message(() => parseSetOption('studentAlone=yes')), 'command line: --set studentAlone=yes: must be true or false, got "yes"');
    assert.match(message(() => parseSetOption('training.milestones=[0.3,')), /--set training\.milestones=\[0\.3,: must be JSON/);
    assert.match(message(() => parseSetOption('temperature')), /expected key=value/);
    assert.match(message(() => parseSetOption('method..name=kd')), /not a setting/);
    for (const m of [message(() => parseSetOption('student.epoch=3')), message(() => parseSetOption('student.epochs=2.5'))]) assert.ok(!m.includes('\n'));
  });

  it('takeSetOptions takes every --set and leaves the rest', () => {
    const r = takeSetOptions(['a.skd.json', '--set', 'seed=3', '--out', 'x', '--set=method.name=kd']);
    assert.deepEqual(r.rest, ['a.skd.json', '--out', 'x']);
    assert.deepEqual(r.overrides.map((o) => [o.key, o.value]), [['seed', 3], ['method.name', 'kd']]);
  });
});

describe('applyOverrides and loading', () => {
  it('sets nested keys, creating objects, without touching the input', () => {
    const base = tinyExperiment();
    const out = applyOverrides(base, [parseSetOption('method.tbt.hidden=8'), parseSetOption('training.lr=0.1')]);
    assert.equal((out.method as { tbt: { hidden: number } }).tbt.hidden, 8);
    assert.equal((out.training as { lr: number }).lr, 0.1);
    assert.equal((base.training as { lr?: number }).lr, undefined);
  });

  it('teacher.run switches the teacher from a network to a run reference', () => {
    const out = applyOverrides(tinyExperiment(), [parseSetOption('teacher.run=/runs/t')]);
    assert.deepEqual(out.teacher, { run: '/runs/t' });
  });

  it('a value the schema rejects names the override, not the file', () => {
    const tmp = tempDir();
    try {
      const file = writeExperiment(tmp.dir, 'e', tinyExperiment());
      assert.equal(message(() => loadExperimentWithOverrides(file, [parseSetOption('method.temperature=1000')])), 'command line: --set method.temperature=1000: must be <= 100');
      assert.match(message(() => loadExperimentWithOverrides(file, [parseSetOption('student.epochs=1')])), /--set student\.epochs=1: 1 epochs cannot hold 2 learning stages/);
      const exp = loadExperimentWithOverrides(file, [parseSetOption('method.name=kd'), parseSetOption('student.epochs=3')]);
      assert.equal(exp.method.name, 'kd');
      assert.equal(exp.student.epochs, 3);
      assert.ok(fs.existsSync(file));
    } finally {
      tmp.cleanup();
    }
  });
});
