/**
 * Methods benches in the extension: a bench folder's plan as the tree's row, its report in the
 * comparison's shape, the folders `skd bench methods` says it works in, and bench and draws
 * folders found on disk. The folders are written by the command line's own bench (with a runner
 * that writes run directories without training), so the extension reads what it really writes.
 */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunInfo } from '../../../src/protocol/lsp';
import type { Experiment } from '../../../src/protocol/experiment';
import { benchFolderFromLine, benchOutcome, compareBenchFromReport, parseBenchPlan, parseSeedsInput } from '../../../src/extension/benches/benchModel';
import { folderProgress, studentDirs } from '../../../src/extension/runs/plannedFolder';
import { findPlannedFolders, isBenchRunFile } from '../../../src/extension/runs/plannedFolders';
import { buildTree, childrenOf, type PlannedNode } from '../../../src/extension/runs/treeModel';
import { runDrawsBench } from '../../../src/trainer/bench/dataDraws';
import { runMethodsBench, type MethodsBenchReport } from '../../../src/trainer/bench/methods';
import { fakeBenchRunner } from '../../helpers/fakeBenchRunner';
import { tempDir } from '../../helpers/experiment';

const tmp = tempDir('skd-bench-tree-');
after(tmp.cleanup);

// Test accuracy by method, + 0.002 a seed: SKD - KD is +0.01 on every seed.
const ACC: Record<string, number> = { none: 0.8, kd: 0.82, skd: 0.83 };
const acc = (exp: Experiment) => (ACC[exp.method.name] ?? 0.7) + exp.seed * 0.002;
const runsDir = path.join(tmp.dir, 'runs');
const logs: string[] = [];
let report: MethodsBenchReport;

function info(dir: string, state: RunInfo['status']['state']): RunInfo {
  return { id: path.basename(dir), dir, name: path.basename(dir), method: 'kd', status: { state, updated: '2026-01-01T10:00:00Z', started: '2026-01-01T10:00:00Z' } };
}

before(async () => {
  const { runner } = fakeBenchRunner(acc);
  report = await runMethodsBench({ data: 'builtin', seeds: 2, methods: ['none', 'kd', 'skd'], outDir: runsDir, parallel: 1, log: (l) => logs.push(l), runner });
});

test('bench plan: bench.json as a row of planned runs, the teacher first, then seed by seed; grouped by method against KD', () => {
  const plan = JSON.parse(fs.readFileSync(path.join(report.benchDir, 'bench.json'), 'utf8')) as unknown;
  const bench = parseBenchPlan(report.benchDir, plan);
  assert.equal(bench.kind, 'bench');
  assert.equal(bench.name, path.basename(report.benchDir));
  assert.deepEqual(bench.groups, ['none', 'kd', 'skd']);
  assert.equal(bench.baseline, 'kd');
  // The teacher trained here is seed 1's student alone: the bench runs no none-s1.
  assert.deepEqual(bench.runs.map((r) => r.name), ['teacher', 'kd-s1', 'skd-s1', 'none-s2', 'kd-s2', 'skd-s2']);
  assert.equal(bench.runs[0]?.group, 'none');
  // Every planned student is a folder the bench wrote.
  for (const r of bench.runs) assert.ok(fs.existsSync(path.join(report.benchDir, r.name)), r.name);
  // Without KD the differences are to the student alone; a bench that reuses its teacher plans none.
  const reused = parseBenchPlan('/w/b', { methods: ['none', 'skd'], seeds: [1], teacher: { dir: '/w/t', trainedHere: false, seed: 1 } });
  assert.equal(reused.baseline, 'none');
  assert.deepEqual(reused.runs.map((r) => r.name), ['none-s1', 'skd-s1']);
  // A bad plan names the file and the field.
  assert.throws(() => parseBenchPlan('/w/b', { methods: [], seeds: [1], teacher: { trainedHere: true, seed: 1 } }), /\/w\/b\/bench\.json: "methods"/);
  assert.throws(() => parseBenchPlan('/w/b', { methods: ['kd'], seeds: [1.5], teacher: { trainedHere: true, seed: 1 } }), /bench\.json: "seeds"/);
  assert.throws(() => parseBenchPlan('/w/b', { methods: ['kd'], seeds: [1], teacher: { trainedHere: true } }), /bench\.json: "teacher\.seed"/);
  assert.throws(() => parseBenchPlan('/w/b', { methods: ['kd'], seeds: [1] }), /bench\.json: "teacher\.trainedHere"/);
});

test('bench report: the command line report in the comparison shape, differences to KD', () => {
  const json = JSON.parse(fs.readFileSync(path.join(report.benchDir, 'report.json'), 'utf8')) as unknown;
  const shown = compareBenchFromReport(json, 'report.json');
  assert.equal(shown.source, 'bench');
  assert.equal(shown.baseline, 'kd');
  assert.equal(shown.name, path.basename(report.benchDir));
  const skd = shown.groups.find((g) => g.group === 'skd')!;
  assert.equal(skd.runs, 2);
  assert.ok(Math.abs(skd.testMean - 0.833) < 1e-9, String(skd.testMean));
  assert.ok(Math.abs((skd.delta?.mean ?? NaN) - 0.01) < 1e-9);
  assert.equal(skd.delta?.n, 2);
  assert.equal(shown.groups.find((g) => g.group === 'kd')?.delta, undefined, 'the baseline has no difference to itself');
  assert.ok(Math.abs((shown.groups.find((g) => g.group === 'none')?.delta?.mean ?? NaN) + 0.02) < 1e-9);
  assert.throws(() => compareBenchFromReport({ rows: [] }, 'r.json'), /r\.json: the bench report has no "benchDir"/);
  assert.throws(() => compareBenchFromReport({ benchDir: '/b', rows: [{}] }, 'r.json'), /"rows\[0\]\.method"/);
});

test('tree: a bench is a row of its own, its runs under it in plan order, Stop while this window runs it', () => {
  const bench = parseBenchPlan(report.benchDir, JSON.parse(fs.readFileSync(path.join(report.benchDir, 'bench.json'), 'utf8')));
  const runs = [info(path.join(report.benchDir, 'kd-s1'), 'done'), info(path.join(report.benchDir, 'teacher'), 'done'), info(path.join(report.benchDir, 'skd-s1'), 'running')];
  const roots = buildTree([], runs, tmp.dir, [bench]);
  const row = roots.find((r) => r.kind === 'bench') as PlannedNode;
  assert.equal(row.label, bench.name);
  assert.equal(row.description, '2/6 done · 1 running');
  assert.equal(row.contextValue, 'skdBench');
  assert.match(row.tooltip, /methods: none, kd, skd\nseeds: 1, 2\nbaseline: kd/);
  assert.deepEqual(childrenOf(row, roots).map((n) => n.label), ['teacher', 'kd-s1', 'skd-s1']);
  assert.equal(roots.some((r) => r.kind === 'otherRuns'), false);
  assert.equal(buildTree([], runs, tmp.dir, [bench], new Set([bench.dir])).find((r) => r.kind === 'bench')?.contextValue, 'skdBench.running');
  assert.deepEqual(folderProgress(bench, runs).done, 2);
  // Compare Methods shows the runs of a method that have a run directory: the teacher is seed 1's student alone.
  assert.deepEqual(studentDirs(bench, runs), [path.join(report.benchDir, 'teacher'), path.join(report.benchDir, 'kd-s1'), path.join(report.benchDir, 'skd-s1')]);
});

test('bench folders on disk: a bench, and a draws folder as its draws\' benches, named after it', async () => {
  const { runner } = fakeBenchRunner(acc);
  const draws = await runDrawsBench({ data: 'builtin', seeds: 1, methods: ['kd', 'skd'], dataSeeds: [2, 3], outDir: runsDir, parallel: 1, log: (l) => logs.push(l), runner });
  const found = await findPlannedFolders(runsDir, [], () => assert.fail('no warning expected'));
  const name = path.basename(draws.drawsDir);
  assert.deepEqual(found.map((f) => f.name).sort(), [path.basename(report.benchDir), `${name}/data-seed-2`, `${name}/data-seed-3`].sort());
  assert.ok(found.every((f) => f.kind === 'bench'));
  // Known runs deep in a draws folder find their bench too.
  const deep = await findPlannedFolders(undefined, [path.join(draws.drawsDir, 'data-seed-3', 'kd-s1')], () => undefined);
  assert.deepEqual(deep.map((f) => f.name), [`${name}/data-seed-3`]);
  // The folders the bench named in its log, as the extension reads them while it runs.
  const named = logs.map(benchFolderFromLine).filter((d): d is string => d !== undefined);
  assert.ok(named.includes(report.benchDir), logs.join('\n'));
  assert.ok(named.includes(draws.drawsDir));
  assert.ok(named.includes(path.join(draws.drawsDir, 'data-seed-2')));
  assert.equal(benchFolderFromLine('kd-s1: 83.00% test (4 s)'), undefined);
  // The experiment files a bench writes for its runs are its own, not the workspace's experiments.
  assert.ok(isBenchRunFile(path.join(report.benchDir, 'kd-s1.skd.json')));
  assert.equal(isBenchRunFile(path.join(tmp.dir, 'base.skd.json')), false);
});

test('bench input and outcome: the seeds box, and what the exit code says', () => {
  assert.equal(parseSeedsInput(' 5 '), 5);
  for (const bad of ['0', '101', '2.5', '-1', 'five', '']) assert.equal(parseSeedsInput(bad), undefined, bad);
  assert.equal(benchOutcome(0).level, 'info');
  assert.match(benchOutcome(3).text, /stopped; Run Method Bench on its row resumes it/);
  assert.equal(benchOutcome(1).level, 'warn');
  assert.equal(benchOutcome(2).level, 'error');
  assert.match(benchOutcome(null).text, /killed/);
});
