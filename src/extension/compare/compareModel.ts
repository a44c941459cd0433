/** A comparison row and curve from a run's info and its metric events (pure, unit-tested). */
import type { RunInfo } from '../../protocol/lsp';
import type { MetricEvent } from '../../protocol/runDir';
import type { CompareRun } from '../../protocol/webview';
import { runFolderName } from '../runs/format';

export function compareRunFromEvents(info: RunInfo | undefined, dir: string, events: MetricEvent[]): CompareRun {
  const row: CompareRun = {
    name: info ? runFolderName(info.dir) : runFolderName(dir),
    method: info?.method ?? '',
    state: info?.status.state ?? 'stopped',
    backend: info?.status.backend,
    curve: [],
  };
  // Epoch numbers restart with a resumed student phase; keep the last value per epoch.
  const byEpoch = new Map<number, number>();
  for (const e of events) {
    if (e.type === 'run') {
      row.method = row.method || e.method;
      row.backend = e.backend;
    } else if (e.type === 'epoch' && e.network === 'student') {
      byEpoch.set(e.epoch + 1, e.valAcc); // shown from 1
    } else if (e.type === 'final') {
      row.teacherAcc = e.teacherTestAcc;
      row.studentAcc = e.studentTestAcc;
      row.teacherParams = e.teacherParams;
      row.studentParams = e.studentParams;
      row.seconds = e.seconds;
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
    row.method = row.method || s.method;
  }
  row.curve = [...byEpoch.entries()].sort((a, b) => a[0] - b[0]).map(([epoch, valAcc]) => ({ epoch, valAcc }));
  return row;
}
