import { DEFAULT_TEMPERATURE } from '../config/defaults';
import type { MethodSetup } from './types';

/**
 * Plumbing the method modules share: reading a weight from the method's config section with
 * its default, and fetching a teacher signal the engine was asked for.
 */

/** A finite number from the config (`field` names it, e.g. `method.alpha`), or the default. */
export function option(value: number | undefined, fallback: number, field: string, min = 0, max = Infinity): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    const range = max === Infinity ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new RangeError(`${field}: must be a number ${range}, got ${String(value)}`);
  }
  return v;
}

/** The distillation temperature T of the setup's KD-style terms (> 0). */
export function temperatureOf(setup: MethodSetup): number {
  return option(setup.spec.temperature, DEFAULT_TEMPERATURE, 'method.temperature', Number.MIN_VALUE);
}

/** A teacher signal the method declared in `needs`; a clear error if the engine did not supply it. */
export function required<T>(value: T | undefined, method: string, signal: string): T {
  if (value === undefined) {
    throw new Error(`method "${method}" needs the teacher's ${signal}, which the engine did not provide`);
  }
  return value;
}

/**
 * Pairs of student and teacher taps, by index over the shorter list. The built-in families
 * all have three taps; a plugin model with fewer is paired from its first tap on.
 */
export function tapPairs(setup: MethodSetup): number {
  return Math.min(setup.studentTapChannels.length, setup.teacherTapChannels.length);
}
