import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * An executable file named `name` in a folder of PATH (`adb`, Slurm's `sbatch`), or undefined.
 * The one PATH look-up of SKD Lab: the trainer (`skd device --adb`) and the extension (which
 * device paths and executors to offer) ask the same question and must get the same answer.
 */
export function findOnPath(name: string, envPath = process.env.PATH ?? ''): string | undefined {
  const exts = process.platform === 'win32' ? ['.exe', '.cmd', ''] : [''];
  for (const dir of envPath.split(path.delimiter).filter(Boolean)) {
    for (const ext of exts) {
      const p = path.join(dir, name + ext);
      try {
        fs.accessSync(p, fs.constants.X_OK);
        if (fs.statSync(p).isFile()) return p;
      } catch {
        // Not in this folder; keep looking.
      }
    }
  }
  return undefined;
}
