import * as fs from 'node:fs';
import * as path from 'node:path';
import { RUN_FILES, type Summary } from '../../protocol/runDir';
import { InputError } from '../errors';
import { readJson } from '../util/atomicFile';
import { parseArgs } from './args';

export interface CompareRow {
  dir: string;
  name: string;
  method: string;
  seed: number;
  teacherAcc: number;
  studentAcc: number;
  studentParams: number;
  seconds: number;
}

/** The final metrics of finished runs; a run without `summary.json` is an error naming it. */
export function compareRows(dirs: string[]): CompareRow[] {
  return dirs.map((dir) => {
    const file = path.join(dir, RUN_FILES.summary);
    if (!fs.existsSync(file)) throw new InputError(dir, undefined, 'has no summary.json (the run has not finished)');
    const s = readJson<Summary>(file);
    return {
      dir,
      name: s.name,
      method: s.method,
      seed: s.seed,
      teacherAcc: s.teacher.testAcc,
      studentAcc: s.student.testAcc,
      studentParams: s.student.params,
      seconds: s.seconds,
    };
  });
}

export function formatCompare(rows: CompareRow[]): string {
  const header = ['run', 'method', 'seed', 'teacher acc', 'student acc', 'student params', 'seconds'];
  const body = rows.map((r) => [
    path.basename(r.dir),
    r.method,
    String(r.seed),
    `${(r.teacherAcc * 100).toFixed(2)}%`,
    `${(r.studentAcc * 100).toFixed(2)}%`,
    r.studentParams.toLocaleString('en'),
    r.seconds.toFixed(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n') + '\n';
}

export async function compareCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, [], ['json']);
  if (args.positional.length === 0) throw new InputError('command line', undefined, 'usage: skd compare <run dir>...');
  const rows = compareRows(args.positional);
  process.stdout.write(args.switches.has('json') ? JSON.stringify(rows, null, 2) + '\n' : formatCompare(rows));
  return 0;
}
