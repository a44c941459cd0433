/**
 * Follows a run's `metrics.jsonl` as it grows and hands over only the new events. It reads
 * by byte offset (never the whole file again), consumes complete lines only (a torn last line
 * waits for its newline), and is woken by fs.watch with a polling fallback, because fs.watch
 * misses events on some file systems (network drives, containers).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MetricEvent } from '../../protocol/runDir';
import { RUN_FILES } from '../../protocol/runDir';
import { parseEventLine } from '../runFiles';

export interface MetricsTailOptions {
  /** Polling interval; the fallback when fs.watch says nothing. */
  pollMs?: number;
  /** Start at this line (0-based), e.g. after the lines a resumed run already has. */
  fromLine?: number;
}

export class MetricsTail {
  private offset = 0;
  private line = 0;
  private skipLines: number;
  private watcher: fs.FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private disposed = false;
  private readonly file: string;

  constructor(
    dir: string,
    /** New events, `from` being the line number of the first line read in this batch. */
    private readonly onEvents: (from: number, events: MetricEvent[]) => void,
    /** Called after every read, so the owner can look at status.json at the same pace. */
    private readonly onTick: () => void,
    options: MetricsTailOptions = {},
  ) {
    this.file = path.join(dir, RUN_FILES.metrics);
    this.skipLines = options.fromLine ?? 0;
    const pollMs = options.pollMs ?? 500;
    try {
      this.watcher = fs.watch(dir, { persistent: false }, () => this.read());
      this.watcher.on('error', () => this.closeWatcher());
    } catch {
      this.watcher = undefined;
    }
    this.timer = setInterval(() => this.read(), pollMs);
  }

  /** Reads what is new now; `final` also takes a last line that has no newline. */
  read(final = false): void {
    if (this.disposed) return;
    try {
      this.readNew(final);
    } catch {
      // The file may not exist yet, or be replaced; the next tick tries again.
    }
    this.onTick();
  }

  /**
   * Reads what is new now without ticking: for the owner that saw the run end, so the last
   * events go out before the final status.
   */
  drain(): void {
    if (this.disposed) return;
    try {
      this.readNew(false);
    } catch {
      // As in read().
    }
  }

  dispose(): void {
    this.disposed = true;
    this.closeWatcher();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private readNew(final: boolean): void {
    const size = fs.statSync(this.file).size;
    if (size < this.offset) {
      // Replaced by a shorter file: start over rather than read garbage.
      this.offset = 0;
      this.line = 0;
    }
    if (size === this.offset) return;
    const fd = fs.openSync(this.file, 'r');
    let chunk: Buffer;
    try {
      chunk = Buffer.alloc(size - this.offset);
      const n = fs.readSync(fd, chunk, 0, chunk.length, this.offset);
      chunk = chunk.subarray(0, n);
    } finally {
      fs.closeSync(fd);
    }
    let end = chunk.lastIndexOf(0x0a) + 1;
    if (final && end < chunk.length) end = chunk.length;
    if (end === 0) return;
    const lines = chunk.subarray(0, end).toString('utf8').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    this.offset += end;
    const from = this.line;
    const events: MetricEvent[] = [];
    let index = from;
    for (const text of lines) {
      if (index >= this.skipLines) {
        const event = parseEventLine(text);
        if (event) events.push(event);
      }
      index++;
    }
    this.line = index;
    if (events.length > 0) this.onEvents(Math.max(from, this.skipLines), events);
  }

  private closeWatcher(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }
}
