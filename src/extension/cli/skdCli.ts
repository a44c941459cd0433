/**
 * How the extension runs the `skd` command line it ships (`dist/cli.js`): with the
 * `skdLab.nodePath` Node, or the editor's own (as Node: `ELECTRON_RUN_AS_NODE`).
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { nodePath } from '../settings';

export interface CliCommand {
  file: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

export function cliCommand(extensionPath: string, args: string[]): CliCommand {
  return {
    file: nodePath() || process.execPath,
    args: [path.join(extensionPath, 'dist', 'cli.js'), ...args],
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
  };
}

/**
 * Runs `skd <args>` to its end: resolves with its standard output, rejects with the command line
 * and the CLI's own last error line (it prints one line naming what is wrong).
 */
function execCli(extensionPath: string, args: string[], cwd: string, timeoutMs: number): Promise<string> {
  const cmd = cliCommand(extensionPath, args);
  return new Promise((resolve, reject) => {
    execFile(cmd.file, cmd.args, { cwd, env: cmd.env, timeout: timeoutMs, maxBuffer: 32 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`skd ${args.join(' ')}: ${lastLine(stderr) ?? err.message}`));
      else resolve(stdout);
    });
  });
}

function lastLine(text: string): string | undefined {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).pop();
}

/** Runs `skd <args>` and parses its standard output as JSON; rejects with the CLI's own error line. */
export async function runCliJson(extensionPath: string, args: string[], cwd: string, timeoutMs = 60_000): Promise<unknown> {
  const stdout = await execCli(extensionPath, args, cwd, timeoutMs);
  try {
    return JSON.parse(stdout) as unknown;
  } catch {
    throw new Error(`skd ${args.join(' ')}: the output is not JSON`);
  }
}

/** Runs `skd <args>` for its effect; resolves with its last output line, rejects with its error line. */
export async function runCli(extensionPath: string, args: string[], cwd: string, timeoutMs = 60_000): Promise<string> {
  return lastLine(await execCli(extensionPath, args, cwd, timeoutMs)) ?? '';
}
