/**
 * Follows a run's `metrics.jsonl` as it grows and hands over only the new events, each batch
 * with the index of its first event (the cursor unit of src/trainer/runDir/metricsLog.ts, which does
 * the reading). It is woken by fs.watch with a polling fallback, because fs.watch misses events
 * on some file systems (network drives, containers).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MetricEvent } from '../../protocol/runDir';
import { METRICS_START, type MetricsPosition, MetricsReader, metricsFile } from '../runDir/metricsLog';

export interface MetricsTailOptions {
  /** Polling interval; the fallback when fs.watch says nothing. */
  pollMs?: number;
  /** Start here, e.g. at `metricsEnd(dir)` of a resumed run, whose history the client reads itself. */
  from?: MetricsPosition;
}

export class MetricsTail {
  private readonly reader: MetricsReader;
  private watcher: fs.FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private disposed = false;

  constructor(
    dir: string,
    /** New events, `from` being the event index of `events[0]`; the events follow each other without a gap. */
    private readonly onEvents: (from: number, events: MetricEvent[]) => void,
    /** Called after every read, so the owner can look at status.json at the same pace. */
    private readonly onTick: () => void,
    options: MetricsTailOptions = {},
  ) {
    this.reader = new MetricsReader(metricsFile(path.resolve(dir)), options.from ?? METRICS_START);
    const pollMs = options.pollMs ?? 500;
    try {
      this.watcher = fs.watch(dir, { persistent: false }, () => this.read());
      this.watcher.on('error', () => this.closeWatcher());
    } catch {
      this.watcher = undefined;
    }
    this.timer = setInterval(() => this.read(), pollMs);
  }

  /** Reads what is new now, then ticks. */
  read(): void {
    if (this.disposed) return;
    this.drain();
    this.onTick();
  }

  /**
   * Reads what is new now without ticking: for the owner that saw the run end, so the last
   * events go out before the final status.
   */
  drain(): void {
    if (this.disposed) return;
    let chunk;
    try {
      chunk = this.reader.read();
    } catch {
      // The file may be being replaced; the next tick tries again from the same position.
      return;
    }
    if (chunk.events.length > 0) this.onEvents(chunk.from, chunk.events);
  }

  dispose(): void {
    this.disposed = true;
    this.closeWatcher();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private closeWatcher(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }
}
