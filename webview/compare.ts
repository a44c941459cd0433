/** The comparison page: a table of final metrics and the students' validation curves. */
import type { CompareRun, MessageToWebview } from '../src/protocol/webview';
import { applyTheme, color, LineChart, percentTicks } from './charts';
import { fraction } from './dashboardModel';
import { byId, el, params, pct, seconds, setText } from './dom';
import { logToHost, post, vscode } from './vscodeApi';

export class ComparePage {
  private readonly chart: LineChart;

  constructor() {
    applyTheme();
    this.chart = new LineChart(byId('chart-compare'), 'student epoch', { y: { type: 'linear', min: 0, max: 1, ticks: percentTicks } });
    byId('compare-table').addEventListener('click', (e) => {
      const target = (e.target as HTMLElement | null)?.closest('a[data-index]');
      if (!(target instanceof HTMLElement)) return;
      e.preventDefault();
      const index = Number(target.dataset.index);
      if (Number.isInteger(index)) post({ type: 'openRun', index });
    });
  }

  handle(message: MessageToWebview): void {
    if (message.type !== 'compare/init') {
      logToHost('warn', `compare: ignored ${message.type}`);
      return;
    }
    // Saved by every panel, new or restored, so that a window reload brings it back.
    vscode().setState({ view: 'compare', dirs: message.dirs });
    this.render(message.runs);
  }

  private render(runs: CompareRun[]): void {
    const best = Math.max(...runs.map((r) => (r.studentAcc === undefined ? -1 : fraction(r.studentAcc))));
    const body = byId('compare-table').querySelector('tbody');
    body?.replaceChildren(
      ...runs.map((r, i) => {
        const tr = el('tr', r.studentAcc !== undefined && fraction(r.studentAcc) === best ? 'best' : undefined);
        const name = el('td');
        const link = el('a', undefined, r.name);
        link.dataset.index = String(i);
        link.href = '#';
        link.title = 'Open its dashboard';
        name.append(link);
        tr.append(
          name,
          el('td', 'method', r.method),
          el('td', 'state', r.state),
          el('td', 'num teacher-acc', pct(r.teacherAcc)),
          el('td', 'num student-acc', pct(r.studentAcc)),
          el('td', 'num', params(r.studentParams)),
          el('td', 'num', seconds(r.seconds)),
          el('td', undefined, r.backend ?? '–'),
        );
        return tr;
      }),
    );
    byId('compare-table').dataset.rows = String(runs.length);
    setText('compare-count', `${runs.length} runs`);
    this.chart.update(runs.map((r, i) => ({ label: `${r.name} (${r.method})`, data: r.curve.map((p) => ({ x: p.epoch, y: fraction(p.valAcc) })), color: color(i) })));
  }
}
