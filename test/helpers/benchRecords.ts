/** Bench records and reports built from hand-written accuracies, for the report and pooling tests. */
import { attachPerImageRecords, methodRows, type ImageSets, type MethodsBenchReport, type RunRecord } from '../../src/trainer/bench/methods';

/** One finished run; `heldOutValAcc` null as for runs recorded before the held-out figure. */
export function benchRecord(method: string, seed: number, testAcc: number, valAcc: number, heldOutValAcc: number | null = null): RunRecord {
  return { name: `${method}-s${seed}`, dir: `/x/${method}-s${seed}`, method, seed, testAcc, valAcc, heldOutValAcc, seconds: 10, epochSeconds: 1, studentParams: 100, teacherTestAcc: 0.9, teacherParams: 1000 };
}

/** The report of a bench folder holding `records` (scored on `imageSets`, when given), as read from its run directories. */
export function benchReport(benchDir: string, records: RunRecord[], methods = ['none', 'kd', 'skd'], imageSets?: ImageSets): MethodsBenchReport {
  const report: MethodsBenchReport = {
    benchDir,
    command: '',
    cwd: '',
    baseFile: '',
    data: { description: `data of ${benchDir}` },
    notes: [],
    teacher: { dir: '', model: 'resnet', testAcc: 0.9, params: 1000, seconds: 1 },
    student: { model: 'cnn', params: 100, epochs: 1 },
    seeds: [1, 2],
    methods,
    rows: methodRows(methods, records),
    missing: [],
    secondsPerRun: 10,
    ...(imageSets ? { imageSets } : {}),
  };
  return attachPerImageRecords(report, records);
}
