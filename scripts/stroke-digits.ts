// Stroke digits: handwriting-like digits drawn from pen strokes, a second kind of image for
// SKD Lab's method studies. Every setting that chose a default was Fashion-MNIST (photographed
// clothing); this set is drawn lines on an empty background, of the kind users' digit and
// symbol sets are, so a study on it checks a method on an image type no choice was made on.
//
// Each digit is one or more polylines in a unit box (x right, y down), with a few variants per
// class (a 1 with or without its flag and foot, an open or closed 4, a 7 with or without its
// bar). An image perturbs the control points, applies a random affine map (rotation, shear,
// scale, shift), draws the strokes with a random pen width and ink, adds pixel noise and
// sometimes a stray stroke. Everything comes from a seeded Rng, so a seed gives the same bytes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { encodeIdxImages, encodeIdxLabels } from '../src/trainer/data/idxFile';
import { Rng } from '../src/trainer/util/rng';

type Point = [number, number];
type Stroke = Point[];

/** A closed ellipse as a polyline (for 0, 8, 9). */
function ellipse(cx: number, cy: number, rx: number, ry: number, from = 0, to = 2 * Math.PI, n = 14): Stroke {
  return Array.from({ length: n + 1 }, (_, i) => {
    const a = from + ((to - from) * i) / n;
    return [cx + rx * Math.cos(a), cy + ry * Math.sin(a)] as Point;
  });
}

/** The variants of each class, each a list of strokes. */
const GLYPHS: Stroke[][][] = [
  [[ellipse(0.5, 0.5, 0.28, 0.42)], [ellipse(0.5, 0.5, 0.22, 0.4)]],
  [
    [[[0.52, 0.08], [0.5, 0.92]]],
    [[[0.32, 0.28], [0.52, 0.08], [0.5, 0.92]]],
    [[[0.32, 0.28], [0.52, 0.08], [0.5, 0.92]], [[0.32, 0.92], [0.68, 0.92]]],
  ],
  [
    [[[0.24, 0.3], [0.34, 0.13], [0.55, 0.08], [0.73, 0.2], [0.72, 0.38], [0.5, 0.6], [0.24, 0.9], [0.8, 0.9]]],
    [[[0.26, 0.25], [0.5, 0.08], [0.74, 0.25], [0.3, 0.88], [0.3, 0.9], [0.55, 0.78], [0.8, 0.9]]],
  ],
  [
    [[[0.25, 0.15], [0.6, 0.08], [0.74, 0.25], [0.6, 0.44], [0.4, 0.48]], [[0.6, 0.5], [0.76, 0.68], [0.62, 0.9], [0.24, 0.85]]],
    [[[0.25, 0.1], [0.72, 0.1], [0.45, 0.45], [0.7, 0.58], [0.7, 0.8], [0.5, 0.92], [0.24, 0.82]]],
  ],
  [
    [[[0.62, 0.92], [0.62, 0.08], [0.18, 0.66], [0.82, 0.66]]],
    [[[0.26, 0.08], [0.2, 0.6], [0.82, 0.6]], [[0.64, 0.3], [0.64, 0.92]]],
  ],
  [
    [[[0.74, 0.1], [0.32, 0.1], [0.28, 0.46], [0.55, 0.42], [0.74, 0.6], [0.66, 0.86], [0.26, 0.88]]],
    [[[0.3, 0.1], [0.27, 0.46], [0.55, 0.42], [0.74, 0.6], [0.66, 0.86], [0.26, 0.88]], [[0.3, 0.1], [0.76, 0.1]]],
  ],
  [
    [[[0.66, 0.08], [0.4, 0.3], [0.27, 0.6], [0.34, 0.86], [0.58, 0.92], [0.73, 0.72], [0.6, 0.52], [0.3, 0.6]]],
    [[[0.6, 0.08], [0.3, 0.55], [0.3, 0.8], [0.5, 0.92], [0.7, 0.78], [0.62, 0.58], [0.36, 0.62]]],
  ],
  [
    [[[0.22, 0.12], [0.78, 0.12], [0.44, 0.92]]],
    [[[0.22, 0.12], [0.78, 0.12], [0.44, 0.92]], [[0.36, 0.5], [0.7, 0.5]]],
    [[[0.22, 0.2], [0.3, 0.1], [0.78, 0.12], [0.5, 0.6], [0.48, 0.92]]],
  ],
  [[ellipse(0.5, 0.29, 0.2, 0.19), ellipse(0.5, 0.71, 0.25, 0.21)], [ellipse(0.52, 0.3, 0.17, 0.2), ellipse(0.48, 0.7, 0.22, 0.22)]],
  [
    [ellipse(0.48, 0.32, 0.22, 0.21), [[0.7, 0.32], [0.64, 0.92]]],
    [ellipse(0.5, 0.3, 0.2, 0.19), [[0.7, 0.3], [0.58, 0.7], [0.4, 0.92]]],
  ],
];

export const STROKE_DIGIT_SIZE = 28;

/** A normal deviate (Box-Muller) from the set's Rng. */
function normal(rng: Rng): number {
  const u = Math.max(rng.next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/** Squared distance from p to the segment a-b. */
function segmentDistance2(px: number, py: number, a: Point, b: Point): number {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len2 = dx * dx + dy * dy;
  const t = len2 > 0 ? Math.min(1, Math.max(0, ((px - a[0]) * dx + (py - a[1]) * dy) / len2)) : 0;
  const ex = px - (a[0] + t * dx);
  const ey = py - (a[1] + t * dy);
  return ex * ex + ey * ey;
}

/** One image of digit `label` as 28x28 bytes, its variant, pen and pose drawn from `rng`. */
export function drawStrokeDigit(label: number, rng: Rng): Uint8Array {
  const variants = GLYPHS[label];
  const glyph = variants[rng.int(variants.length)];
  // Wobble: each control point moves a little, as a hand does.
  const strokes = glyph.map((s) => s.map(([x, y]) => [x + 0.035 * normal(rng), y + 0.035 * normal(rng)] as Point));
  // A stray stroke on some images: the label does not move, the image gets harder.
  if (rng.next() < 0.15) {
    const x = rng.next();
    const y = rng.next();
    strokes.push([[x, y], [x + 0.3 * normal(rng), y + 0.3 * normal(rng)]]);
  }
  const angle = (12 * Math.PI * normal(rng)) / 180;
  const shear = 0.18 * normal(rng);
  const sx = 0.75 + 0.3 * rng.next();
  const sy = 0.8 + 0.25 * rng.next();
  const box = 20; // the glyph box in pixels, centred as MNIST centres its digits
  const tx = STROKE_DIGIT_SIZE / 2 + 1.6 * normal(rng);
  const ty = STROKE_DIGIT_SIZE / 2 + 1.6 * normal(rng);
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const toPixels = ([x, y]: Point): Point => {
    const u = (x - 0.5) * sx + shear * (y - 0.5) * sy;
    const v = (y - 0.5) * sy;
    return [tx + box * (cos * u - sin * v), ty + box * (sin * u + cos * v)];
  };
  const segments: [Point, Point][] = [];
  for (const s of strokes) {
    const p = s.map(toPixels);
    for (let i = 1; i < p.length; i++) segments.push([p[i - 1], p[i]]);
  }
  const radius = 0.7 + 0.9 * rng.next();
  const ink = 0.7 + 0.3 * rng.next();
  const noise = 0.06 * rng.next();
  const out = new Uint8Array(STROKE_DIGIT_SIZE * STROKE_DIGIT_SIZE);
  for (let r = 0; r < STROKE_DIGIT_SIZE; r++) {
    for (let c = 0; c < STROKE_DIGIT_SIZE; c++) {
      let d2 = Infinity;
      for (const [a, b] of segments) d2 = Math.min(d2, segmentDistance2(c + 0.5, r + 0.5, a, b));
      // Anti-aliased pen: full ink inside the radius, fading over one pixel.
      const coverage = Math.min(1, Math.max(0, radius + 0.5 - Math.sqrt(d2)));
      const v = ink * coverage + noise * normal(rng);
      out[r * STROKE_DIGIT_SIZE + c] = Math.round(255 * Math.min(1, Math.max(0, v)));
    }
  }
  return out;
}

/** `n` images with balanced, shuffled labels, from `seed` and the split's name. */
export function makeStrokeDigits(n: number, seed: number, split: string): { x: Uint8Array; y: Int32Array } {
  const rng = Rng.derive(seed, 'stroke-digits', split);
  const labels = Array.from({ length: n }, (_, i) => i % 10);
  const y = Int32Array.from(rng.shuffle(labels));
  const size = STROKE_DIGIT_SIZE * STROKE_DIGIT_SIZE;
  const x = new Uint8Array(n * size);
  for (let i = 0; i < n; i++) x.set(drawStrokeDigit(y[i], rng), i * size);
  return { x, y };
}

/** The sets the studies read (docs/method.md), by name: their sizes and seed. */
export const STROKE_DIGIT_SETS: Record<string, { train: number; test: number; seed: number }> = {
  'stroke-digits': { train: 4000, test: 2000, seed: 1 },
  'stroke-digits-8k': { train: 8000, test: 2000, seed: 2 },
};

/** Where a study's experiment file expects a set: `runs/data/<name>` in the checkout. */
export function strokeDigitsDir(name: string): string {
  return path.join(__dirname, '..', 'runs', 'data', name);
}

/** Writes set `name` as gzip IDX files (no timestamp: the same set gives the same bytes). */
export function writeStrokeDigits(name: string, dir = strokeDigitsDir(name)): void {
  const set = STROKE_DIGIT_SETS[name];
  if (!set) throw new Error(`unknown stroke-digits set "${name}" (known: ${Object.keys(STROKE_DIGIT_SETS).join(', ')})`);
  fs.mkdirSync(dir, { recursive: true });
  const gzip = (b: Buffer): Buffer => zlib.gzipSync(b, { level: 9 });
  for (const [stem, n] of [['train', set.train], ['t10k', set.test]] as const) {
    const { x, y } = makeStrokeDigits(n, set.seed, stem);
    fs.writeFileSync(path.join(dir, `${stem}-images-idx3-ubyte.gz`), gzip(encodeIdxImages(x, n, STROKE_DIGIT_SIZE, STROKE_DIGIT_SIZE)));
    fs.writeFileSync(path.join(dir, `${stem}-labels-idx1-ubyte.gz`), gzip(encodeIdxLabels(y)));
  }
}
