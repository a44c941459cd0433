/**
 * The one reader of a run's `metrics.jsonl`: it turns the file into metric events, each with
 * its cursor. The language server's tail, `skd/readMetrics`, the run directory, sweeps and
 * bench reports all read the log through it, so they all count the same way.
 *
 * The cursor is the index of a valid event (0-based), not a line number and not a byte
 * offset. Why: a dashboard holds events, so its model's event count *is* its cursor and it can
 * check continuity with nothing else; and a crash leaves a torn last line that the resumed run
 * closes off as a bad line, so line numbers run ahead of the events and two readers that
 * started at different times disagree. Counting valid events only, a bad line (torn, or
 * anything that is not a JSON event) is invisible to every cursor. The byte offset is kept
 * here privately, only so that a reader following a growing file reads each byte once.
 *
 * Only complete lines (ending in a newline) are read: a last line without one is being written,
 * or was torn by a crash; it is read once its newline arrives (then as an event or as a bad
 * line), never guessed at earlier, so every reader sees the same events at the same indexes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type MetricEvent, RUN_FILES } from '../../protocol/runDir';

/** Where a reader stands: the index of the next event and the byte where its line starts. */
export interface MetricsPosition {
  event: number;
  byte: number;
}

export const METRICS_START: MetricsPosition = { event: 0, byte: 0 };

/** Events read in one go: `from` is the index of `events[0]` (or of the next event, when none). */
export interface MetricsChunk {
  from: number;
  events: MetricEvent[];
  /** Complete lines that were not JSON events (a torn line closed off by a resume, say). */
  badLines: number;
}

/** Follows one `metrics.jsonl` from a position on; each call reads only what was appended. */
export class MetricsReader {
  private pos: MetricsPosition;

  constructor(
    readonly file: string,
    start: MetricsPosition = METRICS_START,
  ) {
    this.pos = { ...start };
  }

  get position(): MetricsPosition {
    return { ...this.pos };
  }

  /** The complete lines appended since the last read; none when the file is not there (yet). */
  read(): MetricsChunk {
    let size: number;
    try {
      size = fs.statSync(this.file).size;
    } catch {
      return { from: this.pos.event, events: [], badLines: 0 };
    }
    // Replaced by a shorter file: start over rather than read from the middle of a line.
    if (size < this.pos.byte) this.pos = { ...METRICS_START };
    const from = this.pos.event;
    if (size === this.pos.byte) return { from, events: [], badLines: 0 };
    let chunk = Buffer.alloc(size - this.pos.byte);
    const fd = fs.openSync(this.file, 'r');
    try {
      chunk = chunk.subarray(0, fs.readSync(fd, chunk, 0, chunk.length, this.pos.byte));
    } finally {
      fs.closeSync(fd);
    }
    // A newline byte never occurs inside a multi-byte UTF-8 character, so this cut is safe.
    const end = chunk.lastIndexOf(0x0a) + 1;
    if (end === 0) return { from, events: [], badLines: 0 };
    const lines = chunk.subarray(0, end).toString('utf8').split('\n');
    lines.pop(); // the empty string after the last newline
    const events: MetricEvent[] = [];
    let badLines = 0;
    for (const line of lines) {
      if (!line.trim()) continue; // an empty line is neither an event nor a problem
      const event = parseEventLine(line);
      if (event) events.push(event);
      else badLines++;
    }
    this.pos = { event: from + events.length, byte: this.pos.byte + end };
    return { from, events, badLines };
  }
}

/** The metrics log of a run directory. */
export function metricsFile(dir: string): string {
  return path.join(dir, RUN_FILES.metrics);
}

/**
 * Metric events of a run from event index `from` on; `next` is the index after the last one
 * (the cursor to ask from next time; `from` itself when the log holds fewer events).
 */
export function readMetricsFrom(dir: string, from = 0): { events: MetricEvent[]; next: number } {
  const start = Math.max(0, Math.floor(from));
  const all = new MetricsReader(metricsFile(dir)).read();
  return { events: all.events.slice(start), next: Math.max(start, all.from + all.events.length) };
}

/** Where the log ends now: a tail that starts here hands over only what is written later (a resumed run's news). */
export function metricsEnd(dir: string): MetricsPosition {
  const reader = new MetricsReader(metricsFile(dir));
  reader.read();
  return reader.position;
}

/** One line of the log as an event, or undefined when it is not a JSON object with a `type`. */
export function parseEventLine(line: string): MetricEvent | undefined {
  if (!line.trim()) return undefined;
  try {
    const v = JSON.parse(line) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as { type?: unknown }).type === 'string' ? (v as MetricEvent) : undefined;
  } catch {
    return undefined;
  }
}
