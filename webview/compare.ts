/**
 * The comparison page: an experiments table (a row per run with its settings and metrics,
 * sortable by a click on a header, filterable with a search box (compareFilter.ts), groupable
 * by any settings column with mean ± std per group) and one chart overlaying any per-epoch or
 * per-stage (TBT/TET) metric of the runs the filter lets through, with zoom and pan
 * (chartjs-plugin-zoom: wheel with Ctrl, drag to pan, Shift-drag a box), a log scale and
 * smoothing. The view settings are saved with `setState`, so a window reload restores them.
 */
import zoomPlugin from 'chartjs-plugin-zoom';
import { Chart } from 'chart.js';
import type { CompareRun, CompareSweep, CompareViewState, MessageToWebview } from '../src/protocol/webview';
import { applyTheme, color, LineChart, percentTicks } from './charts';
import { filterHelp, filterRuns } from './compareFilter';
import {
  columnOf,
  DEFAULT_VIEW,
  groupableColumns,
  groupKeyOf,
  isStageMetric,
  MAX_FILTER,
  formatCell,
  formatDelta,
  formatMeanStd,
  groupAccuracySeries,
  groupColumnLabel,
  groupRows,
  isAccuracyMetric,
  metricOptions,
  metricSeries,
  nextSort,
  parseViewState,
  reportCommand,
  smooth,
  visibleColumns,
  type Column,
} from './compareTableModel';
import { byId, el, setText } from './dom';
import { logToHost, post, vscode } from './vscodeApi';

Chart.register(zoomPlugin);

export class ComparePage {
  private readonly chart: LineChart;
  private readonly groupChart: LineChart;
  private readonly table = byId<HTMLTableElement>('compare-table');
  private view: CompareViewState;
  private runs: CompareRun[] = [];
  private dirs: string[] = [];
  private sweep: CompareSweep | undefined;
  private readonly filterInput = el('input');
  private readonly filterErrors = el('span', 'compare-filter-errors');
  private readonly groupSelect = el('select');
  private readonly metricSelect = el('select');
  private readonly logToggle = el('input');
  private readonly smoothing = el('input');
  private readonly smoothingValue = el('span', 'muted');

  constructor() {
    applyTheme();
    const saved = vscode().getState() as { table?: unknown } | undefined;
    this.view = parseViewState(saved?.table);
    this.chart = new LineChart(byId('chart-compare'), 'student epoch', { y: this.yScale() }, {
      zoom: {
        zoom: { wheel: { enabled: true, modifierKey: 'ctrl' }, pinch: { enabled: true }, drag: { enabled: true, modifierKey: 'shift' }, mode: 'xy' },
        pan: { enabled: true, mode: 'xy' },
      },
    });
    // Only the axes: the group chart takes no zoom (a handful of points), and its legend leaves the ± bars out.
    this.groupChart = new LineChart(byId('chart-groups'), 'group', { y: { type: 'linear', ticks: percentTicks } }, {
      legend: { position: 'bottom', labels: { boxWidth: 12, filter: (item: { text?: string }) => Boolean(item.text) } },
    });
    this.buildToolbar();
    this.table.addEventListener('click', (e) => {
      const target = e.target as HTMLElement | null;
      const link = target?.closest('a[data-index]');
      if (link instanceof HTMLElement) {
        e.preventDefault();
        const index = Number(link.dataset.index);
        if (Number.isInteger(index)) post({ type: 'openRun', index });
        return;
      }
      const th = target?.closest('th[data-key]');
      if (th instanceof HTMLElement && th.dataset.key) this.sortBy(th.dataset.key);
    });
  }

  handle(message: MessageToWebview): void {
    if (message.type !== 'compare/init') {
      logToHost('warn', `compare: ignored ${message.type}`);
      return;
    }
    this.runs = message.runs;
    this.dirs = message.dirs;
    this.sweep = message.sweep;
    // A sweep's comparison opens grouped by its groups (unless the saved view says otherwise).
    const saved = (vscode().getState() as { table?: unknown } | undefined)?.table;
    if (!saved && this.sweep && this.runs.some((r) => r.group)) this.view.groupBy = 'group';
    this.save();
    this.render();
  }

  /** Saved by every panel, new or restored, so that a window reload brings it back as it was. */
  private save(): void {
    vscode().setState({ view: 'compare', dirs: this.dirs, table: this.view });
  }

  private update(change: Partial<CompareViewState>): void {
    this.view = { ...this.view, ...change };
    this.save();
    this.render();
  }

  private sortBy(key: string): void {
    this.update(nextSort(this.view, key));
  }

  private buildToolbar(): void {
    const bar = el('div', 'compare-toolbar');
    bar.id = 'compare-toolbar';
    const labelled = (text: string, control: HTMLElement, ...after: HTMLElement[]): HTMLLabelElement => {
      const label = el('label', undefined, `${text} `);
      label.append(control, ...after);
      return label;
    };
    this.filterInput.type = 'search';
    this.filterInput.id = 'compare-filter';
    this.filterInput.maxLength = MAX_FILTER;
    this.filterInput.spellcheck = false;
    this.filterInput.placeholder = 'Filter: text, method:skd, seed:1, student>80';
    this.filterInput.setAttribute('aria-label', 'Filter the runs');
    this.filterInput.addEventListener('input', () => this.update({ filter: this.filterInput.value }));
    this.filterErrors.id = 'compare-filter-errors';
    this.filterErrors.setAttribute('role', 'status');
    const filter = el('div', 'compare-filter');
    filter.append(this.filterInput, this.filterErrors);
    this.groupSelect.id = 'compare-group-by';
    this.groupSelect.addEventListener('change', () => this.update({ groupBy: parseViewState({ groupBy: this.groupSelect.value }).groupBy }));
    this.metricSelect.id = 'compare-metric';
    this.metricSelect.addEventListener('change', () => {
      this.update({ metric: this.metricSelect.value });
      this.chart.chart.resetZoom();
    });
    this.logToggle.type = 'checkbox';
    this.logToggle.id = 'compare-log';
    this.logToggle.addEventListener('change', () => this.update({ logScale: this.logToggle.checked }));
    this.smoothing.type = 'range';
    this.smoothing.id = 'compare-smoothing';
    this.smoothing.min = '0';
    this.smoothing.max = '0.95';
    this.smoothing.step = '0.05';
    this.smoothing.addEventListener('input', () => this.update({ smoothing: Number(this.smoothing.value) }));
    const reset = el('button', 'secondary', 'Reset zoom');
    reset.type = 'button';
    reset.id = 'compare-reset-zoom';
    reset.title = 'Ctrl + wheel zooms, drag pans, Shift + drag zooms to a box';
    reset.addEventListener('click', () => this.chart.chart.resetZoom());
    bar.append(
      labelled('Group by', this.groupSelect),
      labelled('Chart', this.metricSelect),
      labelled('Log scale', this.logToggle),
      labelled('Smoothing', this.smoothing, this.smoothingValue),
      reset,
    );
    this.table.before(filter, bar);
  }

  private syncToolbar(): void {
    const groups: [string, string][] = [
      ['none', 'nothing'],
      ...groupableColumns(this.runs).map((c): [string, string] =>
        c.key === 'group' ? ['group', groupColumnLabel(this.sweep)] : [c.key, c.key === 'temperature' ? 'temperature (T)' : c.label.toLowerCase()],
      ),
    ];
    if (!groups.some(([k]) => k === this.view.groupBy)) this.view.groupBy = 'none';
    // Never rewrite the box under the cursor (a reload is the one time it must be filled in).
    if (this.filterInput.value !== this.view.filter) this.filterInput.value = this.view.filter;
    this.filterInput.title = filterHelp(visibleColumns(this.runs));
    this.groupSelect.replaceChildren(...groups.map(([value, text]) => option(value, text, value === this.view.groupBy)));
    const metrics = metricOptions(this.runs);
    if (!metrics.some((m) => m.key === this.view.metric)) this.view.metric = metrics[0]?.key ?? DEFAULT_VIEW.metric;
    this.metricSelect.replaceChildren(...metrics.map((m) => option(m.key, m.label, m.key === this.view.metric)));
    this.logToggle.checked = this.view.logScale;
    this.smoothing.value = String(this.view.smoothing);
    this.smoothingValue.textContent = this.view.smoothing.toFixed(2);
  }

  private render(): void {
    this.syncToolbar();
    const columns = visibleColumns(this.runs);
    const { rows, errors } = filterRuns(this.runs, this.view.filter);
    this.filterErrors.textContent = errors.join('; ');
    this.filterInput.classList.toggle('invalid', errors.length > 0);
    this.renderHead(columns);
    this.renderBody(columns, rows);
    const shown = rows.length === this.runs.length ? `${this.runs.length} runs` : `${rows.length} of ${this.runs.length} runs`;
    setText('compare-count', `${shown}${this.sweep ? ` of ${this.sweep.source} ${this.sweep.name}` : ''}`);
    this.renderChart(rows);
    this.renderGroupChart(rows);
  }

  /** Grouped: per group, the student's test accuracy, mean ± std over the runs the filter shows. */
  private renderGroupChart(shown: number[]): void {
    const section = byId('group-chart');
    const grouped = this.view.groupBy !== 'none';
    section.hidden = !grouped;
    const canvas = this.groupChart.canvas;
    if (!grouped) {
      canvas.dataset.groups = '0';
      return;
    }
    const { labels, means, bars } = groupAccuracySeries(groupRows(this.runs, this.view, this.sweep, shown));
    const caption = canvas.closest('figure')?.querySelector('figcaption');
    const by = this.groupSelect.selectedOptions[0]?.textContent ?? this.view.groupBy;
    if (caption?.firstChild) caption.firstChild.textContent = `Student test accuracy by ${by}`;
    this.groupChart.setXTitle(by);
    this.groupChart.setXLabels(labels);
    this.groupChart.update([
      { label: 'mean', data: means, color: color(0), markers: true },
      ...bars.map((data) => ({ label: '', data, color: color(0), errorBar: true })),
    ]);
    canvas.dataset.groups = String(labels.length);
  }

  private renderHead(columns: Column[]): void {
    const row = el('tr');
    for (const c of columns) {
      const th = el('th', c.kind === 'text' ? 'sortable' : 'num sortable');
      th.scope = 'col';
      th.dataset.key = c.key;
      th.tabIndex = 0;
      th.title = `${c.title ?? c.label}: click to sort`;
      const sorted = this.view.sortKey === c.key;
      th.setAttribute('aria-sort', sorted ? (this.view.sortDir === 'asc' ? 'ascending' : 'descending') : 'none');
      th.textContent = sorted ? `${c.label} ${this.view.sortDir === 'asc' ? '▲' : '▼'}` : c.label;
      th.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          this.sortBy(c.key);
        }
      });
      row.append(th);
    }
    const head = this.table.querySelector('thead') ?? this.table.createTHead();
    head.replaceChildren(row);
    this.table.dataset.sort = `${this.view.sortKey}:${this.view.sortDir}`;
    this.table.dataset.groupBy = this.view.groupBy;
  }

  private renderBody(columns: Column[], shown: number[]): void {
    const best = Math.max(...this.runs.map((r) => (r.studentAcc === undefined ? -1 : r.studentAcc > 1 ? r.studentAcc / 100 : r.studentAcc)));
    const groups = groupRows(this.runs, this.view, this.sweep, shown);
    const rows: HTMLTableRowElement[] = [];
    for (const g of groups) {
      if (this.view.groupBy !== 'none') {
        const tr = el('tr', 'group-row');
        tr.dataset.group = g.key;
        for (const c of columns) {
          if (c.key === 'name') {
            const td = el('td', 'group-name');
            td.append(el('strong', undefined, g.key), el('span', 'muted', ` · ${g.rows.length} run${g.rows.length === 1 ? '' : 's'}`));
            if (g.baseline) td.append(el('span', 'muted', ' · baseline'));
            if (g.delta) {
              const d = el('span', 'delta', ` · ${formatDelta(g.delta)}`);
              d.title = `Paired difference to ${this.sweep?.baseline ?? 'the baseline'} over the seeds both finished, in points ± its standard error (${reportCommand(this.sweep)})`;
              td.append(d);
            }
            if (g.heldOutDelta) {
              const d = el('span', 'delta held-out', ` · held-out val ${formatDelta(g.heldOutDelta)}`);
              d.title = `The same on validation with the epoch selection held out: each half of the validation images scores the epoch the other half chose (${reportCommand(this.sweep)})`;
              td.append(d);
            }
            tr.append(td);
          } else {
            tr.append(el('td', c.kind === 'text' ? c.key : `num ${c.key}`, c.aggregate ? formatMeanStd(c.kind, g.stats[c.key]) : ''));
          }
        }
        rows.push(tr);
      }
      for (const i of g.rows) {
        const r = this.runs[i] as CompareRun;
        const acc = r.studentAcc === undefined ? undefined : r.studentAcc > 1 ? r.studentAcc / 100 : r.studentAcc;
        const tr = el('tr', acc !== undefined && acc === best ? 'run-row best' : 'run-row');
        tr.dataset.name = r.name;
        for (const c of columns) {
          if (c.key === 'name') {
            const td = el('td');
            const link = el('a', undefined, r.name);
            link.dataset.index = String(i);
            link.href = '#';
            link.title = 'Open its dashboard';
            td.append(link);
            tr.append(td);
          } else {
            const cls = [c.kind === 'text' ? '' : 'num', c.key === 'studentAcc' ? 'student-acc' : c.key === 'teacherAcc' ? 'teacher-acc' : '', c.key].filter(Boolean).join(' ');
            tr.append(el('td', cls, formatCell(c.kind, c.value(r))));
          }
        }
        rows.push(tr);
      }
    }
    if (shown.length === 0 && this.runs.length > 0) {
      const tr = el('tr', 'empty-row');
      const td = el('td', 'muted', 'No run matches the filter.');
      td.colSpan = columns.length;
      tr.append(td);
      rows.push(tr);
    }
    (this.table.tBodies[0] ?? this.table.createTBody()).replaceChildren(...rows);
    this.table.dataset.rows = String(shown.length);
  }

  private yScale(): Record<string, unknown> {
    const acc = isAccuracyMetric(this.view.metric);
    if (this.view.logScale) return { type: 'logarithmic', ...(acc ? { ticks: percentTicks } : {}) };
    return acc ? { type: 'linear', min: 0, max: 1, ticks: percentTicks } : { type: 'linear' };
  }

  /** The runs the filter lets through, each in its own colour (or its group's) whatever the filter. */
  private renderChart(shown: number[]): void {
    const perStage = isStageMetric(this.view.metric);
    this.chart.setXTitle(perStage ? 'stage' : 'student epoch');
    this.chart.setYScale(this.yScale());
    const grouped = this.view.groupBy !== 'none';
    const groupIndex = new Map<string, number>();
    const label = metricOptions(this.runs).find((m) => m.key === this.view.metric)?.label ?? this.view.metric;
    const caption = this.chart.canvas.closest('figure')?.querySelector('figcaption');
    if (caption?.firstChild) caption.firstChild.textContent = perStage ? label : `Student ${label.charAt(0).toLowerCase()}${label.slice(1)}`;
    const help = caption?.querySelector('.help');
    const which = shown.length === this.runs.length ? 'all runs overlaid' : `the ${shown.length} runs the filter shows`;
    if (help) help.textContent = perStage ? `per stage (TBT at the stage it predicts), ${which}` : `per epoch, ${which}`;
    // Group colours follow the groups of every run, so a filter does not repaint what stays.
    if (grouped) for (const r of this.runs) if (!groupIndex.has(groupKeyOf(r, this.view.groupBy))) groupIndex.set(groupKeyOf(r, this.view.groupBy), groupIndex.size);
    this.chart.update(
      shown.map((i) => {
        const r = this.runs[i] as CompareRun;
        const raw = metricSeries(r, this.view.metric).filter((p) => !this.view.logScale || p.y > 0);
        const ys = smooth(raw.map((p) => p.y), this.view.smoothing);
        const key = grouped ? groupKeyOf(r, this.view.groupBy) : '';
        return {
          label: grouped ? `${r.name} (${groupLabel(this.view.groupBy, key)})` : `${r.name} (${r.method})`,
          data: raw.map((p, j) => ({ x: p.x, y: ys[j] as number })),
          color: color(grouped ? (groupIndex.get(key) as number) : i),
        };
      }),
    );
    this.chart.canvas.dataset.metric = this.view.metric;
    this.chart.canvas.dataset.series = String(shown.length);
  }
}

function option(value: string, text: string, selected: boolean): HTMLOptionElement {
  const o = el('option', undefined, text);
  o.value = value;
  o.selected = selected;
  return o;
}

/** `kd` for a text column's group, `seed 1` / `T 4` for a number's (a bare number says nothing in a legend). */
function groupLabel(by: string, key: string): string {
  const col = columnOf(by);
  return !col || col.kind === 'text' || key.startsWith('(') ? key : `${col.label === 'T' ? 'T' : col.label.toLowerCase()} ${key}`;
}
