import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SWEEP_FILES, type PlannedRun, type SlurmSettings, type SweepPlan, type SweepRunStatus } from '../../protocol/sweep';
import { readStatus, readSummary } from '../runDir/runFiles';
import { readJson, writeFileAtomic, writeJsonAtomic } from '../runDir/atomicFile';
import { cliBundle, lastLine, logFileOf } from './local';
import { runDirOf } from './plan';

/**
 * The Slurm executor. Each teacher the sweep trains is one job; the students that reuse it are
 * one job array (one run per task) that starts after it (`--dependency=afterok`, cancelled if
 * it fails). Every task runs `skd sweep exec <sweep folder> <run>`, so a task that starts again
 * resumes its run. Submissions are recorded in `slurm/jobs.json`; status and cancel go through
 * `squeue` and `scancel`; submitting again sends only the runs that are neither finished nor
 * queued, alone if asked (`--only`).
 */

export interface Submission {
  jobId: string;
  jobName: string;
  array: boolean;
  /** Run names; in an array, task i runs runs[i]. */
  runs: string[];
  dependsOn?: string;
  script: string;
  submitted: string;
}

export interface QueueEntry {
  state: string;
  reason: string;
}

/** Runs a Slurm command; rejects with its stderr's first line. */
export function slurmCommand(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) {
        const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? `${cmd} not found: is Slurm installed here?` : (stderr.trim().split('\n')[0] || err.message);
        reject(new Error(`${cmd}: ${why}`));
      } else resolve(stdout);
    });
  });
}

/** Whether a Slurm controller answers here (`sinfo`); the reason when not. */
export async function slurmReachable(): Promise<{ ok: true } | { ok: false; reason: string }> {
  try {
    const out = await slurmCommand('sinfo', ['--noheader', '--format=%P %a']);
    if (!/\bup\b/.test(out)) return { ok: false, reason: `sinfo shows no partition that is up (${out.trim() || 'none'})` };
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}

function jobsFile(sweepDir: string): string {
  return path.join(sweepDir, SWEEP_FILES.jobs);
}

export function readSubmissions(sweepDir: string): Submission[] {
  const f = jobsFile(sweepDir);
  return fs.existsSync(f) ? readJson<Submission[]>(f) : [];
}

/** Queue entries of this sweep's jobs, by task id (`123` or `123_4`). */
export async function queueOf(submissions: Submission[]): Promise<Map<string, QueueEntry>> {
  const out = new Map<string, QueueEntry>();
  if (submissions.length === 0) return out;
  const ids = new Set(submissions.map((s) => s.jobId));
  // All of the queue, filtered here: `squeue --jobs` fails outright on ids that have left it.
  const text = await slurmCommand('squeue', ['--noheader', '--array', '--format=%F|%K|%T|%r']);
  for (const line of text.split('\n')) {
    const [job, task, state, reason] = line.trim().split('|');
    if (!job || !ids.has(job)) continue;
    out.set(task && task !== 'N/A' ? `${job}_${task}` : job, { state, reason: reason ?? '' });
  }
  return out;
}

/** The latest submission of each run and its task id. */
function latestTasks(submissions: Submission[]): Map<string, { sub: Submission; task: string; index: number }> {
  const out = new Map<string, { sub: Submission; task: string; index: number }>();
  for (const sub of submissions) {
    sub.runs.forEach((name, i) => out.set(name, { sub, task: sub.array ? `${sub.jobId}_${i}` : sub.jobId, index: i }));
  }
  return out;
}

export function slurmLogOf(sweepDir: string, sub: Submission, index: number): string {
  return path.join(sweepDir, SWEEP_FILES.slurm, 'logs', sub.array ? `${sub.jobName}-${sub.jobId}_${index}.log` : `${sub.jobName}-${sub.jobId}.log`);
}

/** Each run's state, from its run folder and (while queued or running) from squeue. */
export async function slurmStatus(sweepDir: string, plan: SweepPlan): Promise<SweepRunStatus[]> {
  const submissions = readSubmissions(sweepDir);
  const queue = await queueOf(submissions);
  const tasks = latestTasks(submissions);
  const statuses: SweepRunStatus[] = [];
  for (const r of plan.runs) {
    const dir = runDirOf(sweepDir, r.name);
    const st = readStatus(dir);
    const base: SweepRunStatus = { name: r.name, kind: r.kind, group: r.group, seed: r.seed, state: 'not started' };
    const t = tasks.get(r.name);
    const q = t ? (queue.get(t.task) ?? (t.sub.array ? queue.get(`${t.sub.jobId}_[${t.index}]`) : undefined)) : undefined;
    const log = t ? slurmLogOf(sweepDir, t.sub, t.index) : undefined;
    if (t) {
      base.job = t.task;
      base.log = log;
    }
    if (typeof st?.progress === 'number') base.progress = st.progress;
    if (st?.state === 'done' && readSummary(dir)) {
      const s = readSummary(dir)!;
      statuses.push({ ...base, state: 'done', testAcc: r.kind === 'teacher' ? s.teacher.testAcc : s.student.testAcc });
    } else if (q) {
      const running = q.state === 'RUNNING' || q.state === 'COMPLETING' || q.state === 'CONFIGURING';
      statuses.push({ ...base, state: running ? 'running' : 'pending', scheduler: `${q.state}${q.reason && q.reason !== 'None' ? ` (${q.reason})` : ''}` });
    } else if (st?.state === 'stopped') {
      statuses.push({ ...base, state: 'stopped', detail: 'stopped (cancelled); submit the sweep again to resume it' });
    } else if (st?.state === 'failed' || st?.state === 'running') {
      // `running` with no job behind it: the job ended without the run ending (killed, time limit).
      const line = (log && lastLine(log)) || st.error || lastLine(logFileOf(sweepDir, r.name));
      statuses.push({ ...base, state: 'failed', detail: line || `the job ended while the run was ${st.state}` });
    } else if (t) {
      const teacher = r.teacher ? statuses.find((s) => s.name === r.teacher) : undefined;
      if (teacher && (teacher.state === 'failed' || teacher.state === 'blocked' || teacher.state === 'stopped' || teacher.state === 'not started')) {
        statuses.push({ ...base, state: 'blocked', detail: `its teacher ${r.teacher} did not finish` });
      } else {
        const line = log ? lastLine(log) : '';
        statuses.push({ ...base, state: line ? 'failed' : 'not started', detail: line || `job ${t.task} left the queue without starting the run (cancelled?)` });
      }
    } else {
      statuses.push(base);
    }
  }
  return statuses;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** sbatch options for the resources. */
export function resourceArgs(s: SlurmSettings): string[] {
  const args = [`--cpus-per-task=${s.cpusPerTask ?? 1}`];
  if (s.partition) args.push(`--partition=${s.partition}`);
  if (s.account) args.push(`--account=${s.account}`);
  if (s.qos) args.push(`--qos=${s.qos}`);
  if (s.time) args.push(`--time=${s.time}`);
  if (s.mem) args.push(`--mem=${s.mem}`);
  if (s.gpus) args.push(`--gpus-per-task=${s.gpus}`);
  args.push(...(s.extraArgs ?? []));
  return args;
}

/** The batch script of one job: `#SBATCH` lines, the setup, then `skd sweep exec`. */
export function jobScript(opts: { sweepDir: string; jobName: string; array: boolean; tasksFile?: string; run?: string; settings: SlurmSettings; node?: string; cli?: string }): string {
  const logDir = path.join(opts.sweepDir, SWEEP_FILES.slurm, 'logs');
  const out = path.join(logDir, opts.array ? `${opts.jobName}-%A_%a.log` : `${opts.jobName}-%j.log`);
  const lines = [
    '#!/bin/bash',
    `#SBATCH --job-name=${opts.jobName}`,
    `#SBATCH --output=${out}`,
    `#SBATCH --chdir=${opts.sweepDir}`,
    ...resourceArgs(opts.settings).map((a) => `#SBATCH ${a}`),
    '# Written by skd sweep: one run of the sweep per task; a task that starts again resumes its run.',
    'set -eu',
    ...(opts.settings.setup ?? []),
    opts.array ? `RUN=$(sed -n "$((SLURM_ARRAY_TASK_ID + 1))p" ${q(opts.tasksFile!)})` : `RUN=${q(opts.run!)}`,
    `echo "skd sweep: run $RUN on $(hostname) (job \${SLURM_JOB_ID})" >&2`,
    `exec ${q(opts.node ?? process.execPath)} ${q(opts.cli ?? cliBundle())} sweep exec ${q(opts.sweepDir)} "$RUN"`,
    '',
  ];
  return lines.join('\n');
}

export interface SubmitResult {
  submitted: Submission[];
  skipped: { name: string; why: string }[];
}

/**
 * Submits every run that is neither finished nor queued (only `only`, when given): teachers
 * first, then one array per teacher for its students, after it.
 */
export async function submitSlurm(sweepDir: string, plan: SweepPlan, opts: { settings: SlurmSettings; only?: string[]; log: (line: string) => void }): Promise<SubmitResult> {
  const statuses = await slurmStatus(sweepDir, plan);
  const byName = new Map(statuses.map((s) => [s.name, s]));
  const tasks = latestTasks(readSubmissions(sweepDir));
  const result: SubmitResult = { submitted: [], skipped: [] };
  const want = (r: PlannedRun) => {
    if (opts.only && !opts.only.includes(r.name)) return false;
    const s = byName.get(r.name)!;
    if (s.state === 'done') return (result.skipped.push({ name: r.name, why: 'finished' }), false);
    if (s.state === 'running' || s.state === 'pending') return (result.skipped.push({ name: r.name, why: `already queued as job ${s.job}` }), false);
    return true;
  };
  const toSubmit = plan.runs.filter(want);
  const slurmDir = path.join(sweepDir, SWEEP_FILES.slurm);
  fs.mkdirSync(path.join(slurmDir, 'logs'), { recursive: true });
  const all = readSubmissions(sweepDir);
  const stamp = all.length;
  const record = (s: Submission) => {
    all.push(s);
    result.submitted.push(s);
    writeJsonAtomic(jobsFile(sweepDir), all);
  };
  const sbatch = async (script: string, extra: string[]): Promise<string> => {
    const out = await slurmCommand('sbatch', ['--parsable', ...extra, script]);
    const id = out.trim().split(';')[0];
    if (!/^\d+$/.test(id)) throw new Error(`sbatch: unexpected answer "${out.trim()}"`);
    return id;
  };
  const teacherJob = new Map<string, string>();
  for (const r of toSubmit.filter((t) => t.kind === 'teacher')) {
    const jobName = `skd-${plan.name}-${r.name}`;
    const script = path.join(slurmDir, `${r.name}.${stamp}.sh`);
    writeFileAtomic(script, jobScript({ sweepDir, jobName, array: false, run: r.name, settings: opts.settings }));
    const jobId = await sbatch(script, []);
    teacherJob.set(r.name, jobId);
    record({ jobId, jobName, array: false, runs: [r.name], script, submitted: new Date().toISOString() });
    opts.log(`${r.name}: submitted as job ${jobId}`);
  }
  // Students by teacher: one array each, after the teacher's job when it has not finished.
  const groups = new Map<string, PlannedRun[]>();
  for (const r of toSubmit.filter((t) => t.kind === 'student')) {
    const k = r.teacher ?? '';
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  for (const [teacher, runs] of groups) {
    let dependsOn: string | undefined;
    if (teacher) {
      const t = byName.get(teacher)!;
      if (teacherJob.has(teacher)) dependsOn = teacherJob.get(teacher);
      else if (t.state === 'running' || t.state === 'pending') dependsOn = tasks.get(teacher)?.sub.jobId;
      else if (t.state !== 'done') {
        for (const r of runs) result.skipped.push({ name: r.name, why: `its teacher ${teacher} is ${t.state}; submit it too` });
        continue;
      }
    }
    const label = teacher ? `${teacher}-students` : 'students';
    const jobName = `skd-${plan.name}-${label}`;
    const tasksFile = path.join(slurmDir, `${label}.${stamp}.tasks`);
    writeFileAtomic(tasksFile, runs.map((r) => r.name).join('\n') + '\n');
    const script = path.join(slurmDir, `${label}.${stamp}.sh`);
    writeFileAtomic(script, jobScript({ sweepDir, jobName, array: true, tasksFile, settings: opts.settings }));
    const limit = opts.settings.maxRunning ? `%${opts.settings.maxRunning}` : '';
    const extra = [`--array=0-${runs.length - 1}${limit}`, ...(dependsOn ? [`--dependency=afterok:${dependsOn}`, '--kill-on-invalid-dep=yes'] : [])];
    const jobId = await sbatch(script, extra);
    record({ jobId, jobName, array: true, runs: runs.map((r) => r.name), ...(dependsOn ? { dependsOn } : {}), script, submitted: new Date().toISOString() });
    opts.log(`${runs.length} student run(s)${teacher ? ` of ${teacher}` : ''}: submitted as array job ${jobId}${dependsOn ? `, after job ${dependsOn}` : ''}`);
  }
  return result;
}

/** Cancels the sweep's queued and running jobs; running runs checkpoint and end `stopped`. */
export async function cancelSlurm(sweepDir: string): Promise<string[]> {
  const submissions = readSubmissions(sweepDir);
  const queue = await queueOf(submissions);
  const jobs = [...new Set([...queue.keys()].map((k) => k.split('_')[0]))];
  if (jobs.length) await slurmCommand('scancel', jobs);
  return jobs;
}

/** Polls squeue until none of the sweep's runs is pending or running. */
export async function waitSlurm(sweepDir: string, plan: SweepPlan, opts: { intervalMs?: number; log?: (line: string) => void; timeoutMs?: number } = {}): Promise<SweepRunStatus[]> {
  const t0 = Date.now();
  let last = '';
  for (;;) {
    const st = await slurmStatus(sweepDir, plan);
    const counts = new Map<string, number>();
    for (const s of st) counts.set(s.state, (counts.get(s.state) ?? 0) + 1);
    const line = [...counts].map(([k, v]) => `${v} ${k}`).join(', ');
    if (line !== last) opts.log?.(line);
    last = line;
    if (!st.some((s) => s.state === 'pending' || s.state === 'running')) return st;
    if (opts.timeoutMs && Date.now() - t0 > opts.timeoutMs) throw new Error(`still queued after ${Math.round(opts.timeoutMs / 1000)} s`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 2000));
  }
}
