/** The run dashboard page: folds incoming events into the model and redraws what changed. */
import type { RunStatus } from '../src/protocol/runDir';
import type { DashboardRun, MessageToWebview } from '../src/protocol/webview';
import { applyTheme, color, LineChart, percentTicks, type SeriesSpec } from './charts';
import { DashboardModel, type ChartKey, type Section } from './dashboardModel';
import { byId, el, params, pct, seconds, setText } from './dom';
import { logToHost, post, vscode } from './vscodeApi';

const RENDER_DELAY_MS = 60;

export class DashboardPage {
  private model = new DashboardModel();
  private run: DashboardRun | undefined;
  private status: RunStatus | undefined;
  private readonly charts: Record<ChartKey, LineChart>;
  private pending = new Set<Section>();
  /** Asked for the history again: events until it arrives are covered by it. */
  private resyncing = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    applyTheme();
    this.charts = {
      loss: new LineChart(byId('chart-loss'), 'epoch', { y: { type: 'linear', title: { display: true, text: 'loss' } } }),
      accuracy: new LineChart(byId('chart-accuracy'), 'epoch', { y: { type: 'linear', min: 0, max: 1, ticks: percentTicks } }),
      terms: new LineChart(byId('chart-terms'), 'epoch', { y: { type: 'linear', title: { display: true, text: 'mean per epoch' } } }),
      tbt: new LineChart(byId('chart-tbt'), 'stage', {
        y: { type: 'linear', position: 'left', min: 0, title: { display: true, text: 'NMSE' } },
        y1: { type: 'linear', position: 'right', min: -1, max: 1, title: { display: true, text: 'cosine' }, grid: { drawOnChartArea: false } },
      }),
      tet: new LineChart(byId('chart-tet'), 'stage', {
        y: { type: 'linear', position: 'left', min: 0, max: 1, title: { display: true, text: 'accuracy, ECE' } },
        y1: { type: 'linear', position: 'right', min: 0, title: { display: true, text: 'entropy, KL' }, grid: { drawOnChartArea: false } },
      }),
    };
    byId('btn-stop').addEventListener('click', () => post({ type: 'stopRun' }));
    byId('btn-resume').addEventListener('click', () => post({ type: 'resumeRun' }));
    byId('btn-export').addEventListener('click', () => post({ type: 'exportStudent' }));
  }

  handle(message: MessageToWebview): void {
    switch (message.type) {
      case 'dashboard/init':
        this.resyncing = false;
        this.model = new DashboardModel();
        this.run = message.run;
        this.status = message.run.status;
        vscode().setState({ view: 'dashboard', dir: message.run.dir });
        this.schedule(this.model.apply(message.events));
        this.schedule(new Set<Section>(['loss', 'accuracy', 'terms', 'tbt', 'tet', 'timeline', 'summary', 'log']));
        return;
      case 'dashboard/events': {
        // The host drops duplicates and fills gaps (DashboardSync); this page only checks that
        // the batch continues what it holds. If not, it does not guess: it asks for the history.
        if (this.resyncing) return;
        const changed = this.model.applyAt(message.from, message.events);
        if (changed) {
          this.schedule(changed);
          return;
        }
        logToHost('error', `dashboard: events from ${message.from} do not continue the ${this.model.count} this page holds; reading the history again`);
        this.resyncing = true;
        post({ type: 'initialized' });
        return;
      }
      case 'dashboard/status':
        this.status = message.status;
        this.schedule(new Set<Section>(['summary', 'timeline']));
        return;
      default:
        logToHost('warn', `dashboard: ignored ${message.type}`);
    }
  }

  private schedule(sections: Set<Section>): void {
    for (const s of sections) this.pending.add(s);
    if (this.timer === undefined && this.pending.size > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        const todo = this.pending;
        this.pending = new Set();
        try {
          this.render(todo);
        } catch (err) {
          logToHost('error', `dashboard render: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
        }
      }, RENDER_DELAY_MS);
    }
  }

  private render(sections: Set<Section>): void {
    const m = this.model;
    if (sections.has('loss')) {
      this.charts.loss.update([
        { label: 'teacher (batch)', data: m.batchLoss.teacher, color: color(3), thin: true },
        { label: 'student (batch)', data: m.batchLoss.student, color: color(0), thin: true },
        { label: 'teacher (epoch)', data: m.epochLoss.teacher, color: color(3) },
        { label: 'student (epoch)', data: m.epochLoss.student, color: color(0) },
        // The student alone (the baseline), when the run trained one.
        ...(m.epochLoss.alone.length > 0 ? [{ label: 'student alone (epoch)', data: m.epochLoss.alone, color: color(2), dashed: true }] : []),
      ]);
    }
    if (sections.has('accuracy')) {
      this.charts.accuracy.update([
        { label: 'teacher train', data: m.trainAcc.teacher, color: color(3), dashed: true },
        { label: 'teacher val', data: m.valAcc.teacher, color: color(3) },
        { label: 'student train', data: m.trainAcc.student, color: color(0), dashed: true },
        { label: 'student val', data: m.valAcc.student, color: color(0) },
        ...(m.valAcc.alone.length > 0 ? [{ label: 'student alone val', data: m.valAcc.alone, color: color(2) }] : []),
      ]);
    }
    if (sections.has('terms')) {
      this.charts.terms.update([...m.terms.entries()].map(([label, data], i): SeriesSpec => ({ label, data, color: color(i), dashed: label.startsWith('teacher') })));
    }
    if (sections.has('tbt')) {
      this.charts.tbt.update(
        [...m.tbt.entries()].flatMap(([layer, s], i): SeriesSpec[] => [
          { label: `${layer} NMSE`, data: s.nmse, color: color(i) },
          { label: `${layer} cosine`, data: s.cosine, color: color(i), dashed: true, yAxisID: 'y1' },
        ]),
      );
    }
    if (sections.has('tet')) {
      this.charts.tet.update([
        { label: 'accuracy', data: m.tet.accuracy, color: color(0) },
        { label: 'teacher accuracy', data: m.tet.teacherAccuracy, color: color(3), dashed: true },
        { label: 'ECE', data: m.tet.ece, color: color(4) },
        { label: 'entropy', data: m.tet.entropy, color: color(2), yAxisID: 'y1' },
        { label: 'KL to teacher', data: m.tet.kl, color: color(1), yAxisID: 'y1' },
      ]);
    }
    if (sections.has('timeline')) this.renderTimeline();
    if (sections.has('summary')) this.renderSummary();
    if (sections.has('log')) this.renderLog();
  }

  private renderTimeline(): void {
    const list = byId<HTMLOListElement>('stage-timeline');
    const items = this.model.timeline();
    const running = this.status?.state === 'running';
    list.replaceChildren(
      ...items.map((item, i) => {
        const li = el('li', `${item.kind}${running && i === items.length - 1 ? ' current' : ''}`);
        li.append(el('span', 'what', item.what), el('span', 'detail', item.detail));
        return li;
      }),
    );
    list.dataset.items = String(items.length);
  }

  private renderSummary(): void {
    const m = this.model;
    const state = this.status?.state ?? 'unknown';
    const badge = byId('run-status');
    badge.textContent = state;
    badge.dataset.state = state;
    const phase = this.status?.phase ?? m.currentPhase();
    const progress = this.status?.progress;
    setText('run-progress', [phase, state === 'running' && progress !== undefined ? `${Math.floor(progress * 100)}%` : '', this.status?.error ?? ''].filter(Boolean).join(' · '));
    if (this.run) setText('run-title', this.run.name);
    setText('summary-teacher-acc', pct(m.final?.teacherTestAcc));
    setText('summary-student-acc', pct(m.final?.studentTestAcc));
    setText('summary-teacher-params', params(m.final?.teacherParams));
    setText('summary-student-params', params(m.final?.studentParams));
    setText('summary-method', m.run?.method ?? this.run?.method ?? '–');
    setText('summary-backend', m.run?.backend ?? this.status?.backend ?? '–');
    setText('summary-data', m.run ? `${m.run.data.name} (${m.run.data.train}/${m.run.data.validation}/${m.run.data.test})` : '–');
    setText('summary-time', seconds(m.final?.seconds));
    const gain = byId('summary-gain');
    const line = m.gainLine(this.run?.method);
    gain.textContent = line ?? '';
    gain.hidden = line === undefined;
    (byId<HTMLButtonElement>('btn-stop')).disabled = !(state === 'running' || state === 'queued');
    (byId<HTMLButtonElement>('btn-resume')).disabled = !(state === 'stopped' || state === 'failed');
    (byId<HTMLButtonElement>('btn-export')).disabled = state !== 'done';
  }

  private renderLog(): void {
    const list = byId<HTMLUListElement>('run-log');
    list.replaceChildren(
      ...this.model.logs.slice(-50).map((l) => el('li', l.level, `${new Date(l.time).toLocaleTimeString()}  ${l.message}`)),
    );
  }
}
