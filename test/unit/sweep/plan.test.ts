/** Expanding sweep files: groups, seeds, shared teachers, checks before anything is written. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import type { SweepFile } from '../../../src/protocol/sweep';
import { parseSetOption } from '../../../src/trainer/config/overrides';
import { isInputError } from '../../../src/trainer/errors';
import { expandGroups, expandSweep, groupName, loadSweepFile, readPlan, seedsOf, selectRuns, sweepSchemaIssues, writePlan } from '../../../src/trainer/sweep/plan';
import { tempDir, tinyExperiment, writeExperiment } from '../../helpers/experiment';

const tmp = tempDir('skd-sweep-plan-');
after(tmp.cleanup);
writeExperiment(tmp.dir, 'base', tinyExperiment());

function sweepFile(name: string, sweep: Record<string, unknown>): string {
  const file = path.join(tmp.dir, `${name}.sweep.skd.json`);
  fs.writeFileSync(file, JSON.stringify({ name, experiment: 'base.skd.json', ...sweep }, null, 2));
  return file;
}

function expand(name: string, sweep: Record<string, unknown>) {
  const file = sweepFile(name, sweep);
  return expandSweep(file, loadSweepFile(file));
}

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.ok(isInputError(e), String(e));
    return (e as Error).message;
  }
  assert.fail('expected an InputError');
}

describe('groups and seeds', () => {
  it('grid combinations (first key slowest), then the list, names from values', () => {
    const groups = expandGroups({ grid: { 'method.name': ['kd', 'skd'], 'method.temperature': [2, 4] }, runs: [{ set: { 'method.name': 'dkd' } }, { name: 'strong', set: { 'method.alpha': 2 } }] }, 'x');
    assert.deepEqual(
      groups.map((g) => g.name),
      ['kd_temperature2', 'kd_temperature4', 'skd_temperature2', 'skd_temperature4', 'dkd', 'strong'],
    );
    assert.deepEqual(groups[1].set, { 'method.name': 'kd', 'method.temperature': 4 });
    assert.equal(groupName({}), 'base');
    assert.deepEqual(expandGroups({}, 'skd').map((g) => g.name), ['skd']);
    assert.deepEqual(expandGroups({ runs: [{ set: { seed: 1 } }, { set: { seed: 1 } }] }, 'x').map((g) => g.name), ['seed1', 'seed1-2']);
  });

  it('seeds: a count, a list, or the base seed', () => {
    assert.deepEqual(seedsOf({ seeds: 3 }, 7), [1, 2, 3]);
    assert.deepEqual(seedsOf({ seeds: [5, 9] }, 7), [5, 9]);
    assert.deepEqual(seedsOf({}, 7), [7]);
  });
});

describe('expandSweep', () => {
  it('one shared teacher first, students of every group and seed after it, paired data', () => {
    const { plan, experiments } = expand('methods', { grid: { 'method.name': ['kd', 'skd'] }, seeds: 2, baseline: 'kd' });
    assert.deepEqual(plan.runs.map((r) => r.name), ['teacher', 'kd-s1', 'skd-s1', 'kd-s2', 'skd-s2']);
    assert.ok(plan.runs.slice(1).every((r) => r.teacher === 'teacher' && r.kind === 'student'));
    const teacher = experiments.get('teacher')! as Record<string, any>;
    assert.equal(teacher.method.name, 'none');
    assert.equal(teacher.method.stages, 2);
    assert.equal(teacher.seed, 1);
    const kd2 = experiments.get('kd-s2')! as Record<string, any>;
    assert.deepEqual(kd2.teacher, { run: '../teacher' });
    assert.equal(kd2.seed, 2);
    assert.equal(kd2.data.seed, 1, 'every seed sees the teacher\'s images and splits');
    assert.equal(kd2.studentAlone, false);
    assert.equal(kd2.method.name, 'kd');
    assert.equal(plan.baseline, 'kd');
  });

  it('teachers follow their settings: one per teacher setting, or per seed, or none', () => {
    const widths = expand('widths', { grid: { 'teacher.width': [4, 8], 'method.name': ['kd'] } });
    assert.deepEqual(widths.plan.runs.filter((r) => r.kind === 'teacher').map((r) => r.name), ['teacher-1', 'teacher-2']);
    assert.deepEqual(widths.plan.runs.filter((r) => r.kind === 'student').map((r) => r.teacher), ['teacher-1', 'teacher-2']);
    // A student-only setting keeps one teacher.
    assert.equal(expand('temps', { grid: { 'method.temperature': [2, 4] } }).plan.runs.filter((r) => r.kind === 'teacher').length, 1);
    const perSeed = expand('perseed', { grid: { 'method.name': ['kd'] }, seeds: 2, teacher: 'per-seed' });
    assert.deepEqual(perSeed.plan.runs.map((r) => `${r.name}:${r.teacher ?? ''}`), ['teacher-s1:', 'teacher-s2:', 'kd-s1:teacher-s1', 'kd-s2:teacher-s2']);
    const own = expand('own', { seeds: 2, teacher: 'own' });
    assert.deepEqual(own.plan.runs.map((r) => r.name), ['skd-s1', 'skd-s2']);
    assert.equal((own.experiments.get('skd-s1') as Record<string, any>).teacher.model, 'cnn');
  });

  it('command-line overrides apply to every run last', () => {
    const file = sweepFile('cli', { grid: { 'method.name': ['kd'] }, set: { 'student.epochs': 3 } });
    const { experiments } = expandSweep(file, loadSweepFile(file), [parseSetOption('student.epochs=4')]);
    assert.equal((experiments.get('kd-s1') as Record<string, any>).student.epochs, 4);
  });

  it('bad sweeps: one line naming the sweep file and the place', () => {
    assert.match(errorOf(() => expand('bad1', { grid: { 'method.temperature': [2, 1000] } })), /bad1\.sweep\.skd\.json: method\.temperature \(group temperature1000\): must be <= 100/);
    assert.match(errorOf(() => expand('bad2', { grid: { 'method.temprature': [2] } })), /bad2\.sweep\.skd\.json: method\.temprature \(group temprature2\): unknown key "method\.temprature"/);
    assert.match(errorOf(() => expand('bad3', { grid: { 'method.name': ['kd'] }, baseline: 'skd' })), /baseline: no group named "skd" \(groups: kd\)/);
    assert.match(errorOf(() => expand('bad4', { set: { 'student.epochs': 1 } })), /set\.student\.epochs: 1 epochs cannot hold 2 learning stages/);
    const f = path.join(tmp.dir, 'bad5.sweep.skd.json');
    fs.writeFileSync(f, JSON.stringify({ name: 'bad5', experiment: 'base.skd.json', seeds: 0 }));
    assert.match(errorOf(() => loadSweepFile(f)), /bad5\.sweep\.skd\.json: seeds: /);
    fs.writeFileSync(f, JSON.stringify({ name: 'bad5', experiment: 'base.skd.json', grids: {} }));
    assert.match(errorOf(() => loadSweepFile(f)), /: grids: unknown key "grids"/);
  });

  it('the schema accepts the documented example', () => {
    const example: SweepFile = {
      name: 'ex',
      experiment: 'base.skd.json',
      set: { 'student.epochs': 4 },
      grid: { 'method.name': ['kd', 'skd'] },
      runs: [{ name: 'dkd-b4', set: { 'method.name': 'dkd', 'method.dkd.beta': 4 } }],
      seeds: [1, 2, 3],
      teacher: 'shared',
      baseline: 'kd',
      concurrency: 2,
      slurm: { partition: 'main', cpusPerTask: 1, mem: '4G', time: '01:00:00', maxRunning: 8, extraArgs: ['--constraint=avx2'] },
    };
    assert.deepEqual(sweepSchemaIssues(example), []);
  });
});

describe('writePlan', () => {
  it('writes the plan and experiments; a started run keeps its settings', () => {
    const out = path.join(tmp.dir, 'out', 'w');
    const file = sweepFile('w', { grid: { 'method.name': ['kd'] } });
    writePlan(out, expandSweep(file, loadSweepFile(file)));
    assert.deepEqual(readPlan(out).runs.map((r) => r.name), ['teacher', 'kd-s1']);
    assert.ok(fs.existsSync(path.join(out, 'experiments', 'kd-s1.json')));
    // Same file again: fine. A run that started, then the file changes its settings: an error.
    writePlan(out, expandSweep(file, loadSweepFile(file)));
    fs.mkdirSync(path.join(out, 'kd-s1'));
    fs.writeFileSync(path.join(out, 'kd-s1', 'status.json'), JSON.stringify({ state: 'stopped' }));
    const changed = sweepFile('w', { grid: { 'method.name': ['kd'] }, set: { 'method.temperature': 2 } });
    assert.match(errorOf(() => writePlan(out, expandSweep(changed, loadSweepFile(changed)))), /run kd-s1: has started with other settings .*method\.temperature/);
  });
});

describe('selectRuns (--only)', () => {
  it('adds the teacher of each selected student, keeps the names given, refuses unknown ones', () => {
    const { plan } = expand('only', { grid: { 'method.name': ['kd', 'skd'] }, seeds: 2 });
    // Students alone: their shared teacher comes with them (first), once.
    assert.deepEqual(selectRuns(plan, ['kd-s2', 'skd-s1']), ['teacher', 'kd-s2', 'skd-s1']);
    assert.deepEqual(selectRuns(plan, ['teacher', 'kd-s1']), ['teacher', 'kd-s1']);
    assert.deepEqual(selectRuns(plan, ['teacher']), ['teacher']);
    assert.match(errorOf(() => selectRuns(plan, ['kd-s1', 'kd-s9'])), /--only.*no run named "kd-s9"/);
  });
});
