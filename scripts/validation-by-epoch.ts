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
 * counts where both finished.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

interface Figures { best: number; last: number; last3: number; test: number }
const KEYS: (keyof Figures)[] = ['best', 'last', 'last3', 'test'];

function figures(run: string): Figures | undefined {
  const summary = path.join(run, 'summary.json');
  if (!fs.existsSync(summary)) return undefined;
  const val = fs.readFileSync(path.join(run, 'metrics.jsonl'), 'utf8').trim().split('\n')
    .map((l) => JSON.parse(l) as { type: string; network?: string; valAcc?: number })
    .filter((e) => e.type === 'epoch' && e.network === 'student').map((e) => e.valAcc! * 100);
  const tail = val.slice(-3);
  const test = (JSON.parse(fs.readFileSync(summary, 'utf8')) as { student: { testAcc: number } }).student.testAcc * 100;
  return { best: Math.max(...val), last: val[val.length - 1], last3: tail.reduce((a, b) => a + b, 0) / tail.length, test };
}

function meanSe(x: number[]): string {
  const m = x.reduce((a, b) => a + b, 0) / x.length;
  const sd = Math.sqrt(x.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, x.length - 1));
  return `${m >= 0 ? '+' : ''}${m.toFixed(2)} ± ${(sd / Math.sqrt(x.length)).toFixed(2)}`;
}

const [group, baseline, ...folders] = process.argv.slice(2);
if (!group || !baseline || folders.length === 0) {
  console.error('usage: node --import tsx scripts/validation-by-epoch.ts <group> <baseline group> <folder>...');
  process.exit(2);
}
const pooled: Record<keyof Figures, number[]> = { best: [], last: [], last3: [], test: [] };
console.log(`${group} − ${baseline}, points (mean ± standard error over paired seeds)`);
console.log(['folder', 'n', 'best-epoch val', 'last-epoch val', 'last-3 val', 'test'].join(' | '));
for (const folder of folders) {
  const diffs: Record<keyof Figures, number[]> = { best: [], last: [], last3: [], test: [] };
  for (const name of fs.readdirSync(folder)) {
    const seed = new RegExp(`^${group.replace(/[-.]/g, '\\$&')}-s(\\d+)$`).exec(name)?.[1];
    if (!seed) continue;
    const a = figures(path.join(folder, name));
    const b = figures(path.join(folder, `${baseline}-s${seed}`));
    if (!a || !b) continue;
    for (const k of KEYS) diffs[k].push(a[k] - b[k]), pooled[k].push(a[k] - b[k]);
  }
  if (diffs.best.length) console.log([folder, diffs.best.length, ...KEYS.map((k) => meanSe(diffs[k]))].join(' | '));
}
if (pooled.best.length) console.log(['pooled', pooled.best.length, ...KEYS.map((k) => meanSe(pooled[k]))].join(' | '));
