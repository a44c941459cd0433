/**
 * SKD Lab bad input: the generated corpus of broken experiment files, data files and run
 * directories (test/helpers/badInputCorpus.ts) goes through the trainer, most cases in
 * process (`runExperiment` / `resumeRun`), a sample of every class through the real command
 * line. Each must end as one line that names the file (and the field where there is one):
 * an InputError in process, exit 2 and one `skd: ...` line on the command line; nothing
 * crashes, nothing is written outside the given output folder, and no run directory is left
 * looking finished or running. Prints how many inputs it tried and how each class ended.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { resumeRun, runExperiment } from '../../src/trainer/engine/run';
import { isInputError } from '../../src/trainer/errors';
import { baseExperiment, generateCorpus, type BadInput } from '../helpers/badInputCorpus';
import { ensureCli, listTree, readStatus, runSkd } from '../helpers/killHarness';

type Ended = 'input error' | 'accepted' | 'crash';

interface Result {
  c: BadInput;
  ended: Ended;
  message: string;
  field?: string;
  problems: string[];
}

const withTimeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms).unref())]);

/** The state of every run directory under `dir` (status.json files found up to 3 levels down). */
function runStates(dir: string): string[] {
  return listTree(dir)
    .filter((f) => f.endsWith('status.json') && f.split('/').length <= 3)
    .map((f) => readStatus(path.join(dir, path.dirname(f)))?.state ?? 'unreadable');
}

function check(c: BadInput, ended: Ended, message: string, field: string | undefined, outDir: string): string[] {
  const problems: string[] = [];
  const expected: Ended = c.expect === 'accepted' ? 'accepted' : 'input error';
  if (ended !== expected) problems.push(`ended as ${ended}, expected ${expected}: ${message.slice(0, 300)}`);
  if (ended === 'input error') {
    if (message.includes('\n')) problems.push('message is not one line');
    const names = c.names ?? c.target;
    if (!message.includes(names)) problems.push(`message does not name ${names}`);
    if (c.field && !(field === c.field || field?.startsWith(`${c.field}.`))) problems.push(`names field ${field ?? '(none)'}, expected ${c.field}`);
    if (!c.resume && fs.existsSync(outDir) && listTree(outDir).length > 0) problems.push(`wrote into the output folder: ${listTree(outDir).slice(0, 3).join(', ')}`);
  }
  const live = (c.resume ? [readStatus(c.target)?.state ?? 'none'] : runStates(outDir)).filter((s) => (ended === 'accepted' ? s === 'running' || s === 'done' : s === 'running' || s === 'done'));
  if (live.length > 0 && !(c.resume && ended === 'accepted' && live.every((s) => s === 'done'))) problems.push(`left a run directory in state ${live.join(', ')}`);
  return problems;
}

function table(results: Result[]): string {
  const classes = [...new Set(results.map((r) => r.c.cls))];
  const rows = classes.map((cls) => {
    const rs = results.filter((r) => r.c.cls === cls);
    const count = (e: Ended) => rs.filter((r) => r.ended === e).length;
    return [cls, rs.length, count('input error'), count('accepted'), count('crash'), rs.filter((r) => r.problems.length > 0).length];
  });
  const head = ['class', 'tried', 'input error', 'accepted', 'crash', 'wrong'];
  const all = [head, ...rows, ['total', results.length, ...[2, 3, 4, 5].map((i) => rows.reduce((a, r) => a + Number(r[i]), 0))]];
  const widths = head.map((_, i) => Math.max(...all.map((r) => String(r[i]).length)));
  return all.map((r) => r.map((v, i) => (i === 0 ? String(v).padEnd(widths[i]) : String(v).padStart(widths[i]))).join('  ')).join('\n');
}

describe('SKD Lab bad input corpus', { timeout: 400_000 }, () => {
  let tmp: string;
  let corpusRoot: string;
  let cases: BadInput[];
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);

  before(async () => {
    ensureCli();
    process.on('unhandledRejection', onUnhandled);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skd-badinput-'));
    corpusRoot = path.join(tmp, 'corpus');
    // A real run directory, stopped after its first batch, for the damaged-run-directory cases.
    const seedFile = path.join(tmp, 'seed.skd.json');
    fs.writeFileSync(seedFile, JSON.stringify(baseExperiment()));
    const seedRun = path.join(tmp, 'seed-run');
    const r = await runExperiment(seedFile, { runDir: seedRun, stop: { requested: true } });
    assert.equal(r.state, 'stopped');
    cases = generateCorpus(corpusRoot, { runDir: seedRun });
  });

  after(() => {
    process.off('unhandledRejection', onUnhandled);
    if (tmp && !process.env.SKD_KEEP_TMP) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('in process: every broken input is one InputError naming its file and field; legal oddities are accepted', async () => {
    const outs = path.join(tmp, 'out');
    const watched = listTree(corpusRoot).filter((f) => !f.startsWith('runs/'));
    const results: Result[] = [];
    const t0 = Date.now();
    for (const [i, c] of cases.entries()) {
      const outDir = path.join(outs, String(i));
      let ended: Ended;
      let message = '';
      let field: string | undefined;
      try {
        // A stop is already requested: an input that is wrongly accepted ends after one batch.
        const opts = { outDir, stop: { requested: true } };
        const run = c.resume ? resumeRun(c.target, opts) : runExperiment(c.target, opts);
        const r = await withTimeout(run, 120_000, c.label);
        ended = 'accepted';
        message = `ended ${r.state}`;
      } catch (e) {
        if (isInputError(e)) {
          ended = 'input error';
          message = e.message;
          field = e.field;
        } else {
          ended = 'crash';
          message = e instanceof Error ? `${e.name}: ${e.message} ${e.stack?.split('\n')[1]?.trim() ?? ''}` : String(e);
        }
      }
      results.push({ c, ended, message, field, problems: check(c, ended, message, field, outDir) });
    }
    const seconds = (Date.now() - t0) / 1000;
    console.log(`# bad input, in process: ${results.length} inputs in ${seconds.toFixed(1)} s`);
    for (const line of table(results).split('\n')) console.log(`#   ${line}`);
    const wrong = results.filter((r) => r.problems.length > 0);
    for (const r of wrong.slice(0, 40)) console.log(`# WRONG [${r.c.cls}] ${r.c.label}: ${r.problems.join('; ')}`);
    // A few messages, to see what users read.
    for (const cls of [...new Set(results.map((r) => r.c.cls))]) {
      const r = results.find((x) => x.c.cls === cls && x.ended === 'input error');
      if (r) console.log(`#   e.g. ${cls}: ${r.message.replace(tmp, '$TMP').slice(0, 200)}`);
    }
    assert.ok(results.length >= 300, `only ${results.length} inputs`);
    assert.deepEqual(unhandled, [], 'unhandled promise rejections');
    assert.deepEqual(
      wrong.map((r) => `[${r.c.cls}] ${r.c.label}: ${r.problems.join('; ')}`),
      [],
    );
    // The corpus itself (experiment files, data) was only read.
    assert.deepEqual(listTree(corpusRoot).filter((f) => !f.startsWith('runs/')), watched, 'something was written beside the inputs');
  });

  it('on the command line: exit 2, one "skd: ..." line naming the file, nothing written outside --out', async () => {
    // The first two input errors of every class, and command-line mistakes.
    const sample: BadInput[] = [];
    for (const cls of [...new Set(cases.map((c) => c.cls))]) sample.push(...cases.filter((c) => c.cls === cls && c.expect === 'input-error').slice(0, 2));
    const cwd = path.join(tmp, 'cwd');
    fs.mkdirSync(cwd);
    const out = path.join(tmp, 'cli-out');
    const plainFile = path.join(tmp, 'a-file');
    fs.writeFileSync(plainFile, 'x');
    const good = path.join(tmp, 'seed.skd.json');
    const cli: { label: string; args: string[]; names: string }[] = [
      ...sample.map((c) => ({ label: `[${c.cls}] ${c.label}`, args: c.resume ? ['resume', c.target, '--quiet'] : ['run', c.target, '--out', out, '--quiet'], names: c.names ?? c.target })),
      { label: 'run without a file', args: ['run'], names: 'command line' },
      { label: 'two files', args: ['run', good, good], names: 'command line' },
      { label: 'unknown option', args: ['run', good, '--epochs', '3'], names: '--epochs' },
      { label: 'option without value', args: ['run', good, '--out'], names: '--out' },
      { label: '--out is a file', args: ['run', good, '--out', plainFile, '--quiet'], names: plainFile },
      { label: '--run-dir inside a file', args: ['run', good, '--run-dir', path.join(plainFile, 'run'), '--quiet'], names: plainFile },
      { label: 'resume of no directory', args: ['resume', path.join(tmp, 'nowhere')], names: path.join(tmp, 'nowhere') },
      { label: 'resume of an experiment file', args: ['resume', good], names: good },
      { label: 'unknown command', args: ['frobnicate'], names: 'frobnicate' },
    ];
    const before = listTree(tmp).filter((f) => !f.startsWith('cli-out'));
    const wrong: string[] = [];
    const t0 = Date.now();
    for (const c of cli) {
      const r = await runSkd(c.args, { cwd, timeoutMs: 120_000 });
      // tf.js warns once that the wasm backend's copy of tfjs-core sets the platform again: its line, not ours.
      const lines = r.stderr.split('\n').filter((l) => l.trim() !== '' && !/^Platform node has already been set/.test(l));
      const problems: string[] = [];
      if (r.code !== 2) problems.push(`exit ${r.code ?? r.signal}`);
      if (lines.length !== 1 && c.label !== 'unknown command') problems.push(`${lines.length} lines on stderr`);
      if (!/^skd: /.test(lines[0] ?? '')) problems.push(`stderr does not start with "skd: "`);
      if (!r.stderr.includes(c.names)) problems.push(`does not name ${c.names}`);
      if (/\n\s+at /.test(r.stderr)) problems.push('stack trace');
      if (r.stdout.trim() !== '' && c.label !== 'unknown command') problems.push(`stdout: ${r.stdout.slice(0, 80)}`);
      if (problems.length) wrong.push(`${c.label}: ${problems.join('; ')} -- ${r.stderr.trim().slice(0, 300)}`);
    }
    console.log(`# bad input, command line: ${cli.length} inputs in ${((Date.now() - t0) / 1000).toFixed(1)} s, ${cli.length - wrong.length} ended as one-line input errors with exit 2`);
    for (const w of wrong) console.log(`# WRONG ${w}`);
    assert.deepEqual(listTree(cwd), [], 'the command line wrote into its working directory');
    assert.deepEqual(runStates(out).filter((s) => s === 'running' || s === 'done'), []);
    const writtenElsewhere = listTree(tmp).filter((f) => !f.startsWith('cli-out') && !before.includes(f));
    // Resuming a damaged run may mark that run failed (its own status.json), nothing else.
    assert.deepEqual(writtenElsewhere.filter((f) => !/^corpus\/runs\/[^/]+\/(status\.json|trainer\.log|metrics\.jsonl)$/.test(f)), []);
    assert.deepEqual(wrong, []);
  });
});
