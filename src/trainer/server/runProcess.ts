/**
 * One training child process: the trainer's command line (`cli.js run|resume`). It owns the
 * child: stderr comes out as lines, `stop()` asks it to checkpoint (SIGTERM) and kills it
 * (SIGKILL) only if it does not finish within the grace period. A run's child is detached (its
 * own process group, output to files in the run directory), so it keeps training when the
 * editor window closes and the server with it; the next server adopts it (`AdoptedProcess`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { isTrainerAlive, type TrainerIdentity } from '../runDir/trainerIdentity';

/** Where a detached run's stdout and stderr go, in its run directory (appended on resume). */
export const RUN_OUTPUT_FILES = { stdout: 'trainer-stdout.log', stderr: 'trainer-stderr.log' } as const;

export interface RunExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The stderr line that best says why the child ended (see `reasonLine`), for a failure's reason. */
  lastStderr: string;
  /** Whether it had to be killed after the grace period. */
  killed: boolean;
  /** Set when the process could not be started at all. */
  spawnError?: string;
  /** Set for a process this server adopted (started by an earlier server): its exit code is unknown. */
  adoptedPid?: number;
}

/** What the run manager needs of a training process, whether it started it or adopted it. */
export interface TrainingProcess {
  readonly exited: Promise<RunExit>;
  readonly running: boolean;
  stop(graceMs?: number): void;
  /** Stops watching the process without signalling it: it goes on (the server is going away). */
  detach(): void;
}

export interface RunProcessOptions {
  nodePath: string;
  args: string[];
  cwd?: string;
  /** Extra environment of the child (e.g. SKD_PLUGINS). */
  env?: Record<string, string>;
  graceMs: number;
  onStderrLine: (line: string) => void;
  onStdoutLine?: (line: string) => void;
  /**
   * Files for the child's stdout and stderr: given, the child is detached (own process group,
   * not waited for), so it outlives this process; its lines are read back from the files.
   */
  outputFiles?: { stdout: string; stderr: string };
}

export class RunProcess implements TrainingProcess {
  readonly exited: Promise<RunExit>;
  private readonly child: ChildProcess;
  private readonly tail: string[] = [];
  private killTimer: NodeJS.Timeout | undefined;
  private killed = false;
  private done = false;
  private followers: FileLines[] = [];
  private followTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: RunProcessOptions) {
    const onStderr = (line: string) => {
      if (line.trim()) {
        this.tail.push(line.trim());
        if (this.tail.length > 40) this.tail.shift();
      }
      options.onStderrLine(line);
    };
    const env = { ...process.env, ELECTRON_RUN_AS_NODE: '1', ...options.env };
    const files = options.outputFiles;
    if (files) {
      // Files, not pipes: a pipe whose reader (this server) is gone breaks the child's next write.
      this.followers = [new FileLines(files.stderr, onStderr), new FileLines(files.stdout, (l) => options.onStdoutLine?.(l))];
      const out = fs.openSync(files.stdout, 'a');
      try {
        const err = fs.openSync(files.stderr, 'a');
        try {
          this.child = spawn(options.nodePath, options.args, { cwd: options.cwd, stdio: ['ignore', out, err], env, windowsHide: true, detached: true });
        } finally {
          fs.closeSync(err);
        }
      } finally {
        fs.closeSync(out);
      }
      this.child.unref();
      this.followTimer = setInterval(() => this.followers.forEach((f) => f.read()), 200);
      this.followTimer.unref();
    } else {
      this.child = spawn(options.nodePath, options.args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'], env, windowsHide: true });
      splitLines(this.child.stderr, onStderr);
      splitLines(this.child.stdout, (line) => options.onStdoutLine?.(line));
    }
    this.exited = new Promise((resolve) => {
      let spawnError: string | undefined;
      this.child.on('error', (e) => {
        spawnError = e.message;
        // 'exit' does not follow when the executable could not be started.
        if (this.child.pid === undefined) finish(null, null);
      });
      const finish = (code: number | null, signal: NodeJS.Signals | null) => {
        if (this.done) return;
        this.done = true;
        if (this.killTimer) clearTimeout(this.killTimer);
        this.stopFollowing(true);
        resolve({ code, signal, lastStderr: spawnError ?? reasonLine(this.tail), killed: this.killed, spawnError });
      };
      // 'close' waits for stderr to drain, so the last line is in before the reason is taken.
      this.child.on('close', (code, signal) => finish(code, signal));
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !this.done;
  }

  /** SIGTERM now (the trainer checkpoints and exits as `stopped`), SIGKILL after the grace period. */
  stop(graceMs = this.options.graceMs): void {
    if (this.done) return;
    // A run asked to stop is waited for: a detached child is unref'd (it may outlive this
    // process), and with nothing else pending the event loop would end before its exit is seen.
    this.child.ref();
    this.child.kill('SIGTERM');
    if (!this.killTimer) {
      this.killTimer = setTimeout(() => {
        if (this.done) return;
        this.killed = true;
        this.child.kill('SIGKILL');
      }, graceMs);
      this.killTimer.unref();
    }
  }

  detach(): void {
    if (this.killTimer) clearTimeout(this.killTimer);
    this.killTimer = undefined;
    this.stopFollowing(false);
    this.child.unref();
  }

  private stopFollowing(finalRead: boolean): void {
    if (this.followTimer) clearInterval(this.followTimer);
    this.followTimer = undefined;
    if (finalRead) this.followers.forEach((f) => f.read(true));
    this.followers = [];
  }
}

/**
 * The line of a dying process's stderr that says why: Node ends an uncaught error with the
 * stack, the error object's fields and "Node.js v20...", none of which is the reason; the
 * reason is the last line that names an error, else the last line that is not such noise.
 */
export function reasonLine(lines: string[]): string {
  const noise = (l: string) => /^Node\.js v\d/.test(l) || /^at\s/.test(l) || /^[{}[\]()]+,?$/.test(l) || /^\w+: .*,$/.test(l) || /^\^+$/.test(l);
  for (let i = lines.length - 1; i >= 0; i--) {
    if (!noise(lines[i]) && /(error|exception|skd:|killed|out of memory|fatal)/i.test(lines[i])) return lines[i];
  }
  for (let i = lines.length - 1; i >= 0; i--) if (!noise(lines[i])) return lines[i];
  return '';
}

/**
 * A training process that an earlier trainer server started and that outlived it (the window
 * closed, the server crashed or was restarted). It is not our child: it is known by the
 * identity its status.json records (pid, start time, host, boot id), its exit is noticed by
 * polling that identity, and every signal is sent only after checking it again, so a pid that
 * has since been reused by another program is never signalled.
 */
export class AdoptedProcess implements TrainingProcess {
  readonly exited: Promise<RunExit>;
  private killTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private killed = false;
  private done = false;

  constructor(
    private readonly identity: TrainerIdentity & { pid: number },
    pollMs: number,
    private readonly graceMs: number,
    private readonly isAlive: (identity: TrainerIdentity) => boolean = isTrainerAlive,
  ) {
    this.exited = new Promise((resolve) => {
      this.pollTimer = setInterval(() => {
        if (this.isAlive(identity)) return;
        clearInterval(this.pollTimer);
        if (this.killTimer) clearTimeout(this.killTimer);
        this.done = true;
        resolve({ code: null, signal: null, lastStderr: '', killed: this.killed, adoptedPid: identity.pid });
      }, pollMs);
    });
  }

  get running(): boolean {
    return !this.done;
  }

  stop(graceMs = this.graceMs): void {
    if (this.done) return;
    this.signal('SIGTERM');
    if (!this.killTimer) {
      this.killTimer = setTimeout(() => {
        if (this.signal('SIGKILL')) this.killed = true;
      }, graceMs);
      this.killTimer.unref();
    }
  }

  detach(): void {
    if (this.killTimer) clearTimeout(this.killTimer);
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.killTimer = undefined;
    this.pollTimer = undefined;
  }

  /** Signals the trainer if it is still the recorded one; returns whether a signal was sent. */
  private signal(sig: NodeJS.Signals): boolean {
    if (!this.isAlive(this.identity)) return false;
    try {
      process.kill(this.identity.pid, sig);
      return true;
    } catch {
      return false; // Already gone.
    }
  }
}

/**
 * Lines appended to a file by another process, read from where this reader started (the file's
 * size then: a resumed run appends to the output of its earlier sessions).
 */
class FileLines {
  private offset: number;
  private rest = '';
  private readonly decoder = new StringDecoder('utf8');

  constructor(
    private readonly file: string,
    private readonly onLine: (line: string) => void,
  ) {
    try {
      this.offset = fs.statSync(file).size;
    } catch {
      this.offset = 0;
    }
  }

  /** Passes on each complete new line; `end` also passes on a last line without its newline. */
  read(end = false): void {
    let fd: number;
    try {
      fd = fs.openSync(this.file, 'r');
    } catch {
      return;
    }
    try {
      const buf = Buffer.alloc(64 * 1024);
      for (let n; (n = fs.readSync(fd, buf, 0, buf.length, this.offset)) > 0; ) {
        this.offset += n;
        this.rest += this.decoder.write(buf.subarray(0, n));
        this.passLines(false);
      }
    } finally {
      fs.closeSync(fd);
    }
    this.passLines(end);
  }

  private passLines(end: boolean): void {
    let i: number;
    while ((i = this.rest.indexOf('\n')) >= 0) {
      this.onLine(this.rest.slice(0, i).replace(/\r$/, ''));
      this.rest = this.rest.slice(i + 1);
    }
    // Output without newlines must not grow this without bound.
    if ((end && this.rest) || this.rest.length > 64 * 1024) {
      this.onLine(this.rest);
      this.rest = '';
    }
  }
}

function splitLines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (!stream) return;
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    rest += chunk;
    let i: number;
    while ((i = rest.indexOf('\n')) >= 0) {
      onLine(rest.slice(0, i).replace(/\r$/, ''));
      rest = rest.slice(i + 1);
    }
    // A child that writes megabytes without a newline must not grow this without bound.
    if (rest.length > 64 * 1024) {
      onLine(rest);
      rest = '';
    }
  });
  stream.on('end', () => {
    if (rest) onLine(rest);
    rest = '';
  });
}
