import * as fs from 'node:fs';

/**
 * The entries of a folder, or none when it cannot be read (missing, not a folder, no
 * permission): the scans of run, sweep and export folders skip what is not there rather than fail.
 */
export function dirEntries(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}
