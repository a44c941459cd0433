/**
 * One `npm install --no-save --prefix <folder> <spec>` as a process the extension owns: its
 * output goes line by line to a sink, and disposing it (the user cancelled, the extension is
 * deactivated) ends the process.
 */
import { type ChildProcess, spawn } from 'node:child_process';

export interface NpmInstallResult {
  /** npm's exit code; null when it was killed or never started. */
  code: number | null;
  /** Everything npm printed (stdout and stderr, in order), for classifyNpmFailure. */
  output: string;
  /** Set when npm could not be started at all (e.g. not on PATH). */
  spawnError?: string;
  cancelled: boolean;
}

export interface NpmInstallOptions {
  prefix: string;
  spec: string;
  onLine: (line: string) => void;
  /** The npm executable; by default `npm` from PATH. */
  npm?: string;
}

export function npmInstallArgs(prefix: string, spec: string): string[] {
  return ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', prefix, spec];
}

export class NpmInstall {
  private child: ChildProcess | undefined;
  private cancelled = false;
  readonly done: Promise<NpmInstallResult>;

  constructor(options: NpmInstallOptions) {
    const windows = process.platform === 'win32';
    const npm = options.npm ?? (windows ? 'npm.cmd' : 'npm');
    this.done = new Promise((resolve) => {
      let output = '';
      const pending: Record<'out' | 'err', string> = { out: '', err: '' };
      const take = (which: 'out' | 'err', chunk: Buffer) => {
        const text = chunk.toString('utf8');
        output += text;
        const lines = (pending[which] + text).split(/\r?\n/);
        pending[which] = lines.pop() ?? '';
        for (const l of lines) options.onLine(l);
      };
      // A .cmd needs a shell on Windows; the arguments are ours (a path and a package name).
      const child = spawn(npm, npmInstallArgs(options.prefix, options.spec), { shell: windows, windowsHide: true, env: process.env });
      this.child = child;
      child.stdout?.on('data', (c: Buffer) => take('out', c));
      child.stderr?.on('data', (c: Buffer) => take('err', c));
      let spawnError: string | undefined;
      child.on('error', (e) => (spawnError = e.message));
      child.on('close', (code) => {
        for (const rest of [pending.out, pending.err]) if (rest) options.onLine(rest);
        this.child = undefined;
        resolve({ code, output, spawnError, cancelled: this.cancelled });
      });
    });
  }

  dispose(): void {
    if (!this.child || this.child.exitCode !== null) return;
    this.cancelled = true;
    this.child.kill();
  }
}
