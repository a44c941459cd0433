/**
 * The `skd` command line as a user runs it (node bin/skd.js, the built bundle): bad experiment
 * files, a good run, comparing runs and resuming a finished one.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RUN_FILES, type RunStatus, type Summary } from '../../src/protocol/runDir';
import { ensureBuilt, lines, ownLines, runCli } from '../helpers/cli';
import { readJsonFile, subdirs, tempDir, tinyExperiment, writeExperiment, type ExperimentObject } from '../helpers/experiment';

const tmp = tempDir('skd-cli-');
after(tmp.cleanup);

before(() => ensureBuilt());

describe('skd run with a bad experiment file', () => {
  const cases: { name: string; content: ExperimentObject | string; field: string | undefined; message: RegExp }[] = [
    { name: 'unknown-method', content: tinyExperiment({ method: { name: 'magic', stages: 2 } }), field: 'method.name', message: /unknown method "magic"/ },
    { name: 'unknown-model', content: tinyExperiment({ student: { model: 'transformer', epochs: 2 } }), field: 'student.model', message: /unknown model "transformer"/ },
    { name: 'missing-data-dir', content: tinyExperiment({ data: { format: 'idx', dir: 'no-such-folder' } }), field: 'data.dir', message: /folder not found: .*no-such-folder/ },
    { name: 'wrong-type', content: tinyExperiment({ training: { batchSize: '32' } }), field: 'training.batchSize', message: /must be an integer/ },
    { name: 'invalid-json', content: '{ "name": "tiny", "seed": 1,, }', field: undefined, message: /not valid JSON/ },
  ];
  for (const c of cases) {
    it(`${c.name}: exit 2, one stderr line naming the file${c.field ? ' and the field' : ''}, no run directory`, async () => {
      const file = writeExperiment(tmp.dir, c.name, c.content);
      const out = path.join(tmp.dir, `out-${c.name}`);
      const r = await runCli(['run', file, '--out', out]);
      assert.equal(r.code, 2, r.stderr);
      const err = ownLines(r.stderr);
      assert.equal(err.length, 1, `one line: ${JSON.stringify(err)}`);
      assert.ok(err[0].startsWith(`skd: ${file}: `), err[0]);
      if (c.field) assert.ok(err[0].startsWith(`skd: ${file}: ${c.field}: `), err[0]);
      assert.match(err[0], c.message);
      assert.equal(r.stdout, '');
      assert.deepEqual(subdirs(out), [], 'no run directory is left');
    });
  }

  it('usage errors exit 2', async () => {
    const none = await runCli(['run']);
    assert.equal(none.code, 2);
    assert.match(ownLines(none.stderr)[0], /usage: skd run/);
    const unknown = await runCli(['fly']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "fly"/);
    const option = await runCli(['run', 'x.skd.json', '--fast']);
    assert.equal(option.code, 2);
    assert.match(ownLines(option.stderr)[0], /--fast: unknown option/);
  });
});

describe('skd run, compare and resume on real runs', () => {
  const out = path.join(tmp.dir, 'runs');
  let skdDir: string;
  let kdDir: string;

  it('run: progress on stderr, the run directory last on stdout, exit 0', async () => {
    const file = writeExperiment(tmp.dir, 'good', tinyExperiment({ name: 'good' }));
    // The student alone on its own thread, from the bundle's dist/aloneWorker.js, whatever the cores.
    const r = await runCli(['run', file, '--out', out], { env: { SKD_ALONE_BESIDE: '1' } });
    assert.equal(r.code, 0, r.stderr);
    const stdout = lines(r.stdout);
    skdDir = stdout[stdout.length - 1];
    assert.ok(path.isAbsolute(skdDir) && path.dirname(skdDir) === out, skdDir);
    assert.equal(readJsonFile<RunStatus>(path.join(skdDir, RUN_FILES.status)).state, 'done');
    const summary = readJsonFile<Summary>(path.join(skdDir, RUN_FILES.summary));
    assert.ok(stdout.some((l) => l.includes('student cnn') && l.includes(`${(summary.student.testAcc * 100).toFixed(2)}%`)), r.stdout);
    assert.match(r.stderr, /teacher epoch 1\/2 stage 1: loss \d/);
    assert.match(r.stderr, /student epoch 2\/2 stage 2: loss \d/);
    assert.match(r.stderr, /TBT stage 1 -> 2: .*nmse/);
    assert.match(r.stderr, /student alone: training on a second thread, beside the teacher/);
    assert.match(r.stderr, /student alone epoch 2\/2 stage 2: loss \d/);
    assert.doesNotMatch(r.stderr, /could not train beside the teacher/);
    assert.ok(summary.studentAlone && summary.studentAlone.testAcc > 0, JSON.stringify(summary.studentAlone));
  });

  it('run --quiet with a reused teacher: nothing but the summary', async () => {
    const file = writeExperiment(tmp.dir, 'reuse', tinyExperiment({ name: 'reuse', teacher: { run: skdDir }, method: { name: 'kd', stages: 2 } }));
    const r = await runCli(['run', file, '--out', out, '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(ownLines(r.stderr), []);
    const stdout = lines(r.stdout);
    kdDir = stdout[stdout.length - 1];
    assert.equal(readJsonFile<Summary>(path.join(kdDir, RUN_FILES.summary)).teacher.fromRun, path.relative(kdDir, skdDir));
  });

  it('compare: a table of both runs', async () => {
    const r = await runCli(['compare', skdDir, kdDir]);
    assert.equal(r.code, 0, r.stderr);
    const table = lines(r.stdout);
    assert.equal(table.length, 4, r.stdout);
    assert.match(table[0], /^run\s+state\s+method\s+seed\s+T\s.*\steacher\s.*\sstudent\s.*\sseconds\s+provenance$/);
    const header = table[0].trim().split(/\s{2,}/);
    assert.match(table[1], new RegExp(`^-+( +-+){${header.length - 1}}$`));
    for (const [row, dir, method] of [
      [table[2], skdDir, 'skd'],
      [table[3], kdDir, 'kd'],
    ]) {
      const s = readJsonFile<Summary>(path.join(dir, RUN_FILES.summary));
      const cells = row.trim().split(/\s{2,}/);
      assert.equal(cells[0], path.basename(dir));
      assert.equal(cells[1], 'done');
      assert.equal(cells[2], method);
      assert.equal(cells[3], '1');
      assert.equal(cells[header.indexOf('teacher')], `${(s.teacher.testAcc * 100).toFixed(2)}%`);
      assert.equal(cells[header.indexOf('student')], `${(s.student.testAcc * 100).toFixed(2)}%`);
      assert.match(cells[header.indexOf('provenance')], /^\d+\.\d+\.\d+ node\d+ tf\d+\.\d+ /);
    }
    const json = await runCli(['compare', '--json', skdDir, kdDir]);
    const rows = JSON.parse(json.stdout) as { method: string }[];
    assert.deepEqual(rows.map((x) => x.method), ['skd', 'kd']);
  });

  it('compare: a folder that is not a run directory is an error naming it', async () => {
    const r = await runCli(['compare', skdDir, tmp.dir]);
    assert.equal(r.code, 2);
    assert.deepEqual(ownLines(r.stderr), [`skd: ${tmp.dir}: not a run directory (no status.json)`]);
  });

  it('resume on a finished run exits 2 with a clear line', async () => {
    const r = await runCli(['resume', skdDir]);
    assert.equal(r.code, 2);
    assert.deepEqual(ownLines(r.stderr), [`skd: ${skdDir}: status: this run has already finished`]);
    assert.equal(readJsonFile<RunStatus>(path.join(skdDir, RUN_FILES.status)).state, 'done', 'the run is left as it was');
  });

  it('resume on a folder that is not a run exits 2', async () => {
    const empty = path.join(tmp.dir, 'not-a-run');
    fs.mkdirSync(empty);
    const r = await runCli(['resume', empty]);
    assert.equal(r.code, 2);
    assert.match(ownLines(r.stderr)[0], /not a run directory \(no experiment\.json\)/);
  });
});
