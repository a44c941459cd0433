/**
 * SKD Lab crash safety: the real `skd` command line is killed with SIGKILL at >= 10 seeded
 * points spread over a tiny SKD run (teacher epochs, trajectory records, TBT/TET, student
 * epochs, the final save) and resumed with `skd resume` each time until it finishes; its final
 * student must equal, byte for byte, the student of an uninterrupted run with the same seed.
 * A second run is stopped with SIGTERM mid-student (exit 3, `stopped`) and resumed to the same
 * student.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  MetricsFollower,
  compareStudents,
  ensureCli,
  eventKey,
  listTree,
  readLog,
  readStatus,
  runSkd,
  seeded,
  startSkd,
  studentBatchIn,
  tinySkdExperiment,
  waitUntil,
  type LogLine,
} from '../helpers/killHarness';

const KILL_SEED = Number(process.env.SKD_KILL_SEED ?? 6);

interface KillTarget {
  /** Index in the reference run's metrics log of the event after which to kill. */
  index: number;
  delayMs: number;
  label: string;
}

interface KillRecord {
  target: string;
  /** Where the run really was: the last event seen before the kill, and status.json's phase. */
  lastEvent: string;
  statusPhase: string;
  tornInjected: boolean;
}

function describeEvent(e: LogLine | undefined): string {
  if (!e) return 'start-up';
  switch (e.type) {
    case 'batch':
      return `${e.network} epoch ${(e.epoch ?? 0) + 1} batch step ${Number(e.step).toFixed(2)}`;
    case 'epoch':
      return `${e.network} end of epoch ${(e.epoch ?? 0) + 1}`;
    case 'stage':
      return `${e.network} end of stage ${(e.stage ?? 0) + 1}`;
    case 'phase':
      return `phase ${e.phase}`;
    default:
      return `${e.type}${e.stage !== undefined ? ` stage ${e.stage + 1}` : ''}`;
  }
}

/** Kill points chosen from the reference log: each phase of the run gets some. */
function planKills(ref: LogLine[], rnd: () => number): KillTarget[] {
  const idx = (pred: (e: LogLine) => boolean) => ref.map((e, i) => (pred(e) ? i : -1)).filter((i) => i >= 0);
  const pick = (from: number[], n: number) => {
    const pool = [...from];
    const out: number[] = [];
    while (out.length < n && pool.length > 0) out.push(pool.splice(Math.floor(rnd() * pool.length), 1)[0]);
    return out;
  };
  const delay = (lo: number, hi: number) => Math.round(lo + rnd() * (hi - lo));
  const targets: KillTarget[] = [];
  const add = (indices: number[], lo: number, hi: number, label: string) => {
    for (const i of indices) targets.push({ index: i, delayMs: delay(lo, hi), label: `${label} (${describeEvent(ref[i])})` });
  };
  add(pick(idx((e) => e.type === 'batch' && e.network === 'teacher'), 3), 0, 120, 'teacher epoch');
  // The trajectory of a stage is recorded right after its last epoch's event.
  add(pick(idx((e) => e.type === 'epoch' && e.network === 'teacher'), 2), 0, 40, 'trajectory record');
  // Inside TBT's training: delays scaled to how long it took in the reference run.
  const tbt = idx((e) => e.type === 'phase' && e.phase === 'tbt');
  const tbtEnd = ref.findIndex((e) => e.type === 'tbt');
  const tbtMs = tbt.length && tbtEnd > 0 ? Date.parse(String(ref[tbtEnd].time)) - Date.parse(String(ref[tbt[0]].time)) : 1000;
  add(tbt, 0.1 * tbtMs, 0.45 * tbtMs, 'meta phase: TBT');
  add(tbt, 0.45 * tbtMs, 0.85 * tbtMs, 'meta phase: TBT');
  add(idx((e) => e.type === 'tbt').slice(-1), 0, 150, 'meta phase: TET');
  add(pick(idx((e) => e.type === 'batch' && e.network === 'student'), 4), 0, 120, 'student epoch');
  add(pick(idx((e) => e.type === 'epoch' && e.network === 'student'), 1), 0, 30, 'student epoch end');
  add(idx((e) => e.type === 'stage' && e.network === 'student').slice(-1), 0, 60, 'final save');
  return targets.sort((a, b) => a.index - b.index || a.delayMs - b.delayMs);
}

describe('SKD Lab crash safety: kills and stops of the real command line', { timeout: 600_000 }, () => {
  let tmp: string;
  let file: string;
  let refDir: string;
  let ref: LogLine[];

  before(async () => {
    ensureCli();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skd-kill-'));
    file = path.join(tmp, 'tiny.skd.json');
    fs.writeFileSync(file, JSON.stringify(tinySkdExperiment('tiny'), null, 2));
    refDir = path.join(tmp, 'reference');
    const t0 = Date.now();
    // The reference runs with the default checkpoint interval: checkpoints must not change results.
    const r = await runSkd(['run', file, '--run-dir', refDir, '--quiet'], { env: { SKD_CHECKPOINT_SECONDS: '' } });
    assert.equal(r.code, 0, `the uninterrupted run failed: ${r.stderr}`);
    ref = readLog(path.join(refDir, 'metrics.jsonl')).events;
    console.log(`# reference run: ${((Date.now() - t0) / 1000).toFixed(1)} s, ${ref.length} events`);
  });

  after(() => {
    if (tmp && !process.env.SKD_KEEP_TMP) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('SIGKILLed at >= 10 seeded points and resumed each time, ends with the uninterrupted run\'s student', async () => {
    const refIndex = new Map<string, number>();
    ref.forEach((e, i) => {
      if (!refIndex.has(eventKey(e))) refIndex.set(eventKey(e), i);
    });
    const rnd = seeded(KILL_SEED);
    const targets = planKills(ref, rnd);
    assert.ok(targets.length >= 10, `only ${targets.length} kill points planned`);
    const dir = path.join(tmp, 'killed');
    const metrics = path.join(dir, 'metrics.jsonl');
    const kills: KillRecord[] = [];
    let resumes = 0;
    let injected = 0;
    let lives = 0;
    const t0 = Date.now();
    const maxLives = targets.length + 5;
    for (;;) {
      assert.ok(++lives <= maxLives, 'the run did not finish after every planned kill');
      const follower = new MetricsFollower(metrics);
      const args = lives === 1 ? ['run', file, '--run-dir', dir, '--quiet'] : ['resume', dir, '--quiet'];
      if (lives > 1) resumes++;
      // Mid-epoch checkpoints after every batch, so kills inside an epoch lose nothing.
      const c = startSkd(args, { env: { SKD_CHECKPOINT_SECONDS: '0' } });
      let exited = false;
      void c.exit.then(() => (exited = true));
      const target = targets[0];
      let last: LogLine | undefined;
      let fireAt: number | undefined;
      let killed = false;
      while (!exited) {
        follower.poll((e) => {
          if (!e) return;
          last = e;
          const i = refIndex.get(eventKey(e));
          if (target && fireAt === undefined && i !== undefined && i >= target.index) fireAt = Date.now() + target.delayMs;
        });
        if (fireAt !== undefined && Date.now() >= fireAt && !killed) {
          c.child.kill('SIGKILL');
          killed = true;
          targets.shift();
        }
        await new Promise((r) => setTimeout(r, 5));
      }
      const exit = await c.exit;
      if (killed && exit.signal === 'SIGKILL' && readStatus(dir)?.state === 'done') {
        // The kill landed after the run had finished (while the process was exiting): the
        // run is complete, and resuming it is rightly refused.
        kills.push({ target: target.label, lastEvent: describeEvent(last), statusPhase: 'done, the kill came after the end', tornInjected: false });
        break;
      }
      if (killed && exit.signal === 'SIGKILL') {
        // Every third kill also leaves a torn last line, as a crash in the middle of a write would.
        const tear = kills.length % 3 === 1;
        if (tear) {
          fs.appendFileSync(metrics, '{"time":"2026-01-01T00:00:00.000Z","type":"batch","netw');
          injected++;
        }
        kills.push({ target: target.label, lastEvent: describeEvent(last), statusPhase: readStatus(dir)?.phase ?? '?', tornInjected: tear });
        continue;
      }
      assert.equal(exit.code, 0, `life ${lives} (${args[0]}) ended with ${exit.code ?? exit.signal}: ${exit.stderr}`);
      break;
    }
    const seconds = (Date.now() - t0) / 1000;
    console.log(`# ${kills.length} SIGKILLs, ${resumes} resumes, ${injected} torn lines injected, ${seconds.toFixed(1)} s in all (seed ${KILL_SEED})`);
    kills.forEach((k, i) =>
      console.log(`#  kill ${String(i + 1).padStart(2)}: planned ${k.target}; landed after ${k.lastEvent}; status phase ${k.statusPhase}${k.tornInjected ? '; torn line added' : ''}`),
    );
    assert.ok(kills.length >= 10, `only ${kills.length} kills landed`);

    assert.equal(readStatus(dir)?.state, 'done');
    const summary = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8')) as { student: { testAcc: number }; teacher: { testAcc: number } };
    const refSummary = JSON.parse(fs.readFileSync(path.join(refDir, 'summary.json'), 'utf8')) as typeof summary;
    assert.equal(summary.teacher.testAcc, refSummary.teacher.testAcc, 'teacher test accuracy differs from the uninterrupted run');
    assert.equal(summary.student.testAcc, refSummary.student.testAcc, 'student test accuracy differs from the uninterrupted run');

    const diff = compareStudents(refDir, dir);
    console.log(`# final student vs uninterrupted: ${diff.identical ? 'byte-identical' : `max |diff| ${diff.maxAbsDiff} (first at float ${diff.firstDiff} of ${diff.floats}), model.json ${diff.modelJsonSame ? 'same' : 'differs'}`}`);
    assert.ok(diff.identical, `the resumed student differs: max |diff| ${diff.maxAbsDiff}, model.json ${diff.modelJsonSame ? 'same' : 'differs'}`);
    // Temporaries of writes cut short by the kills were swept by the resumes.
    const temporaries = listTree(dir).filter((f) => /\.tmp-\d+/.test(f));
    assert.deepEqual(temporaries, [], 'temporary files left behind');
    const teacherSame = fs.readFileSync(path.join(refDir, 'teacher', 'model', 'weights.bin')).equals(fs.readFileSync(path.join(dir, 'teacher', 'model', 'weights.bin')));
    assert.ok(teacherSame, 'the resumed teacher differs from the uninterrupted one');

    // The log parses line by line; only the injected fragments are torn, and each resume's own
    // `run` event survived even when it was appended right after a torn line.
    const log = readLog(metrics);
    assert.equal(log.torn, injected, `${log.torn} unparseable lines for ${injected} injected fragments`);
    assert.equal(log.events.filter((e) => e.type === 'run' && e.resumed === true).length, resumes, 'a resume\'s run event was lost');
    assert.equal(log.events.filter((e) => e.type === 'final').length, 1);
    // Every epoch of the uninterrupted run was logged with the same numbers (replays may repeat one).
    const epochs = (events: LogLine[]) =>
      new Map(events.filter((e) => e.type === 'epoch').map((e) => [`${e.network}/${e.epoch}`, [e.loss, e.trainAcc, e.valAcc]]));
    assert.deepEqual(epochs(log.events), epochs(ref));
  });

  it('stops on SIGTERM mid-student (exit 3, stopped) and resumes to the same student', async () => {
    const dir = path.join(tmp, 'sigterm');
    const metrics = path.join(dir, 'metrics.jsonl');
    const c = startSkd(['run', file, '--run-dir', dir, '--quiet'], { env: { SKD_CHECKPOINT_SECONDS: '' } });
    const follower = new MetricsFollower(metrics);
    // While it trains, a second trainer on the same run directory is refused.
    await waitUntil('the first teacher batch', () => fs.existsSync(metrics) && readLog(metrics).events.some((e) => e.type === 'batch'), 240_000);
    const twice = await runSkd(['resume', dir, '--quiet']);
    assert.equal(twice.code, 2, `a second trainer on a running run: exit ${twice.code}: ${twice.stderr}`);
    assert.match(twice.stderr, /this run is still training in process \d+/);
    const at = await studentBatchIn(follower, 1, 240_000);
    c.child.kill('SIGTERM');
    const stopped = await c.exit;
    assert.equal(stopped.code, 3, `exit ${stopped.code ?? stopped.signal}: ${stopped.stderr}`);
    assert.equal(readStatus(dir)?.state, 'stopped');
    assert.match(stopped.stdout, /stopped: resume with "skd resume /);
    assert.ok(!fs.existsSync(path.join(dir, 'summary.json')), 'a stopped run has no summary');
    const before = readLog(metrics).events;
    const lastBefore = before[before.length - 1];
    console.log(`# SIGTERM after ${describeEvent(at)}; last event before the stop: ${describeEvent(lastBefore)}`);

    const resumed = await runSkd(['resume', dir, '--quiet']);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(readStatus(dir)?.state, 'done');
    const diff = compareStudents(refDir, dir);
    console.log(`# SIGTERM + resume vs uninterrupted: ${diff.identical ? 'byte-identical' : `max |diff| ${diff.maxAbsDiff}`}`);
    assert.ok(diff.identical, `the stopped and resumed student differs: max |diff| ${diff.maxAbsDiff}`);
    // A finished run cannot be resumed again: bad input, exit 2, and it stays done.
    const again = await runSkd(['resume', dir, '--quiet']);
    assert.equal(again.code, 2, again.stderr);
    assert.match(again.stderr.trim(), /^skd: .*status: this run has already finished$/);
    assert.equal(readStatus(dir)?.state, 'done');
  });
});
