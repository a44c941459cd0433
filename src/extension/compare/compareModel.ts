/** A comparison row and curve from a run's info, its metric events and its experiment copy (pure, unit-tested). */
import type { RunInfo } from '../../protocol/lsp';
import type { MetricEvent, TbtEvent, TetEvent } from '../../protocol/runDir';
import type { CompareHyper, CompareRun } from '../../protocol/webview';
import { runFolderName } from '../runs/format';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** `cnn w6` / `resnet-8 w8`; a teacher reused from another run says `from <run>`. */
function networkLabel(v: unknown): string | undefined {
  if (!isRecord(v)) return undefined;
  if (typeof v.run === 'string') return `from ${runFolderName(v.run)}`;
  if (typeof v.model !== 'string') return undefined;
  const depth = num(v.depth);
  const width = num(v.width);
  return `${v.model}${depth !== undefined ? `-${depth}` : ''}${width !== undefined ? ` w${width}` : ''}`;
}

/** The settings a comparison shows, from a run's `experiment.json` (anything missing stays absent). */
export function hyperFromExperiment(experiment: unknown): CompareHyper {
  const e = isRecord(experiment) ? experiment : {};
  const method = isRecord(e.method) ? e.method : {};
  const student = isRecord(e.student) ? e.student : {};
  const training = isRecord(e.training) ? e.training : {};
  const hyper: CompareHyper = {
    temperature: num(method.temperature),
    stages: num(method.stages),
    student: networkLabel(e.student),
    teacher: networkLabel(e.teacher),
    epochs: num(student.epochs),
    lr: num(training.lr),
    seed: num(e.seed),
  };
  for (const k of Object.keys(hyper) as (keyof CompareHyper)[]) if (hyper[k] === undefined) delete hyper[k];
  return hyper;
}

/** TBT's prediction error and cosine of a stage, averaged over the tapped layers (finite ones). */
function tbtValues(e: TbtEvent): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of ['nmse', 'cosine', 'baselineNmse'] as const) {
    const xs = e.layers.map((l) => l[k]).filter((v) => Number.isFinite(v));
    if (xs.length) out[`tbt.${k}`] = xs.reduce((a, b) => a + b, 0) / xs.length;
  }
  return out;
}

/** TET's experience of a stage: its held-out accuracy and NLL, whether the stage is taught (its stage check, with the student alone's accuracy it measured against) and whether its mixture was used, as 1 or 0. */
function tetValues(e: TetEvent): Record<string, number> {
  const out: Record<string, number> = {};
  if (Number.isFinite(e.accuracy)) out['tet.accuracy'] = e.accuracy;
  if (e.nll !== undefined && Number.isFinite(e.nll)) out['tet.nll'] = e.nll;
  if (Number.isFinite(e.ece)) out['tet.ece'] = e.ece;
  if (typeof e.addsToFinal === 'boolean') out['tet.addsToFinal'] = e.addsToFinal ? 1 : 0;
  // The `ahead` check's two sides: the stage's held-out accuracy against the student alone's.
  if (e.aloneAccuracy !== undefined && Number.isFinite(e.aloneAccuracy)) out['tet.aloneAccuracy'] = e.aloneAccuracy;
  if (typeof e.identity === 'boolean') out['tet.mixture'] = e.identity ? 0 : 1;
  return out;
}

export function compareRunFromEvents(info: RunInfo | undefined, dir: string, events: MetricEvent[], experiment?: unknown): CompareRun {
  const row: CompareRun = {
    name: info ? runFolderName(info.dir) : runFolderName(dir),
    method: info?.method ?? '',
    state: info?.status.state ?? 'stopped',
    backend: info?.status.backend,
    curve: [],
  };
  // Epoch numbers restart with a resumed student phase; keep the last value per epoch.
  const byEpoch = new Map<number, Record<string, number>>();
  const byStage = new Map<number, Record<string, number>>();
  const atStage = (stage: number): Record<string, number> => {
    let values = byStage.get(stage);
    if (!values) byStage.set(stage, (values = {}));
    return values;
  };
  for (const e of events) {
    if (e.type === 'run') {
      row.method = row.method || e.method;
      row.backend = e.backend;
    } else if (e.type === 'epoch' && e.network === 'student') {
      const values: Record<string, number> = { valAcc: e.valAcc, trainAcc: e.trainAcc, loss: e.loss, lr: e.lr, imagesPerSec: e.imagesPerSec };
      for (const [k, v] of Object.entries(e.terms ?? {})) values[`term.${k}`] = v;
      for (const [k, v] of Object.entries(values)) if (!Number.isFinite(v)) delete values[k];
      byEpoch.set(e.epoch + 1, values); // shown from 1
    } else if (e.type === 'tbt') {
      // Drawn at the stage it predicts, as on the dashboard; an event without a target is not drawn.
      if (typeof e.target !== 'number') continue;
      Object.assign(atStage(e.target + 1), tbtValues(e));
    } else if (e.type === 'tet') {
      Object.assign(atStage(e.stage + 1), tetValues(e));
    } else if (e.type === 'final') {
      row.teacherAcc = e.teacherTestAcc;
      row.studentAcc = e.studentTestAcc;
      row.teacherParams = e.teacherParams;
      row.studentParams = e.studentParams;
      row.seconds = e.seconds;
      row.aloneAcc = e.studentAloneTestAcc;
      row.gain = e.gain;
    }
  }
  const s = info?.summary;
  if (s) {
    row.teacherAcc ??= s.teacher.testAcc;
    row.studentAcc ??= s.student.testAcc;
    row.teacherParams ??= s.teacher.params;
    row.studentParams ??= s.student.params;
    row.seconds ??= s.seconds;
    row.backend ??= s.backend;
    row.aloneAcc ??= s.studentAlone?.testAcc;
    row.gain ??= s.gain;
    row.method = row.method || s.method;
  }
  if (row.gain === undefined && row.aloneAcc !== undefined && row.studentAcc !== undefined) row.gain = row.studentAcc - row.aloneAcc;
  for (const k of ['aloneAcc', 'gain'] as const) if (row[k] === undefined) delete row[k];
  const epochs = [...byEpoch.entries()].sort((a, b) => a[0] - b[0]);
  row.curve = epochs.filter(([, v]) => v.valAcc !== undefined).map(([epoch, v]) => ({ epoch, valAcc: v.valAcc as number }));
  row.perEpoch = epochs.map(([epoch, values]) => ({ epoch, values }));
  const stages = [...byStage.entries()].filter(([, v]) => Object.keys(v).length > 0).sort((a, b) => a[0] - b[0]);
  if (stages.length) row.perStage = stages.map(([stage, values]) => ({ stage, values }));
  if (row.curve.length) row.bestValAcc = Math.max(...row.curve.map((p) => p.valAcc));
  row.hyper = hyperFromExperiment(experiment);
  if (!row.method && isRecord(experiment) && isRecord(experiment.method) && typeof experiment.method.name === 'string') row.method = experiment.method.name;
  return row;
}
