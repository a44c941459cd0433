/**
 * How a dashboard follows a run, apart from VS Code (so it is tested against a real trainer):
 * the whole history once when the webview says `initialized`, then only new events. This is the
 * one place where duplicates are dropped: the cursor is the index of the next event the webview
 * needs (the event-index unit of `MetricsParams`), each `skd/metrics` notification is planned
 * against it, and a gap is filled from the run directory through `skd/readMetrics`. The webview
 * trusts it and only checks that each batch starts at its own event count.
 */
import type { MetricsParams, ReadMetricsResult } from '../../protocol/lsp';
import type { MetricEvent } from '../../protocol/runDir';
import type { DashboardEventsMessage, DashboardInitMessage, DashboardRun } from '../../protocol/webview';
import { planIncrement } from './increments';

export interface DashboardSyncDeps {
  /** The run's events from an event index on (`skd/readMetrics`). */
  read(from: number): Promise<ReadMetricsResult>;
  /** Posts to the webview, in call order. */
  post(message: DashboardInitMessage | DashboardEventsMessage): Promise<unknown>;
  warn(message: string): void;
}

export class DashboardSync {
  /** Index of the next event the webview needs. */
  private cursor = 0;
  private syncing = false;
  private buffered: MetricsParams[] = [];
  /** Counts histories sent; a newer `initialized` makes an older one still in flight moot. */
  private generation = 0;
  private started = false;

  constructor(private readonly deps: DashboardSyncDeps) {}

  /** Index of the next event the webview needs (what it holds once all posts arrive). */
  get position(): number {
    return this.cursor;
  }

  /** The webview (re)started: it gets the whole history, then what arrived meanwhile. */
  async start(run: () => DashboardRun): Promise<void> {
    const generation = ++this.generation;
    this.started = true;
    this.cursor = 0;
    this.syncing = true;
    this.buffered = [];
    let history: ReadMetricsResult;
    try {
      history = await this.deps.read(0);
    } catch (err) {
      if (generation === this.generation) this.syncing = false;
      throw err;
    }
    if (generation !== this.generation) return;
    this.cursor = history.next;
    try {
      await this.deps.post({ type: 'dashboard/init', run: run(), events: history.events });
    } finally {
      if (generation === this.generation) this.syncing = false;
    }
    if (generation === this.generation) await this.flush();
  }

  /** A `skd/metrics` notification of this dashboard's run. */
  onMetrics(p: MetricsParams): void {
    if (this.started) void this.apply(p);
  }

  /** Reads what the webview has not seen yet from the run directory (e.g. after a trainer restart). */
  async catchUp(): Promise<void> {
    if (!this.started || this.syncing) return;
    this.syncing = true;
    const generation = this.generation;
    try {
      const { events, next } = await this.deps.read(this.cursor);
      if (generation !== this.generation) return;
      const from = this.cursor;
      // `next` says where the events end; a log that holds fewer events than were sent says nothing new.
      if (next > from && events.length === next - from) {
        this.cursor = next;
        await this.send(from, events);
      }
    } catch (err) {
      this.deps.warn(`could not read metrics: ${String(err)}`);
    } finally {
      if (generation === this.generation) this.syncing = false;
    }
    if (generation === this.generation) await this.flush();
  }

  private async flush(): Promise<void> {
    const pending = this.buffered;
    this.buffered = [];
    for (const p of pending) await this.apply(p);
  }

  private async apply(p: MetricsParams): Promise<void> {
    // While the history is read, news waits: it is planned against the cursor that read leaves.
    if (this.syncing) {
      this.buffered.push(p);
      return;
    }
    const plan = planIncrement(this.cursor, p.from, p.events.length);
    if (plan.kind === 'stale') return;
    if (plan.kind === 'gap') return this.catchUp();
    const events = p.events.slice(plan.skip);
    const from = this.cursor;
    this.cursor = plan.next;
    await this.send(from, events);
  }

  private async send(from: number, events: MetricEvent[]): Promise<void> {
    if (events.length > 0) await this.deps.post({ type: 'dashboard/events', from, events });
  }
}
