import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Experiment } from '../../protocol/experiment';
import type { EpochEvent } from '../../protocol/runDir';
import { runExperiment } from '../engine/run';
import type { BenchNets } from './throughputMeasure';

/**
 * SKD's student epoch over KD's, same teacher, same student, same images: the price of the
 * behaviour term and the cached meta-network targets per batch. A small recorded teacher
 * (2000 images, 2 stages) is trained first; both students then reuse it.
 */
export async function measureSkdOverKd(nets: BenchNets): Promise<number> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'skd-bench-'));
  try {
    const exp = (name: string, method: string, teacher: Experiment['teacher']): string => {
      const file = path.join(root, `${name}.skd.json`);
      const e: Experiment = {
        name,
        seed: 1,
        data: { format: 'builtin', name: 'fashion-mnist-mini', limit: { train: 2000, test: 500 }, validation: 0.1 },
        teacher,
        student: { ...nets.student, epochs: 2 },
        method: { name: method, stages: 2, temperature: 4, tbt: { epochs: 10 }, tet: { epochs: 10 } },
        training: { batchSize: 64, optimizer: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 5e-4 },
        backend: 'auto',
      };
      fs.writeFileSync(file, JSON.stringify(e));
      return file;
    };
    const teacherDir = path.join(root, 'teacher');
    await runExperiment(exp('teacher', 'none', { ...nets.teacher, epochs: 2 }), { runDir: teacherDir });
    const epochSeconds = async (method: string) => {
      const seconds: number[] = [];
      await runExperiment(exp(method, method, { run: teacherDir }), {
        runDir: path.join(root, method),
        onEvent: (e) => {
          if (e.type === 'epoch' && e.network === 'student') seconds.push((e as EpochEvent).seconds);
        },
      });
      return seconds.reduce((a, b) => a + b, 0) / seconds.length;
    };
    const kd = await epochSeconds('kd');
    const skd = await epochSeconds('skd');
    return skd / kd;
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}
