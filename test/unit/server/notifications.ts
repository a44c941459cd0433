/** Records the trainer's run notifications on a test client and waits for the one a test needs. */
import type { MessageConnection } from 'vscode-jsonrpc/node';
import { MetricsNotification, type RunInfo, RunStatusNotification, TrainerLogNotification } from '../../../src/protocol/lsp';
import type { MetricEvent } from '../../../src/protocol/runDir';

/** A `$/progress` notification as it arrives. */
export interface ProgressParams {
  token: string | number;
  value: unknown;
}

export interface Recorded {
  statuses: RunInfo[];
  metrics: { dir: string; from: number; events: MetricEvent[] }[];
  logs: { level: string; message: string; dir?: string }[];
  progress: ProgressParams[];
}

const FINAL = ['done', 'failed', 'stopped'];

export class NotificationRecorder {
  readonly seen: Recorded = { statuses: [], metrics: [], logs: [], progress: [] };
  private waiters: (() => void)[] = [];

  constructor(client: MessageConnection) {
    client.onNotification(RunStatusNotification.type, (p) => this.push(() => this.seen.statuses.push(p)));
    client.onNotification(MetricsNotification.type, (p) => this.push(() => this.seen.metrics.push(p)));
    client.onNotification(TrainerLogNotification.type, (p) => this.push(() => this.seen.logs.push(p)));
    // The client registers no handler per token, so every `$/progress` arrives here.
    client.onUnhandledProgress((p) => this.push(() => this.seen.progress.push(p)));
  }

  /** Resolves once `check` holds on what was recorded; fails with what was seen after `ms`. */
  waitFor<T>(what: string, check: (seen: Recorded) => T | undefined | false, ms = 20_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const attempt = (): boolean => {
        let v: T | undefined | false;
        try {
          v = check(this.seen);
        } catch (e) {
          clearTimeout(timer);
          reject(e);
          return true;
        }
        if (v) {
          clearTimeout(timer);
          resolve(v);
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        const states = this.seen.statuses.map((s) => `${s.id}:${s.status.state}${s.status.error ? `(${s.status.error})` : ''}`);
        reject(new Error(`timed out waiting for ${what}; statuses: ${states.join(', ')}; last logs: ${this.seen.logs.slice(-5).map((l) => l.message).join(' | ')}`));
      }, ms);
      const waiter = () => {
        if (attempt()) this.waiters = this.waiters.filter((w) => w !== waiter);
      };
      if (!attempt()) this.waiters.push(waiter);
    });
  }

  statusOf(dir: string): RunInfo | undefined {
    for (let i = this.seen.statuses.length - 1; i >= 0; i--) if (this.seen.statuses[i].dir === dir) return this.seen.statuses[i];
    return undefined;
  }

  /**
   * Waits until the run's latest status is `state`; fails at once if, after the wait began,
   * the run ends in another final state (so a run that finished too early reads as such).
   */
  state(dir: string, state: string, ms?: number): Promise<RunInfo> {
    const since = this.seen.statuses.length;
    return this.waitFor(`${dir} to be ${state}`, () => {
      const s = this.statusOf(dir);
      if (s?.status.state === state) return s;
      const ended = this.seen.statuses.slice(since).find((x) => x.dir === dir && FINAL.includes(x.status.state) && x.status.state !== state);
      if (ended) throw new Error(`${dir} ended ${ended.status.state}${ended.status.error ? ` (${ended.status.error})` : ''} while waiting for ${state}`);
      return undefined;
    }, ms);
  }

  eventsOf(dir: string): MetricEvent[] {
    return this.seen.metrics.filter((m) => m.dir === dir).flatMap((m) => m.events);
  }

  private push(record: () => void): void {
    record();
    for (const w of [...this.waiters]) w();
  }
}
