import * as fs from 'node:fs';
import * as path from 'node:path';

const PACKAGE_NAME = 'skd-lab';
let cached: string | undefined;

/**
 * The folder of SKD Lab's own package.json. Walking up from this module works from the
 * TypeScript sources (src/trainer/data, run through tsx) and from the bundles (dist/), which
 * sit at different depths, and from an installed extension or npm package alike.
 */
export function packageRoot(): string {
  if (cached) return cached;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      try {
        if ((JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME) {
          return (cached = dir);
        }
      } catch {
        // Not ours or not JSON: keep walking up.
      }
    }
    if (path.dirname(dir) === dir) throw new Error(`cannot find the ${PACKAGE_NAME} package root above ${__dirname}`);
  }
}
