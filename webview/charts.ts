/**
 * Chart.js 4 (bundled, registered piece by piece) with theme colours read from VS Code's CSS
 * variables. Chart.js only touches `canvas.style` through the CSSOM, which a strict
 * `style-src` allows; nothing here writes inline style attributes.
 */
import {
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  Tooltip,
  type ChartDataset,
} from 'chart.js';
import type { Point } from './dashboardModel';

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, CategoryScale, Legend, Tooltip, Filler);

export function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.body).getPropertyValue(name).trim();
  return v || fallback;
}

const PALETTE: [string, string][] = [
  ['--vscode-charts-blue', '#3794ff'],
  ['--vscode-charts-orange', '#d18616'],
  ['--vscode-charts-green', '#89d185'],
  ['--vscode-charts-purple', '#b180d7'],
  ['--vscode-charts-red', '#f14c4c'],
  ['--vscode-charts-yellow', '#cca700'],
];

export function color(i: number): string {
  const [name, fallback] = PALETTE[i % PALETTE.length] as [string, string];
  return cssVar(name, fallback);
}

export function applyTheme(): void {
  Chart.defaults.color = cssVar('--vscode-foreground', '#cccccc');
  Chart.defaults.borderColor = cssVar('--vscode-widget-border', 'rgba(128,128,128,0.25)');
  Chart.defaults.font.family = cssVar('--vscode-font-family', 'sans-serif');
  Chart.defaults.animation = false;
}

export interface SeriesSpec {
  label: string;
  data: Point[];
  color: string;
  dashed?: boolean;
  thin?: boolean;
  /** Points only, no line (a mean per group). */
  markers?: boolean;
  /** A bar between its two points, without markers (a ± std); kept out of the legend. */
  errorBar?: boolean;
  yAxisID?: string;
}

type LineDataset = ChartDataset<'line', Point[]>;

function dataset(spec: SeriesSpec): LineDataset {
  return {
    label: spec.label,
    data: spec.data,
    borderColor: spec.color,
    backgroundColor: spec.color,
    borderWidth: spec.thin ? 1 : 2,
    borderDash: spec.dashed ? [5, 4] : [],
    pointRadius: spec.thin || spec.errorBar ? 0 : spec.markers ? 5 : 2,
    showLine: !spec.markers,
    tension: spec.errorBar ? 0 : 0.2,
    yAxisID: spec.yAxisID ?? 'y',
    parsing: false,
  };
}

/** Scale options as chart.js takes them (its deep option types are checked at run time). */
export type Scales = Record<string, Record<string, unknown>>;

export const percentTicks = { callback: (v: number | string): string => `${Math.round(Number(v) * 100)}%` };

/** A line chart over `{x, y}` points on a linear x axis. */
export class LineChart {
  readonly chart: Chart<'line', Point[]>;

  constructor(
    readonly canvas: HTMLCanvasElement,
    xTitle: string,
    scales: Scales,
    /** More plugin options (the comparison's zoom), next to the legend. */
    plugins: Record<string, unknown> = {},
  ) {
    this.chart = new Chart<'line', Point[]>(canvas, {
      type: 'line',
      data: { datasets: [] },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        normalized: true,
        interaction: { mode: 'nearest', intersect: false },
        plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } }, ...plugins },
        scales: {
          x: { type: 'linear', title: { display: true, text: xTitle }, ticks: { precision: 0 } },
          ...scales,
        } as never,
      },
    });
  }

  /** Renames the x axis (the comparison's per-stage metrics are drawn over stages, not epochs). */
  setXTitle(text: string): void {
    const x = (this.chart.options.scales as Scales).x as { title?: { text?: string } } | undefined;
    if (x?.title && x.title.text !== text) x.title.text = text;
  }

  /** Names the x axis's whole-number positions (0, 1, ...) after `labels`: one per group. */
  setXLabels(labels: readonly string[]): void {
    const x = (this.chart.options.scales as Scales).x as Record<string, unknown>;
    x.min = -0.5;
    x.max = Math.max(0.5, labels.length - 0.5);
    x.ticks = { autoSkip: false, callback: (v: number | string): string => labels[Number(v)] ?? '' };
    // A tick at each group's position (a linear axis would put them at the half steps from -0.5).
    x.afterBuildTicks = (axis: { ticks: { value: number }[] }): void => {
      axis.ticks = labels.map((_, i) => ({ value: i }));
    };
  }

  /** Replaces the y axis (type, limits, ticks), e.g. for another metric or a log scale. */
  setYScale(y: Record<string, unknown>): void {
    (this.chart.options.scales as Scales).y = y;
    this.chart.update('none');
  }

  /** Shows these series (same arrays are reused; datasets are rebuilt only when labels change). */
  update(specs: SeriesSpec[]): void {
    const current = this.chart.data.datasets;
    const same = current.length === specs.length && current.every((d, i) => d.label === specs[i]?.label);
    if (same) current.forEach((d, i) => (d.data = (specs[i] as SeriesSpec).data));
    else this.chart.data.datasets = specs.map(dataset);
    this.chart.update('none');
    this.canvas.dataset.points = String(specs.reduce((n, s) => n + s.data.length, 0));
  }
}
