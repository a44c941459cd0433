/**
 * `skd run` / `skd resume` progress on stderr. On a terminal: the epoch, stage and meta-network
 * lines as before, and under them one line that redraws itself, a bar of the current phase with
 * its ETA. Not on a terminal (a pipe, a log file, CI): the plain lines only. `NO_COLOR` turns
 * the bar's colour off.
 */
import type { MetricEvent, Network } from '../../protocol/runDir';
import { formatEvent } from './progress';

export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

const NETWORK_NAMES: Record<Network, string> = { teacher: 'teacher', alone: 'student alone', student: 'student' };

/** "0:42", "12:05", "1:02:03"; "--:--" while unknown. */
export function formatEta(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export interface BarState {
  network: Network;
  /** Fractional epochs done in this phase. */
  done: number;
  epochs: number;
  /** Seconds since the phase's first batch (of this process). */
  elapsed: number;
  /** Fraction done when this process first saw the phase (a resumed run starts part way). */
  startFraction: number;
}

/** The bar's line, at most `width` characters: "student epoch 3/8 [######------] 31% ETA 0:42". */
export function renderBar(s: BarState, width: number, color: boolean): string {
  const fraction = s.epochs > 0 ? Math.max(0, Math.min(1, s.done / s.epochs)) : 0;
  const epoch = Math.min(s.epochs, Math.floor(s.done) + 1);
  const gained = fraction - s.startFraction;
  const eta = gained > 0.002 && s.elapsed > 0 ? (s.elapsed / gained) * (1 - fraction) : undefined;
  const head = `${NETWORK_NAMES[s.network]} epoch ${epoch}/${s.epochs} `;
  const tail = ` ${String(Math.floor(fraction * 100)).padStart(3)}% ETA ${formatEta(eta)}`;
  const room = Math.max(0, Math.min(40, width - head.length - tail.length - 3));
  if (room < 5) return (head.trimEnd() + tail).slice(0, Math.max(0, width - 1));
  const filled = Math.round(fraction * room);
  const bar = '#'.repeat(filled) + '-'.repeat(room - filled);
  const shown = color ? `\x1b[36m${bar.slice(0, filled)}\x1b[2m${bar.slice(filled)}\x1b[0m` : bar;
  return `${head}[${shown}]${tail}`;
}

export class ProgressPrinter {
  private readonly live: boolean;
  private readonly color: boolean;
  private state: BarState | undefined;
  private phaseStart = 0;
  private shown = false;
  private lastDraw = 0;

  constructor(
    private readonly stream: ProgressStream,
    env: NodeJS.ProcessEnv = process.env,
    private readonly now: () => number = Date.now,
  ) {
    this.live = stream.isTTY === true && env.TERM !== 'dumb';
    this.color = this.live && (env.NO_COLOR === undefined || env.NO_COLOR === '');
  }

  /** A whole line (the engine's log lines, epoch and stage lines). */
  line(text: string): void {
    this.clear();
    this.stream.write(`${text}\n`);
    this.draw(true);
  }

  event(e: MetricEvent, epochs: Record<Network, number>): void {
    if (e.type === 'batch' && this.live) {
      const total = epochs[e.network] ?? 0;
      if (!this.state || this.state.network !== e.network) {
        this.phaseStart = this.now();
        this.state = { network: e.network, done: e.step, epochs: total, elapsed: 0, startFraction: total > 0 ? e.step / total : 0 };
      }
      this.state.done = e.step;
      this.state.epochs = total;
      this.state.elapsed = (this.now() - this.phaseStart) / 1000;
      this.draw(false);
      return;
    }
    if (e.type === 'final') this.state = undefined;
    const text = formatEvent(e, epochs);
    if (text) this.line(text);
    else if (e.type === 'final') this.clear();
  }

  /** Removes the bar (before the summary is printed, or on exit). */
  finish(): void {
    this.clear();
    this.state = undefined;
  }

  private clear(): void {
    if (!this.shown) return;
    this.stream.write('\r\x1b[2K');
    this.shown = false;
  }

  private draw(force: boolean): void {
    if (!this.live || !this.state) return;
    const t = this.now();
    // A few redraws a second are enough, and keep a slow terminal from lagging behind.
    if (!force && this.shown && t - this.lastDraw < 100) return;
    this.lastDraw = t;
    const width = this.stream.columns && this.stream.columns > 20 ? this.stream.columns : 80;
    this.stream.write(`\r\x1b[2K${renderBar(this.state, width, this.color)}`);
    this.shown = true;
  }
}
