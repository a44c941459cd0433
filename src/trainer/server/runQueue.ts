/**
 * The runs waiting for a slot: started in the order they were queued, while fewer than the
 * concurrency limit are training. What a run does once started is the launcher's business.
 */
import type { ManagedRun } from './managedRun';

export class RunQueue {
  private readonly waiting: ManagedRun[] = [];

  constructor(
    /** How many runs may train at once (the `concurrentRuns` setting, read at each pump). */
    private readonly limit: () => number,
    /** How many train now, whether this server started them or adopted them. */
    private readonly running: () => number,
    /** Starts a run; it counts as running as soon as this returns. */
    private readonly launch: (run: ManagedRun) => void,
  ) {}

  add(run: ManagedRun): void {
    this.waiting.push(run);
  }

  /** Takes a run out of the queue before it started; false when it was not waiting. */
  remove(run: ManagedRun): boolean {
    const i = this.waiting.indexOf(run);
    if (i < 0) return false;
    this.waiting.splice(i, 1);
    return true;
  }

  /** The waiting runs, as a copy: stopping them changes the queue. */
  snapshot(): ManagedRun[] {
    return [...this.waiting];
  }

  /** Starts what fits now. */
  pump(): void {
    const limit = Math.max(1, this.limit());
    while (this.waiting.length > 0 && this.running() < limit) {
      this.launch(this.waiting.shift() as ManagedRun);
    }
  }
}
