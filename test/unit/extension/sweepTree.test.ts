import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunInfo } from '../../../src/protocol/lsp';
import type { RunState } from '../../../src/protocol/runDir';
import { buildTree, childrenOf, type PlannedNode } from '../../../src/extension/runs/treeModel';
import { findPlannedFolders } from '../../../src/extension/runs/plannedFolders';
import { compareSweepFromReport, parseSweepPlan, sweepOutcome } from '../../../src/extension/sweeps/sweepModel';
import { folderProgress, progressText, studentDirs } from '../../../src/extension/runs/plannedFolder';
import { groupStats, type SweepReport } from '../../../src/trainer/sweep/report';

const plan = {
  version: 1,
  name: 'methods',
  baseline: 'kd',
  groups: [{ name: 'kd', set: {} }, { name: 'skd', set: {} }],
  seeds: [1, 2],
  runs: [
    { name: 'teacher', kind: 'teacher', seed: 1 },
    { name: 'kd-s1', kind: 'student', group: 'kd', seed: 1, teacher: 'teacher' },
    { name: 'skd-s1', kind: 'student', group: 'skd', seed: 1, teacher: 'teacher' },
    { name: 'kd-s2', kind: 'student', group: 'kd', seed: 2, teacher: 'teacher' },
    { name: 'skd-s2', kind: 'student', group: 'skd', seed: 2, teacher: 'teacher' },
  ],
};
const sweep = parseSweepPlan('/w/runs/methods', plan);

function info(dir: string, state: RunState, started = '2026-01-01T10:00:00Z'): RunInfo {
  return { id: path.basename(dir), dir, name: path.basename(dir), method: 'kd', status: { state, updated: started, started } };
}

const runs = [
  info('/w/runs/methods/teacher', 'done'),
  info('/w/runs/methods/kd-s1', 'done'),
  info('/w/runs/methods/skd-s1', 'running'),
  info('/w/runs/methods/kd-s2', 'failed'),
  info('/w/runs/other-20260101-100000', 'done'),
];

test('sweep plan: read from sweep.json; a bad one names the file and the field', () => {
  assert.equal(sweep.name, 'methods');
  assert.deepEqual(sweep.groups, ['kd', 'skd']);
  assert.equal(sweep.baseline, 'kd');
  assert.equal(sweep.runs.length, 5);
  assert.throws(() => parseSweepPlan('/w/s', { runs: [] }), /\/w\/s\/sweep\.json: "name"/);
  assert.throws(() => parseSweepPlan('/w/s', { name: 'x', runs: [{ name: 'a' }] }), /sweep\.json: "runs\[0\]"/);
});

test('sweep progress: counts by state over the planned runs, as a short line', () => {
  const p = folderProgress(sweep, runs);
  assert.deepEqual(p, { total: 5, done: 2, running: 1, queued: 0, failed: 1, stopped: 0 });
  assert.equal(progressText(p), '2/5 done · 1 running · 1 failed');
  assert.equal(progressText(folderProgress(sweep, [])), '0/5 done');
  // Compare Sweep shows the students that have a run directory, in plan order.
  assert.deepEqual(studentDirs(sweep, runs), ['/w/runs/methods/kd-s1', '/w/runs/methods/skd-s1', '/w/runs/methods/kd-s2']);
});

test('tree: a sweep is a row of its own with its runs under it (not under "Other runs")', () => {
  const roots = buildTree([{ file: '/w/a.skd.json', name: 'a' }, { file: '/w/methods.sweep.skd.json', name: 'methods' }], runs, '/w', [sweep]);
  assert.deepEqual(roots.map((r) => r.label), ['a.skd.json', 'methods.sweep.skd.json', 'sweep methods', 'Other runs']);
  const row = roots[2] as PlannedNode;
  assert.equal(row.kind, 'sweep');
  assert.equal(row.description, '2/5 done · 1 running · 1 failed');
  assert.equal(row.contextValue, 'skdSweep');
  assert.match(row.tooltip, /2 groups: kd, skd/);
  // Plan order (teacher first, then seed by seed), labelled by folder name.
  assert.deepEqual(childrenOf(row, roots).map((n) => n.label), ['teacher', 'kd-s1', 'skd-s1', 'kd-s2']);
  assert.deepEqual(roots[3]?.runs.map((n) => n.run.dir), ['/w/runs/other-20260101-100000']);
  // The sweep file gets Run Sweep, not Run Experiment.
  assert.equal(roots[1]?.contextValue, 'skdSweepFile');
  assert.match(roots[1]?.kind === 'experiment' ? roots[1].description : '', /sweep file/);
  // While this window's process runs it, the row offers Stop.
  const running = buildTree([], runs, '/w', [sweep], new Set([sweep.dir]));
  assert.equal(running.find((r) => r.kind === 'sweep')?.contextValue, 'skdSweep.running');
  // A folder that is not the sweep's (a run beside it with an unplanned name) stays elsewhere.
  const stray = buildTree([], [info('/w/runs/methods/old-run', 'done')], '/w', [sweep]);
  assert.equal(stray.find((r) => r.kind === 'sweep')?.runs.length, 0);
  assert.equal(stray.find((r) => r.kind === 'otherRuns')?.runs.length, 1);
});

test('sweep folders: found under the runs folder and beside known runs; a broken plan is a warning', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'skd-sweeps-'));
  try {
    fs.mkdirSync(path.join(root, 'methods'));
    fs.writeFileSync(path.join(root, 'methods', 'sweep.json'), JSON.stringify(plan));
    fs.mkdirSync(path.join(root, 'broken'));
    fs.writeFileSync(path.join(root, 'broken', 'sweep.json'), '{ nope');
    fs.mkdirSync(path.join(root, 'plain-run'));
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'skd-sweeps-b-'));
    fs.writeFileSync(path.join(elsewhere, 'sweep.json'), JSON.stringify({ ...plan, name: 'far' }));
    const warnings: string[] = [];
    const found = await findPlannedFolders(root, [path.join(elsewhere, 'kd-s1')], (w) => warnings.push(w));
    fs.rmSync(elsewhere, { recursive: true, force: true });
    assert.deepEqual(found.map((s) => s.name), ['far', 'methods']);
    assert.equal(found[1]?.dir, path.join(root, 'methods'));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /broken[/\\]sweep\.json: not valid JSON/);
    assert.deepEqual(await findPlannedFolders(path.join(root, 'missing'), [], () => undefined), []);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('sweep report: the command line report (its own statistics) in the comparison shape', () => {
  const records = [
    { name: 'kd-s1', group: 'kd', seed: 1, testAcc: 0.8, valAcc: 0.8, heldOutValAcc: 0.78, seconds: 10 },
    { name: 'kd-s2', group: 'kd', seed: 2, testAcc: 0.82, valAcc: 0.81, heldOutValAcc: 0.8, seconds: 10 },
    { name: 'skd-s1', group: 'skd', seed: 1, testAcc: 0.83, valAcc: 0.8, heldOutValAcc: 0.79, seconds: 20 },
    { name: 'skd-s2', group: 'skd', seed: 2, testAcc: 0.86, valAcc: 0.85, heldOutValAcc: 0.84, seconds: 20 },
  ];
  const report: SweepReport = {
    sweep: 'methods',
    dir: '/w/runs/methods',
    baseline: 'kd',
    seeds: [1, 2],
    teacherSharing: 'shared',
    teachers: [],
    groups: groupStats([{ name: 'kd', set: {} }, { name: 'skd', set: {} }, { name: 'none', set: {} }], records, 'kd'),
    runs: records,
    missing: [],
  };
  // Through JSON as `skd sweep report --json` prints it (NaN becomes null).
  const c = compareSweepFromReport(JSON.parse(JSON.stringify(report)) as unknown, 'report.json');
  assert.equal(c.name, 'methods');
  assert.equal(c.baseline, 'kd');
  assert.equal(c.groups[0]?.delta, undefined);
  assert.ok(Math.abs((c.groups[1]?.delta?.mean ?? 0) - 0.035) < 1e-9);
  assert.equal(c.groups[1]?.delta?.n, 2);
  // Held-out validation: differences .01 and .04, mean .025.
  assert.ok(Math.abs((c.groups[1]?.heldOutDelta?.mean ?? 0) - 0.025) < 1e-9);
  assert.equal(c.groups[0]?.heldOutDelta, undefined);
  assert.ok(Math.abs((c.groups[1]?.testMean ?? 0) - 0.845) < 1e-9);
  // A group without finished runs has no numbers, and no Δ.
  assert.ok(Number.isNaN(c.groups[2]?.testMean));
  assert.equal(c.groups[2]?.delta, undefined);
  assert.throws(() => compareSweepFromReport({ sweep: 'x' }, 'r.json'), /r\.json: the sweep report has no "groups" list/);
  assert.throws(() => compareSweepFromReport({ sweep: 'x', groups: [{}] }, 'r.json'), /r\.json: "groups\[0\]\.group"/);
});

test('sweep outcome: the exit codes of skd sweep as messages', () => {
  assert.equal(sweepOutcome(0, 'local').text, 'done');
  assert.match(sweepOutcome(0, 'slurm').text, /submitted/);
  assert.equal(sweepOutcome(1, 'local').level, 'warn');
  assert.match(sweepOutcome(3, 'local').text, /resumes/);
  assert.equal(sweepOutcome(2, 'local').level, 'error');
  assert.match(sweepOutcome(null, 'local').text, /killed/);
});
