// Writes a stroke-digits set (scripts/stroke-digits.ts) as gzip IDX files, the `idx` format
// SKD Lab reads, for the method study in docs/method.md ("The stage check measured against the
// student alone"):
//
//   node --import tsx scripts/make-stroke-digits.ts [name] [out dir]
//
// name: stroke-digits (4000 training / 2000 test images, seed 1; the default) or
// stroke-digits-8k (8000 / 2000, seed 2); out dir: runs/data/<name>, where the study's
// experiment files read it. The same name gives the same bytes.
import { STROKE_DIGIT_SETS, strokeDigitsDir, writeStrokeDigits } from './stroke-digits';

const name = process.argv[2] ?? 'stroke-digits';
const dir = process.argv[3] ?? strokeDigitsDir(name);
try {
  writeStrokeDigits(name, dir);
  const set = STROKE_DIGIT_SETS[name];
  console.log(`${name}: ${set.train} training and ${set.test} test images in ${dir}`);
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  process.exit(2);
}
