/**
 * SKD Lab: a damaged checkpoint never costs finished work. A tiny SKD run is stopped (SIGTERM)
 * once in each trained phase (teacher, student alone, distilled student) and each time copied;
 * in each copy the phase's checkpoint is truncated, or one bit of it flipped (caught by its
 * CRC-32), and `skd resume` must finish the run from the previous checkpoint, saying so in one
 * line that names the file, with the same student as the undamaged run, and without training
 * a finished teacher again, even when the teacher's own checkpoints are both damaged. Damaged
 * TBT / TET outputs are computed again; a damaged trajectory stage file gives its logits from the
 * best epoch's file, which records the same checkpoint.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MetricsFollower, compareStudents, ensureCli, readLog, readStatus, runSkd, startSkd, tinySkdExperiment, type LogLine } from '../helpers/killHarness';

type Network = 'teacher' | 'alone' | 'student';
const CHECKPOINT: Record<Network, string> = { teacher: path.join('teacher', 'checkpoint.bin'), alone: 'alone-checkpoint.bin', student: 'student-checkpoint.bin' };
/**
 * Checkpoints after every batch, so each phase has a previous one to fall back to; the student
 * alone after the teacher, so that each phase can be stopped in on its own.
 */
const ENV = { SKD_CHECKPOINT_SECONDS: '0', SKD_ALONE_BESIDE: '0' };

/** Runs `skd <args>` and sends SIGTERM once `network` is into its second epoch; resolves when it has stopped. */
async function stopIn(args: string[], dir: string, network: Network): Promise<void> {
  const follower = new MetricsFollower(path.join(dir, 'metrics.jsonl'));
  const c = startSkd([...args, '--quiet'], { env: ENV });
  let sent = false;
  const timer = setInterval(() => {
    follower.poll((e: LogLine | undefined) => {
      if (!sent && e?.type === 'batch' && e.network === network && (e.epoch ?? 0) >= 1) {
        sent = true;
        c.child.kill('SIGTERM');
      }
    });
  }, 10);
  const exit = await c.exit;
  clearInterval(timer);
  assert.ok(sent, `never reached ${network}'s second epoch: ${exit.stderr}`);
  assert.equal(exit.code, 3, `stopped in ${network}: ${exit.stderr}`);
  assert.equal(readStatus(dir)?.state, 'stopped');
}

/** Events after the last `run` event: what the latest session did. */
function lastSession(dir: string): LogLine[] {
  const events = readLog(path.join(dir, 'metrics.jsonl')).events;
  let i = events.length - 1;
  while (i > 0 && events[i].type !== 'run') i--;
  return events.slice(i);
}

describe('SKD Lab: damaged checkpoints fall back to the previous one', { timeout: 900_000 }, () => {
  let tmp: string;
  let reference: string;
  const snapshots = {} as Record<Network, string>;

  before(async () => {
    ensureCli();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skd-ckpt-fallback-'));
    const file = path.join(tmp, 'fallback.skd.json');
    fs.writeFileSync(file, JSON.stringify(tinySkdExperiment('fallback'), null, 2));
    reference = path.join(tmp, 'reference');
    await stopIn(['run', file, '--run-dir', reference], reference, 'teacher');
    snapshots.teacher = path.join(tmp, 'stopped-in-teacher');
    fs.cpSync(reference, snapshots.teacher, { recursive: true });
    await stopIn(['resume', reference], reference, 'alone');
    snapshots.alone = path.join(tmp, 'stopped-in-alone');
    fs.cpSync(reference, snapshots.alone, { recursive: true });
    await stopIn(['resume', reference], reference, 'student');
    snapshots.student = path.join(tmp, 'stopped-in-student');
    fs.cpSync(reference, snapshots.student, { recursive: true });
    const done = await runSkd(['resume', reference, '--quiet']);
    assert.equal(done.code, 0, done.stderr);
    for (const n of Object.keys(CHECKPOINT) as Network[]) {
      assert.ok(fs.existsSync(path.join(snapshots[n], `${CHECKPOINT[n]}.prev`)), `${n}: the previous checkpoint is kept`);
    }
  });

  after(() => {
    if (tmp && !process.env.SKD_KEEP_TMP) fs.rmSync(tmp, { recursive: true, force: true });
  });

  const damages = {
    truncated: (f: string) => fs.writeFileSync(f, fs.readFileSync(f).subarray(0, Math.floor(fs.statSync(f).size / 2))),
    'bit-flipped': (f: string) => {
      const buf = fs.readFileSync(f);
      buf[buf.length - 101] ^= 0x10; // inside the float data: only the checksum can tell
      fs.writeFileSync(f, buf);
    },
  };

  for (const network of ['teacher', 'alone', 'student'] as const) {
    for (const [damage, change] of Object.entries(damages)) {
      it(`${network} checkpoint ${damage}: resume falls back to the previous one and finishes`, async () => {
        const dir = path.join(tmp, `${network}-${damage}`);
        fs.cpSync(snapshots[network], dir, { recursive: true });
        const ckpt = path.join(dir, CHECKPOINT[network]);
        change(ckpt);
        const r = await runSkd(['resume', dir, '--quiet'], { env: ENV });
        assert.equal(r.code, 0, r.stderr);
        assert.equal(readStatus(dir)?.state, 'done');
        const warning = r.stderr.split('\n').filter((l) => l.includes('previous checkpoint'));
        assert.equal(warning.length, 1, r.stderr);
        assert.ok(warning[0].includes(`${ckpt}: `) && warning[0].includes(`${ckpt}.prev`), warning[0]);
        assert.match(fs.readFileSync(path.join(dir, 'trainer.log'), 'utf8'), /warning: .*resuming from the previous checkpoint/);
        if (network !== 'teacher') {
          assert.ok(!lastSession(dir).some((e) => e.type === 'epoch' && e.network === 'teacher'), 'the finished teacher is not trained again');
        }
        const diff = compareStudents(reference, dir);
        assert.ok(diff.identical, `the student equals the undamaged run's (max |diff| ${diff.maxAbsDiff})`);
      });
    }
  }

  it('damaged TBT and TET outputs are computed again from the trajectory, to the same student', async () => {
    const dir = path.join(tmp, 'meta-damaged');
    fs.cpSync(snapshots.student, dir, { recursive: true });
    const tbt = path.join(dir, 'meta', 'tbt.bin');
    const tet = path.join(dir, 'meta', 'tet.bin');
    damages.truncated(tbt);
    damages['bit-flipped'](tet);
    const r = await runSkd(['resume', dir, '--quiet'], { env: ENV });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readStatus(dir)?.state, 'done');
    for (const f of [tbt, tet]) assert.ok(r.stderr.split('\n').some((l) => l.includes(`${f}: `) && /computing it again/.test(l)), r.stderr);
    assert.ok(!lastSession(dir).some((e) => e.type === 'epoch' && e.network === 'teacher'));
    assert.ok(compareStudents(reference, dir).identical);
  });

  it("a damaged trajectory stage file: its logits are read from its best epoch's file, to the same student", async () => {
    const dir = path.join(tmp, 'trajectory-damaged');
    fs.cpSync(snapshots.student, dir, { recursive: true });
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'teacher', 'trajectory', 'trajectory.json'), 'utf8')) as { recorded: { stage: number; bestEpoch: number; bestValAcc: number }[] };
    // The final teacher's stage: the student's KD term reads its logits.
    const best = meta.recorded.reduce((a, b) => (b.bestValAcc > a.bestValAcc ? b : a));
    const file = path.join(dir, 'teacher', 'trajectory', `stage-${best.stage + 1}.bin`);
    damages['bit-flipped'](file);
    const r = await runSkd(['resume', dir, '--quiet'], { env: ENV });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readStatus(dir)?.state, 'done');
    const warning = r.stderr.split('\n').filter((l) => l.includes(`${file}: `));
    assert.equal(warning.length, 1, r.stderr);
    assert.match(warning[0], new RegExp(`the stage's logits are read from epoch-${best.bestEpoch + 1}\\.bin`));
    assert.ok(compareStudents(reference, dir).identical);
  });

  it('a finished teacher whose checkpoints are both damaged is not trained again', async () => {
    const dir = path.join(tmp, 'teacher-checkpoints-gone');
    fs.cpSync(snapshots.student, dir, { recursive: true });
    for (const f of [CHECKPOINT.teacher, `${CHECKPOINT.teacher}.prev`]) fs.writeFileSync(path.join(dir, f), 'garbage');
    const r = await runSkd(['resume', dir, '--quiet'], { env: ENV });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readStatus(dir)?.state, 'done');
    assert.ok(!lastSession(dir).some((e) => e.type === 'epoch' && e.network === 'teacher'));
    assert.ok(compareStudents(reference, dir).identical);
  });
});
