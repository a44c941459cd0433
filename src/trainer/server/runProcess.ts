/**
 * One training child process: the trainer's command line (`cli.js run|resume`). It owns the
 * child: stderr comes out as lines, `stop()` asks it to checkpoint (SIGTERM) and kills it
 * (SIGKILL) only if it does not finish within the grace period.
 */
import { type ChildProcess, spawn } from 'node:child_process';

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
}

export class RunProcess implements TrainingProcess {
  readonly exited: Promise<RunExit>;
  private readonly child: ChildProcess;
  private readonly tail: string[] = [];
  private killTimer: NodeJS.Timeout | undefined;
  private killed = false;
  private done = false;

  constructor(private readonly options: RunProcessOptions) {
    this.child = spawn(options.nodePath, options.args, {
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', ...options.env },
      windowsHide: true,
    });
    splitLines(this.child.stderr, (line) => {
      if (line.trim()) {
        this.tail.push(line.trim());
        if (this.tail.length > 40) this.tail.shift();
      }
      options.onStderrLine(line);
    });
    splitLines(this.child.stdout, (line) => options.onStdoutLine?.(line));
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
 * A training process that an earlier trainer server started and that outlived it (the server
 * crashed or was restarted). It is not our child, so its exit is noticed by polling its pid,
 * and its stderr is gone; its run directory still tells everything else.
 */
export class AdoptedProcess implements TrainingProcess {
  readonly exited: Promise<RunExit>;
  private killTimer: NodeJS.Timeout | undefined;
  private killed = false;
  private done = false;

  constructor(
    private readonly pid: number,
    pollMs: number,
    private readonly graceMs: number,
    isAlive: (pid: number) => boolean,
  ) {
    this.exited = new Promise((resolve) => {
      const timer = setInterval(() => {
        if (isAlive(pid)) return;
        clearInterval(timer);
        if (this.killTimer) clearTimeout(this.killTimer);
        this.done = true;
        resolve({ code: null, signal: null, lastStderr: '', killed: this.killed, adoptedPid: pid });
      }, pollMs);
    });
  }

  get running(): boolean {
    return !this.done;
  }

  stop(graceMs = this.graceMs): void {
    if (this.done) return;
    signal(this.pid, 'SIGTERM');
    if (!this.killTimer) {
      this.killTimer = setTimeout(() => {
        this.killed = true;
        signal(this.pid, 'SIGKILL');
      }, graceMs);
      this.killTimer.unref();
    }
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
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
