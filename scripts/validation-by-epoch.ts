/**
 * Paired differences between two groups of sweep (or bench) folders, read from each run's own
 * epochs: the validation accuracy of the selected (best) epoch, which the reports give, of the
 * last epoch and the mean of the last three, and the test accuracy. For checking whether a
 * study's verdict depends on which validation figure is read (docs/method.md, "Stage
 * boundaries by epochs or by learning rate").
 *
 *   node --import tsx scripts/validation-by-epoch.ts <group> <baseline group> <folder>...
 *
 * Runs are the folders `<group>-s<seed>` and `<baseline>-s<seed>` inside each folder; a seed
 * counts where both finished. Pooled rows key each seed by folder too, as `--pool` does.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RUN_FILES, type EpochEvent } from '../src/protocol/runDir';
import { formatDiff } from '../src/trainer/bench/methods';
import { pairedDiff } from '../src/trainer/bench/pairedStats';
import { readMetricsFrom } from '../src/trainer/runDir/metricsLog';

const KEYS = ['best', 'last', 'last3', 'test'] as const;
type Figures = Record<(typeof KEYS)[number], number>;

/** A finished run's figures (fractions, as the run directory holds them); undefined when unfinished. */
function figures(run: string): Figures | undefined {
  const summary = path.join(run, RUN_FILES.summary);
  if (!fs.existsSync(summary)) return undefined;
  const val = readMetricsFrom(run).events.filter((e): e is EpochEvent => e.type === 'epoch' && e.network === 'student').map((e) => e.valAcc);
  const tail = val.slice(-3);
  const test = (JSON.parse(fs.readFileSync(summary, 'utf8')) as { student: { testAcc: number } }).student.testAcc;
  return { best: Math.max(...val), last: val[val.length - 1], last3: tail.reduce((a, b) => a + b, 0) / tail.length, test };
}

const [group, baseline, ...folders] = process.argv.slice(2);
if (!group || !baseline || folders.length === 0) {
  console.error('usage: node --import tsx scripts/validation-by-epoch.ts <group> <baseline group> <folder>...');
  process.exit(2);
}
type Side = Record<(typeof KEYS)[number], Map<number, number>>;
const side = (): Side => ({ best: new Map(), last: new Map(), last3: new Map(), test: new Map() });
const row = (name: string, a: Side, b: Side) => [name, a.best.size, ...KEYS.map((k) => formatDiff(pairedDiff(a[k], b[k])))].join(' | ');
const pooled = { a: side(), b: side() };
const seedPattern = new RegExp(`^${group.replace(/[-.]/g, '\\$&')}-s(\\d+)$`);
console.log(`${group} − ${baseline}, points (mean of the per-seed differences ± standard error)`);
console.log(['folder', 'n', 'best-epoch val', 'last-epoch val', 'last-3 val', 'test'].join(' | '));
folders.forEach((folder, f) => {
  const here = { a: side(), b: side() };
  for (const name of fs.readdirSync(folder)) {
    const seed = Number(seedPattern.exec(name)?.[1]);
    if (!seed) continue;
    const a = figures(path.join(folder, name));
    const b = figures(path.join(folder, `${baseline}-s${seed}`));
    if (!a || !b) continue;
    for (const k of KEYS) {
      here.a[k].set(seed, a[k]), here.b[k].set(seed, b[k]);
      pooled.a[k].set(f * 1e6 + seed, a[k]), pooled.b[k].set(f * 1e6 + seed, b[k]);
    }
  }
  if (here.a.best.size) console.log(row(folder, here.a, here.b));
});
if (pooled.a.best.size) console.log(row('pooled', pooled.a, pooled.b));
