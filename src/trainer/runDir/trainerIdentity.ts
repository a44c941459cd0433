/**
 * Which process is a run's trainer. status.json records the trainer's pid together with the
 * process's start time (field 22 of /proc/<pid>/stat), the host and the boot id, so that a pid
 * reused after a crash or a reboot is never taken for the trainer: adopting it would follow a
 * stranger, and stopping it would send SIGTERM / SIGKILL to an unrelated program. Every check
 * of "is this run still training" (adoption, stop, listing, the refusal to resume a live run)
 * goes through `isTrainerAlive`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The fields of status.json that name the trainer process (all optional: older files lack some). */
export interface TrainerIdentity {
  pid?: number;
  /** Start time of the process in clock ticks since boot (/proc/<pid>/stat, field 22). */
  pidStart?: number;
  /** `os.hostname()` of the machine it runs on. */
  host?: string;
  /** /proc/sys/kernel/random/boot_id: changes at every boot. */
  bootId?: string;
}

type OwnIdentity = TrainerIdentity & { pid: number; host: string };
let own: OwnIdentity | undefined;

/** This process's identity, as the trainer records it in status.json (fields it cannot know left out). */
export function currentTrainerIdentity(): OwnIdentity {
  if (!own) {
    own = { pid: process.pid, host: os.hostname() };
    const start = processStartTicks(process.pid);
    const boot = currentBootId();
    if (start !== undefined) own.pidStart = start;
    if (boot !== undefined) own.bootId = boot;
  }
  return { ...own };
}

/**
 * Whether the process a status names is that very trainer, alive now. Refused: another host
 * (its pid means nothing here), another boot, a process that started at another time than the
 * recorded one. A status written before start times were recorded is believed only when the
 * process's command line is the trainer's; a system without /proc cannot tell more than that
 * the pid exists.
 */
export function isTrainerAlive(id: TrainerIdentity | undefined): boolean {
  if (!id) return false;
  const { pid } = id;
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return false;
  if (id.host !== undefined && id.host !== os.hostname()) return false;
  const boot = currentBootId();
  if (id.bootId !== undefined && boot !== undefined && id.bootId !== boot) return false;
  if (!processExists(pid)) return false;
  if (!hasProcfs()) return true;
  if (id.pidStart !== undefined) return processStartTicks(pid) === id.pidStart;
  return looksLikeTrainer(pid);
}

/**
 * Whether a status names a trainer on another machine (a cluster node writing to a shared
 * folder): its liveness cannot be checked from here, so its recorded state is believed, and it
 * is never signalled from here.
 */
export function isTrainerElsewhere(id: TrainerIdentity | undefined): boolean {
  return typeof id?.host === 'string' && id.host !== '' && id.host !== os.hostname();
}

/** Whether a process with this pid exists (EPERM: it does, but belongs to someone else). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Field 22 (starttime) of /proc/<pid>/stat; undefined where it cannot be read. */
export function processStartTicks(pid: number): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Field 2 is the command name in parentheses and may itself hold spaces and ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so field 22 is fields[19].
  const ticks = Number(fields[19]);
  return Number.isSafeInteger(ticks) ? ticks : undefined;
}

let bootIdCache: string | null | undefined;

export function currentBootId(): string | undefined {
  if (bootIdCache === undefined) {
    try {
      bootIdCache = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
    } catch {
      bootIdCache = null;
    }
  }
  return bootIdCache ?? undefined;
}

function hasProcfs(): boolean {
  return fs.existsSync('/proc/self/stat');
}

/**
 * Whether a process's command line is SKD Lab's trainer: node (or an editor's runtime acting
 * as node) running the `skd` command line (`cli.js`, or `cli.ts` from a checkout) with a command
 * that trains. Used only for status files that predate recorded start times.
 */
export function looksLikeTrainer(pid: number): boolean {
  let argv: string[];
  try {
    argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return false;
  }
  const commands = new Set(['run', 'resume', 'sweep', 'bench']);
  return argv.some((arg, i) => /^(skd|cli\.[cm]?[jt]s)$/i.test(path.basename(arg)) && commands.has(argv[i + 1]));
}
