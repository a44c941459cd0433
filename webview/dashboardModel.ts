/**
 * The dashboard's data: metric events folded into chart series, the stage timeline and the
 * summary. Pure (no DOM), so the folding is unit-tested; the page only draws what this holds.
 */
import { gainLine, methodLabel } from '../src/protocol/gain';
import type { FinalEvent, LogEvent, MetricEvent, Network, PhaseEvent, RunEvent, StageEvent } from '../src/protocol/runDir';

export interface Point {
  x: number;
  y: number;
}

export type ChartKey = 'loss' | 'accuracy' | 'terms' | 'tbt' | 'tet';
export type Section = ChartKey | 'timeline' | 'summary' | 'log';

export interface TimelineItem {
  kind: 'teacher' | 'meta' | 'alone' | 'student' | 'other';
  what: string;
  detail: string;
}

/** `alone`: the student trained alone (the baseline), its own series beside the distilled student's. */
const NETWORKS: readonly Network[] = ['teacher', 'alone', 'student'];
const MAX_LOG = 200;

export class DashboardModel {
  /** Events applied so far: the index of the next one, in the event-index unit of `MetricsParams`. */
  count = 0;
  run: RunEvent | undefined;
  final: FinalEvent | undefined;
  readonly batchLoss: Record<Network, Point[]> = { teacher: [], alone: [], student: [] };
  readonly epochLoss: Record<Network, Point[]> = { teacher: [], alone: [], student: [] };
  readonly trainAcc: Record<Network, Point[]> = { teacher: [], alone: [], student: [] };
  readonly valAcc: Record<Network, Point[]> = { teacher: [], alone: [], student: [] };
  /** Per-epoch mean of each loss term, keyed `network · term`. */
  readonly terms = new Map<string, Point[]>();
  /** Per tapped layer: NMSE and cosine over stages. */
  readonly tbt = new Map<string, { nmse: Point[]; cosine: Point[] }>();
  readonly tet = { accuracy: [] as Point[], ece: [] as Point[], entropy: [] as Point[], kl: [] as Point[], teacherAccuracy: [] as Point[] };
  readonly timelineEvents: (StageEvent | PhaseEvent)[] = [];
  readonly logs: LogEvent[] = [];

  /**
   * Folds in events that start at event index `from`; undefined (and nothing applied) when
   * `from` is not this model's count: the host sends each event once and in order, so anything
   * else is a bug to report and a reason to read the history again, never to guess what overlaps.
   */
  applyAt(from: number, events: readonly MetricEvent[]): Set<Section> | undefined {
    return from === this.count ? this.apply(events) : undefined;
  }

  /** Folds events in; answers which parts of the page changed. */
  apply(events: readonly MetricEvent[]): Set<Section> {
    const changed = new Set<Section>();
    for (const e of events) {
      this.count++;
      switch (e.type) {
        case 'run':
          this.run = e;
          changed.add('summary');
          break;
        case 'batch':
          if (!isNetwork(e.network)) break;
          rewindTo(this.batchLoss[e.network], e.step);
          this.batchLoss[e.network].push({ x: e.step, y: e.loss });
          changed.add('loss');
          break;
        case 'epoch': {
          if (!isNetwork(e.network)) break;
          // Events count epochs and stages from 0; people count from 1, and epoch n ends at
          // x = n on the same axis as the batches' fractional steps.
          const x = e.epoch + 1;
          upsert(this.epochLoss[e.network], x, e.loss);
          upsert(this.trainAcc[e.network], x, e.trainAcc);
          upsert(this.valAcc[e.network], x, e.valAcc);
          for (const [term, value] of Object.entries(e.terms ?? {})) {
            const key = `${e.network} · ${term}`;
            let series = this.terms.get(key);
            if (!series) this.terms.set(key, (series = []));
            upsert(series, x, value);
          }
          changed.add('loss').add('accuracy').add('terms');
          break;
        }
        case 'stage':
          this.timelineEvents.push(e);
          changed.add('timeline');
          break;
        case 'phase':
          this.timelineEvents.push(e);
          changed.add('timeline').add('summary');
          break;
        case 'tbt':
          // Plotted at the stage it predicts, which the event names (0-based, shown from 1); an
          // event without it (written before it had one) is counted, not drawn.
          if (typeof e.target !== 'number') break;
          for (const l of e.layers) {
            let series = this.tbt.get(l.layer);
            if (!series) this.tbt.set(l.layer, (series = { nmse: [], cosine: [] }));
            upsert(series.nmse, e.target + 1, l.nmse);
            upsert(series.cosine, e.target + 1, l.cosine);
          }
          changed.add('tbt');
          break;
        case 'tet':
          upsert(this.tet.accuracy, e.stage + 1, e.accuracy);
          upsert(this.tet.ece, e.stage + 1, e.ece);
          upsert(this.tet.entropy, e.stage + 1, e.entropy);
          upsert(this.tet.kl, e.stage + 1, e.klToTeacher);
          upsert(this.tet.teacherAccuracy, e.stage + 1, e.teacherAccuracy);
          changed.add('tet');
          break;
        case 'log':
          this.logs.push(e);
          if (this.logs.length > MAX_LOG) this.logs.splice(0, this.logs.length - MAX_LOG);
          changed.add('log');
          break;
        case 'final':
          this.final = e;
          changed.add('summary');
          break;
        default:
          // An event type this page does not know yet: counted, not drawn.
          break;
      }
    }
    return changed;
  }

  /** Number of data points each chart shows (the canvases' `data-points`). */
  points(chart: ChartKey): number {
    const sum = (lists: Point[][]): number => lists.reduce((n, l) => n + l.length, 0);
    switch (chart) {
      case 'loss':
        return sum(NETWORKS.flatMap((n) => [this.batchLoss[n], this.epochLoss[n]]));
      case 'accuracy':
        return sum(NETWORKS.flatMap((n) => [this.trainAcc[n], this.valAcc[n]]));
      case 'terms':
        return sum([...this.terms.values()]);
      case 'tbt':
        return sum([...this.tbt.values()].flatMap((s) => [s.nmse, s.cosine]));
      case 'tet':
        return sum([this.tet.accuracy, this.tet.ece, this.tet.entropy, this.tet.kl, this.tet.teacherAccuracy]);
    }
  }

  /** Teacher stages, the meta phase (trajectory, TBT, TET), student stages: in the order they happened. */
  timeline(): TimelineItem[] {
    const items: TimelineItem[] = [];
    for (const e of this.timelineEvents) {
      if (e.type === 'stage') {
        items.push({
          kind: isNetwork(e.network) ? e.network : 'other',
          what: `${NETWORK_TITLES[e.network] ?? e.network} stage ${e.stage + 1}`,
          detail: `epochs ${e.firstEpoch + 1}–${e.lastEpoch + 1}, best ${e.bestEpoch + 1} (${(e.bestValAcc * 100).toFixed(1)}% val)`,
        });
        continue;
      }
      const meta = e.phase === 'trajectory' || e.phase === 'tbt' || e.phase === 'tet';
      items.push({
        kind: meta ? 'meta' : e.phase === 'teacher' || e.phase === 'alone' || e.phase === 'student' ? e.phase : 'other',
        what: meta ? `Meta: ${e.phase === 'trajectory' ? 'teacher trajectory' : e.phase.toUpperCase()}` : phaseTitle(e.phase),
        detail: e.detail ?? new Date(e.time).toLocaleTimeString(),
      });
    }
    return items;
  }

  /**
   * "student alone 81.2%, with SKD 83.0% (+1.8 points)" from the `final` event, when the run
   * trained or reused its student alone; undefined otherwise (or when the numbers are not numbers).
   */
  gainLine(fallbackMethod?: string): string | undefined {
    const f = this.final;
    if (!f || f.studentAloneTestAcc === undefined) return undefined;
    return gainLine(f.studentAloneTestAcc, f.studentTestAcc, methodLabel(this.run?.method ?? fallbackMethod ?? 'the method'));
  }

  /** The phase being worked on, from the last phase event. */
  currentPhase(): string | undefined {
    for (let i = this.timelineEvents.length - 1; i >= 0; i--) {
      const e = this.timelineEvents[i];
      if (e?.type === 'phase') return e.phase;
    }
    return undefined;
  }
}

function phaseTitle(phase: string): string {
  const titles: Record<string, string> = { setup: 'Setup', teacher: 'Teacher training', alone: 'Student alone (baseline)', student: 'Student training', final: 'Final test' };
  return titles[phase] ?? phase;
}

const NETWORK_TITLES: Record<string, string> = { teacher: 'Teacher', alone: 'Student alone', student: 'Student' };

/** Events come from a file: a network this page does not know is not drawn. */
function isNetwork(v: unknown): v is Network {
  return typeof v === 'string' && (NETWORKS as readonly string[]).includes(v);
}

/** Sets the point at x (a resumed run may redo an epoch) or appends it, keeping x sorted. */
function upsert(series: Point[], x: number, y: number): void {
  const i = series.findIndex((p) => p.x === x);
  if (i >= 0) {
    series[i] = { x, y };
    return;
  }
  const last = series[series.length - 1];
  series.push({ x, y });
  if (last && last.x > x) series.sort((a, b) => a.x - b.x);
}

/** A resumed run replays batches from its checkpoint: drop what lies at or after `x`. */
function rewindTo(series: Point[], x: number): void {
  while (series.length > 0 && (series[series.length - 1] as Point).x >= x) series.pop();
}
