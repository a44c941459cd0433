import { isMainThread, parentPort, workerData, type Worker } from 'node:worker_threads';
import type { BackendName, Experiment } from '../../protocol/experiment';
import { RUN_FILES, type MetricEvent } from '../../protocol/runDir';
import { selectBackend } from '../backend/select';
import type { LoadedDataset } from '../data/types';
import { RunDirectory } from '../runDir/runDirectory';
import { startWorkerThread } from '../util/workerThread';
import { alonePhase, trainWithoutTeacher, type AloneResult } from './alonePhase';
import { appendLogLine, progressThrottle, type RunContext } from './context';
import type { Splits } from './splits';
import type { StudentResult } from './studentPhase';
import { StopRequested, type StopToken } from './trainLoop';

/**
 * The student alone trained on a second thread while the teacher trains on the first.
 *
 * tf.js keeps its wasm backend single-threaded in Node, so a run that trains its teacher leaves
 * the machine's other cores idle, and then trains the student alone (the yardstick of its gain)
 * after it. The student alone needs nothing of the teacher but its number of stages, known before
 * the teacher starts, so it can train beside it: a worker thread with its own wasm instance, the
 * same data, splits, seed and loop, writing the same files (`alone.json`,
 * `alone-checkpoint.bin`) and events (network `alone`) into the same run directory. Its result
 * is the same, epoch for epoch, as training it after the teacher (a test checks this). So is a
 * `none` run's own student (role `student`: `student.json`, the exported `student/`, network
 * `student`), which is the student alone itself: a bench's teacher run is one.
 *
 * The main thread keeps status.json; the worker appends its events and log lines to the run's
 * files itself (whole lines, one write each, so they interleave only between lines) and sends
 * them over to be echoed and streamed. A stop reaches it through shared memory: it checkpoints
 * after its current batch, like the teacher. Should the worker fail, the run trains the student
 * alone after the teacher as before, from the worker's last checkpoint.
 */

const ALONE_FLAG = 'skd-alone-beside';

/** Which student the thread trains: the run's student alone, or the student of a `none` run. */
export type BesideRole = 'alone' | 'student';

interface AloneWorkerInit {
  flag: typeof ALONE_FLAG;
  role: BesideRole;
  runDir: string;
  experiment: Experiment;
  experimentFile: string;
  backend: BackendName;
  dataset: LoadedDataset;
  splits: Splits;
  stages: number;
  /** One Int32: 1 once a stop was asked for. */
  stop: SharedArrayBuffer;
}

/** The student alone's result, or a `none` run's student's. */
export type BesideResult = AloneResult | StudentResult;

type FromWorker = { log: string } | { event: MetricEvent } | { progress: number } | { done: BesideResult } | { stopped: true } | { error: string };

/** How the worker ended: its result, a stop, or a failure the run recovers from. */
export type AloneOutcome = { result: BesideResult } | { stopped: true } | { error: string };

export interface AloneBeside {
  readonly role: BesideRole;
  /** Waits for the worker to end and frees it. */
  outcome(): Promise<AloneOutcome>;
  /** Asks the worker to stop after its current batch (it checkpoints), then waits for it. */
  stop(): Promise<AloneOutcome>;
}

/** The tf.js backends whose worker threads are independent CPU instances (native ones are not tried). */
const THREADABLE: ReadonlySet<string> = new Set(['wasm', 'cpu']);

/** Whether a student alone can train on a thread of its own with this tf.js backend. */
export function threadable(backend: string): boolean {
  return THREADABLE.has(backend);
}

/** What the run hears from the thread: its log lines (already in trainer.log), its events (already in metrics.jsonl), its progress (0..1). */
export interface BesideListeners {
  echo(line: string): void;
  relay(event: MetricEvent): void;
  progress(fraction: number): void;
}

/** Starts the student alone (or a `none` run's student, `role`) on a worker thread. */
export function startAloneBeside(ctx: RunContext, role: BesideRole, backend: BackendName, stages: number, listeners: BesideListeners): AloneBeside {
  const stopMemory = new SharedArrayBuffer(4);
  const stopFlag = new Int32Array(stopMemory);
  const init: AloneWorkerInit = {
    flag: ALONE_FLAG,
    role,
    runDir: ctx.run.dir,
    experiment: ctx.experiment,
    experimentFile: ctx.experimentFile,
    backend,
    dataset: ctx.dataset,
    splits: ctx.splits,
    stages,
    stop: stopMemory,
  };
  const worker = startWorker(init);
  // The run's stop token is a plain flag set from a signal handler or the server; it is passed
  // on whenever this thread gets a turn (the training loop yields between batches).
  const poll = setInterval(() => {
    if (ctx.stop.requested) Atomics.store(stopFlag, 0, 1);
  }, 100);
  poll.unref();
  const ended = new Promise<AloneOutcome>((resolve) => {
    worker.on('message', (m: FromWorker) => {
      if ('log' in m) listeners.echo(m.log);
      else if ('event' in m) listeners.relay(m.event);
      else if ('progress' in m) listeners.progress(m.progress);
      else if ('done' in m) resolve({ result: m.done });
      else if ('stopped' in m) resolve({ stopped: true });
      else resolve({ error: m.error });
    });
    worker.on('error', (e) => resolve({ error: e.message }));
    // Settles nothing once a message has: a promise keeps its first outcome.
    worker.on('exit', (code) => resolve({ error: `its thread ended (exit code ${code}) before it finished` }));
  });
  let freed: Promise<AloneOutcome> | undefined;
  const outcome = (): Promise<AloneOutcome> =>
    (freed ??= ended.then(async (o) => {
      clearInterval(poll);
      await worker.terminate();
      return o;
    }));
  return {
    role,
    outcome,
    stop: () => {
      Atomics.store(stopFlag, 0, 1);
      return outcome();
    },
  };
}

/** dist/aloneWorker.js when bundled; from sources, this file through tsx's require hook. */
function startWorker(init: AloneWorkerInit): Worker {
  return startWorkerThread(__filename, 'aloneWorker.js', init);
}

/** A stop token read from shared memory: the main thread sets it, the training loop reads it. */
class SharedStop implements StopToken {
  constructor(private readonly flag: Int32Array) {}
  get requested(): boolean {
    return Atomics.load(this.flag, 0) === 1;
  }
}

let serving = false;

/**
 * Worker side: true when this thread trains a student alone, or a `none` run's student (and now
 * does). Called from this module's end and from dist/aloneWorker.js; the first call serves,
 * later ones return.
 */
export function runAloneWorker(): boolean {
  const init = workerData as AloneWorkerInit | undefined;
  if (isMainThread || init?.flag !== ALONE_FLAG || !parentPort) return false;
  if (serving) return true;
  serving = true;
  const port = parentPort;
  const send = (m: FromWorker): void => port.postMessage(m);
  void (async () => {
    try {
      await selectBackend(init.backend);
      const run = RunDirectory.open(init.runDir);
      run.onEvent((event) => send({ event }));
      const logFile = run.file(RUN_FILES.log);
      // Not a message per batch: the run passes on at most two a second anyway.
      const due = progressThrottle();
      const ctx: RunContext = {
        experiment: init.experiment,
        experimentFile: init.experimentFile,
        run,
        dataset: init.dataset,
        splits: init.splits,
        stop: new SharedStop(new Int32Array(init.stop)),
        log: (message) => {
          appendLogLine(logFile, message);
          send({ log: message });
        },
        // status.json is the main thread's: it shows this progress once the teacher is done.
        progress: (_phase, fraction) => due(fraction) && send({ progress: fraction }),
      };
      const result =
        init.role === 'alone' ? await alonePhase(ctx, { stages: init.stages }, { announce: false }) : await trainWithoutTeacher(ctx, init.stages, {});
      send({ done: result });
    } catch (e) {
      if (e instanceof StopRequested) send({ stopped: true });
      else send({ error: e instanceof Error ? e.message.split('\n')[0] : String(e) });
    }
  })();
  return true;
}

runAloneWorker();
