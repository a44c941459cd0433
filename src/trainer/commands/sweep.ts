import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SlurmSettings, SweepPlan, SweepRunStatus } from '../../protocol/sweep';
import { takeSetOptions } from '../config/overrides';
import { InputError } from '../errors';
import { readStatus, readSummary } from '../runDir/runFiles';
import { isTrainerAlive } from '../runDir/trainerIdentity';
import { execSweepRun } from '../sweep/exec';
import { defaultConcurrency, lastLine, logFileOf, runLocal } from '../sweep/local';
import { expandSweep, isSweepDir, loadSweepFile, readPlan, runDirOf, selectRuns, writePlan } from '../sweep/plan';
import { formatSweepCsv, formatSweepText, writeSweepReport } from '../sweep/report';
import { cancelSlurm, readSubmissions, slurmStatus, submitSlurm, waitSlurm } from '../sweep/slurm';
import { intOption, parseArgs, type Args } from './args';
import type { StopToken } from '../engine/trainLoop';

export const SWEEP_USAGE = `  skd sweep <file.sweep.skd.json | sweep folder> [--executor local|slurm] [--out <dir>] [--set key=value]...
            [--experiment <base.skd.json>] [--concurrency N] [--only run,run] [--dry-run]
            slurm: [--partition P] [--account A] [--qos Q] [--time T] [--mem M] [--cpus N] [--gpus N]
                   [--max-running N] [--slurm-arg --opt=value]... [--wait]
  skd sweep status <sweep folder> [--json]
  skd sweep cancel <sweep folder>
  skd sweep report <sweep folder> [--baseline <group>] [--format text|csv|json]`;

/** `skd sweep ...`: exit 0 done (or submitted), 1 a run failed, 2 bad input, 3 stopped. */
export async function sweepCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'status':
      return statusCommand(rest);
    case 'cancel':
      return cancelCommand(rest);
    case 'report':
      return reportCommand(rest);
    case 'exec':
      return execCommand(rest);
    case undefined:
      throw new InputError('command line', undefined, `usage:\n${SWEEP_USAGE}`);
    default:
      return runSweepCommand(argv);
  }
}

const log = (line: string) => process.stderr.write(`${line}\n`);

function folderArg(args: Args, usage: string): string {
  const [dir] = args.positional;
  if (!dir || args.positional.length > 1) throw new InputError('command line', undefined, `usage: ${usage}`);
  const abs = path.resolve(dir);
  if (!isSweepDir(abs)) throw new InputError(abs, undefined, 'not a sweep folder (no sweep.json)');
  return abs;
}

/** Takes every `--slurm-arg X` out of argv (repeatable). */
function takeRepeated(argv: string[], name: string): { rest: string[]; values: string[] } {
  const rest: string[] = [];
  const values: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === `--${name}`) {
      const v = argv[++i];
      if (v === undefined) throw new InputError('command line', `--${name}`, 'needs a value');
      values.push(v);
    } else if (argv[i].startsWith(`--${name}=`)) values.push(argv[i].slice(name.length + 3));
    else rest.push(argv[i]);
  }
  return { rest, values };
}

async function runSweepCommand(argv: string[]): Promise<number> {
  const sets = takeSetOptions(argv);
  const extra = takeRepeated(sets.rest, 'slurm-arg');
  const args = parseArgs(
    extra.rest,
    ['executor', 'out', 'experiment', 'concurrency', 'only', 'partition', 'account', 'qos', 'time', 'mem', 'cpus', 'gpus', 'max-running', 'baseline'],
    ['dry-run', 'wait', 'quiet'],
  );
  const [target] = args.positional;
  if (!target || args.positional.length > 1) throw new InputError('command line', undefined, `usage:\n${SWEEP_USAGE}`);
  const executor = args.options.get('executor') ?? 'local';
  if (executor !== 'local' && executor !== 'slurm') throw new InputError('command line', '--executor', `must be local or slurm, got "${executor}"`);
  const onlyNames = args.options.get('only')?.split(',').map((s) => s.trim()).filter(Boolean);

  let sweepDir: string;
  let plan: SweepPlan;
  const abs = path.resolve(target);
  if (fs.existsSync(abs) && fs.statSync(abs).isDirectory()) {
    if (!isSweepDir(abs)) throw new InputError(abs, undefined, 'not a sweep folder (no sweep.json); give a *.sweep.skd.json file');
    if (sets.overrides.length) throw new InputError('command line', '--set', 'applies to a sweep file, not to a sweep folder that already holds its runs');
    if (args.options.has('experiment')) throw new InputError('command line', '--experiment', 'applies to a sweep file, not to a sweep folder that already holds its runs');
    sweepDir = abs;
    plan = readPlan(sweepDir);
  } else {
    const sweep = loadSweepFile(abs);
    // `--experiment`: the same study on another base (a user's own data, another regime).
    const base = args.options.get('experiment');
    if (base !== undefined) sweep.experiment = path.resolve(base);
    const expanded = expandSweep(abs, sweep, sets.overrides);
    sweepDir = path.resolve(args.options.get('out') ?? 'runs', sweep.name);
    if (args.switches.has('dry-run')) {
      process.stdout.write(describePlan(expanded.plan, sweepDir));
      return 0;
    }
    fs.mkdirSync(sweepDir, { recursive: true });
    plan = writePlan(sweepDir, expanded);
  }
  if (args.switches.has('dry-run')) {
    process.stdout.write(describePlan(plan, sweepDir));
    return 0;
  }
  const only = onlyNames && selectRuns(plan, onlyNames);
  log(`sweep folder: ${sweepDir}`);
  const baseline = args.options.get('baseline');

  if (executor === 'local') {
    const concurrency = intOption(args, 'concurrency', plan.concurrency ?? defaultConcurrency(), 1, 1024);
    log(`${plan.runs.length} run(s), ${concurrency} at a time`);
    const result = await runLocal(sweepDir, plan, { concurrency, only, log });
    const report = writeSweepReport(sweepDir, { baseline });
    process.stdout.write(formatSweepText(report));
    log(`wall time ${result.seconds.toFixed(1)} s`);
    for (const f of result.failed) log(`failed: ${f.name}: ${f.detail} (log ${f.log}); rerun alone with: skd sweep ${sweepDir} --only ${f.name}`);
    if (result.interrupted || result.stopped.length) {
      log(`stopped: continue with "skd sweep ${sweepDir}"`);
      return 3;
    }
    return result.failed.length || result.blocked.length ? 1 : 0;
  }

  const settings: SlurmSettings = { ...(plan.slurm ?? {}) };
  const str = (k: string, f: keyof SlurmSettings) => {
    const v = args.options.get(k);
    if (v !== undefined) (settings as Record<string, unknown>)[f] = v;
  };
  str('partition', 'partition');
  str('account', 'account');
  str('qos', 'qos');
  str('time', 'time');
  str('mem', 'mem');
  if (args.options.has('cpus')) settings.cpusPerTask = intOption(args, 'cpus', 1, 1, 1024);
  if (args.options.has('gpus')) settings.gpus = intOption(args, 'gpus', 0, 0, 64);
  if (args.options.has('max-running')) settings.maxRunning = intOption(args, 'max-running', 1, 1, 100000);
  if (extra.values.length) settings.extraArgs = [...(settings.extraArgs ?? []), ...extra.values];
  const submitted = await submitSlurm(sweepDir, plan, { settings, only, log });
  for (const s of submitted.skipped) if (s.why !== 'finished') log(`${s.name}: not submitted, ${s.why}`);
  if (submitted.submitted.length === 0) log('nothing to submit');
  if (!args.switches.has('wait')) {
    process.stdout.write(`${sweepDir}\n`);
    log(`follow with: skd sweep status ${sweepDir}   (report: skd sweep report ${sweepDir}; cancel: skd sweep cancel ${sweepDir})`);
    return 0;
  }
  const statuses = await waitSlurm(sweepDir, plan, { log });
  const report = writeSweepReport(sweepDir, { baseline });
  process.stdout.write(formatSweepText(report));
  return reportFailures(sweepDir, statuses);
}

function reportFailures(sweepDir: string, statuses: SweepRunStatus[]): number {
  const bad = statuses.filter((s) => s.state !== 'done');
  for (const s of bad) log(`${s.name}: ${s.state}${s.detail ? `: ${s.detail}` : ''}`);
  if (bad.length) log(`resubmit with: skd sweep ${sweepDir} --executor slurm [--only ${bad.map((s) => s.name).join(',')}]`);
  return bad.some((s) => s.state === 'stopped') && !bad.some((s) => s.state === 'failed') ? 3 : bad.length ? 1 : 0;
}

function describePlan(plan: SweepPlan, sweepDir: string): string {
  const lines = [`sweep ${plan.name} -> ${sweepDir}`, `groups: ${plan.groups.map((g) => g.name).join(', ')}`, `seeds: ${plan.seeds.join(', ')}; teacher: ${plan.teacherSharing}`];
  for (const r of plan.runs) lines.push(`  ${r.name}${r.teacher ? `  (after ${r.teacher})` : ''}`);
  return lines.join('\n') + '\n';
}

/** Each run's state without a scheduler: from its run folder (a live pid is running). */
function localStatus(sweepDir: string, plan: SweepPlan): SweepRunStatus[] {
  return plan.runs.map((r) => {
    const dir = runDirOf(sweepDir, r.name);
    const st = readStatus(dir);
    const base: SweepRunStatus = { name: r.name, kind: r.kind, group: r.group, seed: r.seed, state: 'not started', log: logFileOf(sweepDir, r.name) };
    if (!st) return base;
    if (typeof st.progress === 'number') base.progress = st.progress;
    const s = st.state === 'done' ? readSummary(dir) : undefined;
    if (s) return { ...base, state: 'done', testAcc: r.kind === 'teacher' ? s.teacher.testAcc : s.student.testAcc };
    if (st.state === 'running' && isTrainerAlive(st)) return { ...base, state: 'running' };
    if (st.state === 'failed') return { ...base, state: 'failed', detail: st.error ?? lastLine(base.log!) };
    return { ...base, state: 'stopped', detail: st.state === 'running' ? 'interrupted' : st.state };
  });
}

function formatStatus(statuses: SweepRunStatus[]): string {
  const rows = statuses.map((s) => {
    const what = s.state === 'done' ? `${((s.testAcc ?? NaN) * 100).toFixed(2)}%` : s.state === 'running' && s.progress !== undefined ? `${Math.round(s.progress * 100)}%` : '';
    return [s.name, s.state, what, s.job ? `job ${s.job}` : '', s.scheduler ?? s.detail ?? ''];
  });
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i].length), 0));
  const counts = new Map<string, number>();
  for (const s of statuses) counts.set(s.state, (counts.get(s.state) ?? 0) + 1);
  return [...rows.map((r) => r.map((c, i) => (i < 4 ? c.padEnd(widths[i]) : c)).join('  ').trimEnd()), '', [...counts].map(([k, v]) => `${v} ${k}`).join(', ')].join('\n') + '\n';
}

async function statusCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, [], ['json']);
  const dir = folderArg(args, 'skd sweep status <sweep folder> [--json]');
  const plan = readPlan(dir);
  const statuses = readSubmissions(dir).length ? await slurmStatus(dir, plan) : localStatus(dir, plan);
  process.stdout.write(args.switches.has('json') ? JSON.stringify({ sweep: plan.name, dir, runs: statuses }, null, 2) + '\n' : formatStatus(statuses));
  for (const s of statuses.filter((x) => x.state === 'failed')) if (!args.switches.has('json')) log(`${s.name} failed: ${s.detail ?? ''}${s.log ? ` (log ${s.log})` : ''}`);
  return 0;
}

async function cancelCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, [], []);
  const dir = folderArg(args, 'skd sweep cancel <sweep folder>');
  if (!readSubmissions(dir).length) throw new InputError(dir, undefined, 'no Slurm jobs recorded for this sweep (a local sweep stops with Ctrl-C or SIGTERM)');
  const jobs = await cancelSlurm(dir);
  process.stdout.write(jobs.length ? `cancelled job(s) ${jobs.join(', ')}; running runs checkpoint and stop; resume with: skd sweep ${dir} --executor slurm\n` : 'no job of this sweep is queued or running\n');
  return 0;
}

async function reportCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, ['baseline', 'format'], ['json']);
  const dir = folderArg(args, 'skd sweep report <sweep folder> [--baseline <group>] [--format text|csv|json]');
  const format = args.switches.has('json') ? 'json' : (args.options.get('format') ?? 'text');
  if (!['text', 'csv', 'json'].includes(format)) throw new InputError('command line', '--format', `must be text, csv or json, got "${format}"`);
  const report = writeSweepReport(dir, { baseline: args.options.get('baseline') });
  process.stdout.write(format === 'json' ? JSON.stringify(report, null, 2) + '\n' : format === 'csv' ? formatSweepCsv(report) : formatSweepText(report));
  return 0;
}

/** One run (what every executor starts): exit 0 done or skipped, 3 stopped, 1/2 failed. */
async function execCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, [], ['quiet']);
  const [dir, name] = args.positional;
  if (!dir || !name || args.positional.length > 2) throw new InputError('command line', undefined, 'usage: skd sweep exec <sweep folder> <run>');
  const stop: StopToken = { requested: false };
  const onSignal = (sig: NodeJS.Signals) => {
    if (stop.requested && sig === 'SIGINT') process.exit(130);
    stop.requested = true;
    log(`skd: ${sig}: stopping after the current batch (checkpointing)`);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const r = await execSweepRun(path.resolve(dir), name, { stop, log: args.switches.has('quiet') ? undefined : log });
  if (r.state === 'stopped') {
    log(`${name}: stopped; the sweep resumes it when it runs again`);
    return 3;
  }
  log(`${name}: ${r.state}`);
  return 0;
}
