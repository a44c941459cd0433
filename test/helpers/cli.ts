/**
 * Running the real `skd` command line (bin/skd.js -> dist/cli.js) as a child process.
 * `npm test` builds before testing; `ensureBuilt` rebuilds when the bundle is missing or older
 * than the trainer's sources, so a single test file can also be run on its own.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const BIN = path.join(ROOT, 'bin', 'skd.js');
export const CLI_BUNDLE = path.join(ROOT, 'dist', 'cli.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

export function ensureBuilt(): void {
  const sources = Math.max(newestMtime(path.join(ROOT, 'src', 'trainer')), newestMtime(path.join(ROOT, 'src', 'protocol')));
  if (fs.existsSync(CLI_BUNDLE) && fs.statSync(CLI_BUNDLE).mtimeMs >= sources) return;
  execFileSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, stdio: 'inherit' });
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `skd <args>` and collects its output; `timeoutMs` kills it (the test then fails on the
 * code). `signalWhen` sends a signal once, when a line of its stderr first matches (as a user's
 * Ctrl-C or the extension's Stop would).
 */
export function runCli(
  args: string[],
  opts: { cwd?: string; timeoutMs?: number; env?: Record<string, string>; signalWhen?: { line: RegExp; signal: NodeJS.Signals } } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (opts.signalWhen && !signalled && lines(stderr).some((l) => opts.signalWhen!.line.test(l))) {
        signalled = true;
        child.kill(opts.signalWhen.signal);
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Non-empty lines of a stream's text. */
export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim().length > 0);
}

/**
 * stderr lines that are the CLI's own, without tf.js's "Platform node has already been set"
 * notice, which the bundled tfjs-core prints when the wasm backend registers.
 */
export function ownLines(stderr: string): string[] {
  return lines(stderr).filter((l) => !/^Platform node has already been set/.test(l));
}
