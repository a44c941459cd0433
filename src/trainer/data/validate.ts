import { InputError } from '../errors';
import type { LoadedDataset, Split } from './types';

/** Every label of `y` must be a class index 0..numClasses-1; the error names the file at fault. */
export function checkLabels(y: ArrayLike<number>, numClasses: number, file: string, field?: string): void {
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (!(v >= 0 && v < numClasses && Number.isInteger(v))) {
      throw new InputError(file, field, `label ${v} out of range 0..${numClasses - 1} (record ${i})`);
    }
  }
}

/**
 * The last check before a data set reaches the engine, whichever plugin made it: sizes agree
 * with the shape, labels are in range, class names match the class count, train is not empty.
 */
export function checkDataset(ds: LoadedDataset): void {
  const [h, w, c] = ds.shape;
  const where = ds.source;
  if (![h, w, c].every((d) => Number.isInteger(d) && d > 0) || !(c === 1 || c === 3)) {
    throw new InputError(where, undefined, `image shape ${h}x${w}x${c} is not usable (need HxWx1 or HxWx3)`);
  }
  if (ds.labels.length !== ds.numClasses) {
    throw new InputError(where, undefined, `${ds.labels.length} class names for ${ds.numClasses} classes`);
  }
  const checkSplit = (s: Split, name: string): void => {
    if (s.x.length !== s.n * h * w * c || s.y.length !== s.n) {
      throw new InputError(where, undefined, `${name} split holds ${s.x.length} bytes and ${s.y.length} labels for ${s.n} images of ${h}x${w}x${c}`);
    }
    checkLabels(s.y, ds.numClasses, where, `${name} labels`);
  };
  checkSplit(ds.train, 'train');
  checkSplit(ds.test, 'test');
  if (ds.train.n === 0) throw new InputError(where, undefined, 'no training images');
  if (ds.test.n === 0) throw new InputError(where, undefined, 'no test images');
}
