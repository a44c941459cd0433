/**
 * Tiny experiments for the trainer tests: real training on a small subset of the builtin
 * Fashion-MNIST, settings small enough that a whole run takes seconds.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { MetricEvent } from '../../src/protocol/runDir';
import { RUN_FILES } from '../../src/protocol/runDir';

/** An experiment file's content as a plain object (any key may be overridden or deleted). */
export type ExperimentObject = Record<string, unknown>;

/** A tiny SKD experiment: cnn teacher and student of width 4, 2 epochs each, 2 stages. */
export function tinyExperiment(overrides: ExperimentObject = {}): ExperimentObject {
  return {
    name: 'tiny',
    seed: 1,
    data: { format: 'builtin', name: 'fashion-mnist-mini', limit: { train: 300, test: 100 } },
    teacher: { model: 'cnn', width: 4, epochs: 2 },
    student: { model: 'cnn', width: 4, epochs: 2 },
    method: { name: 'skd', stages: 2, tbt: { epochs: 5 }, tet: { epochs: 5 } },
    training: { batchSize: 32 },
    ...overrides,
  };
}

/** A fresh temporary folder; `cleanup` removes it. */
export function tempDir(prefix = 'skd-test-'): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Writes an experiment (an object, or raw text for malformed files) and returns its path. */
export function writeExperiment(dir: string, name: string, content: ExperimentObject | string): string {
  const file = path.join(dir, `${name}.skd.json`);
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return file;
}

/** Every event of a run's metrics.jsonl, in order. */
export function readMetrics(runDir: string): MetricEvent[] {
  return fs
    .readFileSync(path.join(runDir, RUN_FILES.metrics), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as MetricEvent);
}

/** Events of one type, narrowed. */
export function eventsOf<T extends MetricEvent['type']>(events: MetricEvent[], type: T): Extract<MetricEvent, { type: T }>[] {
  return events.filter((e): e is Extract<MetricEvent, { type: T }> => e.type === type);
}

export function readJsonFile<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

/** Folders directly under `dir` (run directories a command created). */
export function subdirs(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => path.join(dir, e.name));
}
