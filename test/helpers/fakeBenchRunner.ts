/** A bench runner that writes finished run directories without training, for the bench tests. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Experiment } from '../../src/protocol/experiment';
import type { CorrectImages, Summary } from '../../src/protocol/runDir';
import type { BenchJob, BenchRunner } from '../../src/trainer/bench/methods';

export interface FakeRunner {
  runner: BenchRunner;
  /** Every job it was given, in order. */
  jobs: BenchJob[];
}

/**
 * Each run's student tests at `acc(experiment)` (validation: 0.01 below it at epoch 0, 0.005 above
 * at epoch 1); `testCorrect`, when given, is its record of which test images it gets right.
 */
export function fakeBenchRunner(acc: (exp: Experiment) => number, testCorrect?: (exp: Experiment) => CorrectImages): FakeRunner {
  const jobs: BenchJob[] = [];
  const runner = async (job: BenchJob) => {
    jobs.push(job);
    const exp = JSON.parse(fs.readFileSync(job.resume ? path.join(job.runDir, 'experiment.json') : job.file!, 'utf8')) as Experiment;
    fs.mkdirSync(job.runDir, { recursive: true });
    fs.writeFileSync(path.join(job.runDir, 'experiment.json'), JSON.stringify(exp));
    const a = acc(exp);
    const time = new Date().toISOString();
    const events = [
      { type: 'run', time, name: exp.name, method: exp.method.name, backend: 'cpu', resumed: job.resume, data: { name: 'fashion-mnist-mini', train: 900, validation: 100, test: 1000, shape: [28, 28, 1], classes: 10 } },
      ...('model' in exp.teacher ? [{ type: 'epoch', time, network: 'teacher', epoch: 0, stage: 0, lr: 0.05, loss: 1, terms: {}, trainAcc: 0.9, valAcc: 0.99, seconds: 50, imagesPerSec: 1 }] : []),
      { type: 'epoch', time, network: 'student', epoch: 0, stage: 0, lr: 0.05, loss: 1, terms: {}, trainAcc: 0.7, valAcc: a - 0.01, seconds: 2, imagesPerSec: 1 },
      { type: 'epoch', time, network: 'student', epoch: 1, stage: 0, lr: 0.05, loss: 1, terms: {}, trainAcc: 0.8, valAcc: a + 0.005, seconds: 4, imagesPerSec: 1 },
    ];
    fs.writeFileSync(path.join(job.runDir, 'metrics.jsonl'), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    const summary: Summary = {
      name: exp.name,
      method: exp.method.name,
      seed: exp.seed,
      backend: 'cpu',
      data: 'fashion-mnist-mini',
      teacher: { model: 'resnet', testAcc: 0.88, params: 1234 },
      student: { model: 'cnn', testAcc: a, params: 321, ...(testCorrect ? { testCorrect: testCorrect(exp) } : {}) },
      seconds: 'model' in exp.teacher ? 60 : 7,
      runDir: job.runDir,
      finished: time,
    };
    fs.writeFileSync(path.join(job.runDir, 'summary.json'), JSON.stringify(summary));
    fs.writeFileSync(path.join(job.runDir, 'status.json'), JSON.stringify({ state: 'done', updated: time }));
  };
  return { runner, jobs };
}
