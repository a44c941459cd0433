import type { ModelSpec } from '../../protocol/experiment';
import { InputError } from '../errors';
import { BENCH_INPUT, type BenchNets } from './throughputMeasure';

/**
 * The networks `skd bench` times, each on its own input shape: the default experiment's student
 * and teacher (28x28x1, as the built-in Fashion-MNIST), the MobileNet student family at its
 * defaults (28x28x1), and the CIFAR pair distillation papers use: a ResNet-20 teacher of width
 * 16 and a ResNet-20 student of width 8 on 32x32x3. The student keeps the teacher's depth (20,
 * not 8) so that the pair has the same kernels per step and differs only in arithmetic per
 * kernel: the ratio between their figures shows how much of a step is per-kernel overhead.
 */

export interface BenchNetwork {
  /** Short name used on the command line (`--networks`) and as the JSON key. */
  id: string;
  label: string;
  spec: ModelSpec;
  /** [height, width, channels] of the input images. */
  input: [number, number, number];
}

export const CIFAR_INPUT: [number, number, number] = [32, 32, 3];

export function benchNetworks(nets: BenchNets): BenchNetwork[] {
  return [
    { id: 'student', label: `default experiment's student (${describe(nets.student)})`, spec: nets.student, input: BENCH_INPUT },
    { id: 'teacher', label: `default experiment's teacher (${describe(nets.teacher)})`, spec: nets.teacher, input: BENCH_INPUT },
    { id: 'mobilenet', label: 'MobileNet student (defaults)', spec: { model: 'mobilenet', epochs: 1 }, input: BENCH_INPUT },
    { id: 'resnet20', label: 'ResNet-20 teacher, width 16, CIFAR', spec: { model: 'resnet', depth: 20, width: 16, epochs: 1 }, input: CIFAR_INPUT },
    { id: 'resnet20-w8', label: 'ResNet-20 student, width 8, CIFAR', spec: { model: 'resnet', depth: 20, width: 8, epochs: 1 }, input: CIFAR_INPUT },
  ];
}

/** The networks named in a comma-separated `--networks` value, in the order given; all when empty. */
export function selectNetworks(all: BenchNetwork[], wanted: string | undefined): BenchNetwork[] {
  if (wanted === undefined || wanted.trim() === '') return all;
  const ids = [...new Set(wanted.split(',').map((s) => s.trim()).filter(Boolean))];
  return ids.map((id) => {
    const net = all.find((n) => n.id === id);
    if (!net) throw new InputError('command line', '--networks', `unknown network "${id}" (known: ${all.map((n) => n.id).join(', ')})`);
    return net;
  });
}

function describe(spec: ModelSpec): string {
  const parts = [spec.model];
  if (spec.depth !== undefined) parts.push(`depth ${spec.depth}`);
  if (spec.width !== undefined) parts.push(`width ${spec.width}`);
  return parts.join(', ');
}
