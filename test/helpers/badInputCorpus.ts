/**
 * A generator of broken SKD Lab inputs: experiment files (wrong types for every key, missing
 * keys, out-of-range and non-finite numbers, NaN-like strings, unknown names, paths outside
 * the workspace, unicode, syntax errors, non-object JSON, deep junk), broken data folders
 * (IDX, CIFAR-10/100, image folders) and damaged run directories. Each case says what a
 * correct trainer does with it: a one-line input error naming a file (and a field where there
 * is one), or, for the few odd-but-legal controls, acceptance.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { PNG } from 'pngjs';

export type Expect = 'input-error' | 'accepted';

export interface BadInput {
  /** Class of input, for the summary table. */
  cls: string;
  label: string;
  /** Experiment file to run, or the run directory to resume (`resume`). */
  target: string;
  resume?: boolean;
  expect: Expect;
  /** A file (or folder) the message must name; by default the experiment file. */
  names?: string;
  /** Field the message must name (`: field:`), where there is one. */
  field?: string;
}

/** A valid, tiny experiment: every case below changes one thing. */
export function baseExperiment(): Record<string, unknown> {
  return {
    name: 'bad-input',
    seed: 1,
    data: { format: 'builtin', name: 'fashion-mnist-mini', limit: { train: 20, test: 10 }, validation: 0.2 },
    teacher: { model: 'cnn', width: 2, epochs: 1 },
    student: { model: 'cnn', width: 2, epochs: 1 },
    method: { name: 'kd', stages: 1, temperature: 4 },
    training: { batchSize: 8 },
    backend: 'wasm',
  };
}

/** Every key the schema knows, with a legal value (the wrong-type cases walk it). */
export function fullExperiment(): Record<string, unknown> {
  return {
    $schema: './experiment.schema.json',
    name: 'full',
    seed: 1,
    data: {
      format: 'builtin',
      name: 'fashion-mnist-mini',
      dir: 'unused',
      limit: { train: 20, test: 10 },
      seed: 2,
      validation: 0.2,
      augment: { flip: true, crop: 2 },
      size: [28, 28],
    },
    teacher: { model: 'cnn', depth: 3, width: 2, epochs: 1 },
    student: { model: 'cnn', depth: 3, width: 2, epochs: 1 },
    method: {
      name: 'kd',
      stages: 1,
      temperature: 4,
      alpha: 0.9,
      beta: 1,
      dkd: { alpha: 1, beta: 8, warmup: 1 },
      tbt: { hidden: 8, epochs: 1, lr: 0.01, cell: 'gru' },
      tet: { epochs: 1, lr: 0.01, mix: true, correct: true, weight: 1 },
    },
    training: { batchSize: 8, optimizer: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 0.0005, schedule: 'step', milestones: [0.5], gamma: 0.1 },
    backend: 'wasm',
  };
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

function setAt(obj: Record<string, unknown>, p: string[], value: unknown): void {
  let o = obj as Record<string, unknown>;
  for (const k of p.slice(0, -1)) o = o[k] as Record<string, unknown>;
  o[p[p.length - 1]] = value;
}

function deleteAt(obj: Record<string, unknown>, p: string[]): void {
  let o = obj as Record<string, unknown>;
  for (const k of p.slice(0, -1)) o = o[k] as Record<string, unknown>;
  delete o[p[p.length - 1]];
}

/** Every key path of an object (objects and leaves; arrays are leaves). */
function keyPaths(v: unknown, at: string[] = []): string[][] {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return [];
  const out: string[][] = [];
  for (const [k, child] of Object.entries(v)) {
    out.push([...at, k]);
    out.push(...keyPaths(child, [...at, k]));
  }
  return out;
}

/** Values of other JSON types than `v`. */
function wrongTypes(v: unknown): Json[] {
  if (typeof v === 'string') return [42, true, null, ['x'], { x: 1 }];
  if (typeof v === 'number') return ['1', false, null, [1], {}];
  if (typeof v === 'boolean') return ['true', 1, null];
  if (Array.isArray(v)) return ['28,28', 28, { 0: 28 }, null, ['x', 'y']];
  return ['x', 3, [], null, true];
}

/** Numeric keys and their bounds (from the schema), for out-of-range cases. */
const NUMBERS: { p: string; int: boolean; min?: number; max?: number; exclusiveMin?: boolean }[] = [
  { p: 'seed', int: true, min: 0, max: 2147483647 },
  { p: 'data.limit.train', int: true, min: 10, max: 1e7 },
  { p: 'data.limit.test', int: true, min: 10, max: 1e7 },
  { p: 'data.seed', int: true, min: 0, max: 2147483647 },
  { p: 'data.validation', int: false, min: 0, max: 0.5, exclusiveMin: true },
  { p: 'data.augment.crop', int: true, min: 0, max: 16 },
  { p: 'teacher.depth', int: true, min: 1, max: 110 },
  { p: 'teacher.width', int: true, min: 1, max: 512 },
  { p: 'teacher.epochs', int: true, min: 1, max: 10000 },
  { p: 'student.width', int: true, min: 1, max: 512 },
  { p: 'student.epochs', int: true, min: 1, max: 10000 },
  { p: 'method.stages', int: true, min: 1, max: 20 },
  { p: 'method.temperature', int: false, min: 0, max: 100, exclusiveMin: true },
  { p: 'method.alpha', int: false, min: 0, max: 1000 },
  { p: 'method.beta', int: false, min: 0, max: 100000 },
  { p: 'method.dkd.alpha', int: false, min: 0 },
  { p: 'method.dkd.warmup', int: true, min: 0 },
  { p: 'method.tbt.hidden', int: true, min: 4, max: 1024 },
  { p: 'method.tbt.epochs', int: true, min: 1, max: 1000 },
  { p: 'method.tet.lr', int: false, min: 0, max: 1, exclusiveMin: true },
  { p: 'training.batchSize', int: true, min: 1, max: 4096 },
  { p: 'training.lr', int: false, min: 0, max: 10, exclusiveMin: true },
  { p: 'training.momentum', int: false, min: 0, max: 0.999 },
  { p: 'training.weightDecay', int: false, min: 0, max: 0.1 },
  { p: 'training.gamma', int: false, min: 0, max: 1, exclusiveMin: true },
];

/** Written in place of a quoted marker, for literals JSON.stringify cannot make (1e400). */
const RAW = '@@raw:';

function writeJson(file: string, value: unknown): string {
  const text = JSON.stringify(value, null, 2).replace(new RegExp(`"${RAW}([^"]*)"`, 'g'), '$1');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

// ---------------------------------------------------------------------------------------------
// Data fixtures: small valid sets, then one breakage each.

function idxImages(n: number, rows: number, cols: number, seed: number): Buffer {
  const out = Buffer.alloc(16 + n * rows * cols);
  out.writeUInt32BE(2051, 0);
  out.writeUInt32BE(n, 4);
  out.writeUInt32BE(rows, 8);
  out.writeUInt32BE(cols, 12);
  for (let i = 16; i < out.length; i++) out[i] = (i * 31 + seed * 7) & 0xff;
  return out;
}

function idxLabels(y: number[]): Buffer {
  const out = Buffer.alloc(8 + y.length);
  out.writeUInt32BE(2049, 0);
  out.writeUInt32BE(y.length, 4);
  y.forEach((v, i) => (out[8 + i] = v));
  return out;
}

const labelsOf = (n: number, classes = 10) => Array.from({ length: n }, (_, i) => i % classes);

/** A valid IDX folder (20 train, 10 test images of 28x28), with `change` applied to its files. */
function idxDir(dir: string, change: (files: Record<string, Buffer>) => void = () => {}): string {
  const files: Record<string, Buffer> = {
    'train-images-idx3-ubyte': idxImages(20, 28, 28, 1),
    'train-labels-idx1-ubyte': idxLabels(labelsOf(20)),
    't10k-images-idx3-ubyte': idxImages(10, 28, 28, 2),
    't10k-labels-idx1-ubyte': idxLabels(labelsOf(10)),
  };
  change(files);
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), bytes);
  return dir;
}

function cifarRecords(n: number, labelBytes: number, label: (i: number) => number[]): Buffer {
  const rec = labelBytes + 3072;
  const out = Buffer.alloc(n * rec);
  for (let i = 0; i < n; i++) {
    label(i).forEach((v, k) => (out[i * rec + k] = v));
    for (let p = 0; p < 3072; p++) out[i * rec + labelBytes + p] = (p + i * 13) & 0xff;
  }
  return out;
}

function cifar10Dir(dir: string, change: (files: Record<string, Buffer | undefined>) => void = () => {}): string {
  const files: Record<string, Buffer | undefined> = {};
  for (let b = 1; b <= 5; b++) files[`data_batch_${b}.bin`] = cifarRecords(4, 1, (i) => [(i + b) % 10]);
  files['test_batch.bin'] = cifarRecords(4, 1, (i) => [i % 10]);
  change(files);
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(files)) if (bytes) fs.writeFileSync(path.join(dir, name), bytes);
  return dir;
}

function cifar100Dir(dir: string, change: (files: Record<string, Buffer>) => void = () => {}): string {
  const files: Record<string, Buffer> = {
    'train.bin': cifarRecords(6, 2, (i) => [i % 20, i % 100]),
    'test.bin': cifarRecords(4, 2, (i) => [i % 20, i % 100]),
  };
  change(files);
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), bytes);
  return dir;
}

export function pngBytes(w: number, h: number, seed: number): Buffer {
  const png = new PNG({ width: w, height: h });
  for (let i = 0; i < w * h; i++) {
    png.data[4 * i] = (i * 17 + seed) & 0xff;
    png.data[4 * i + 1] = (i * 5 + seed) & 0xff;
    png.data[4 * i + 2] = (i * 3) & 0xff;
    png.data[4 * i + 3] = 255;
  }
  return PNG.sync.write(png);
}

/** A folder set train/{cat,dog}/*.png, with `change(dir)` applied after writing. */
function folderSet(dir: string, change: (dir: string) => void = () => {}): string {
  for (const cls of ['cat', 'dog']) {
    fs.mkdirSync(path.join(dir, 'train', cls), { recursive: true });
    for (let i = 0; i < 6; i++) fs.writeFileSync(path.join(dir, 'train', cls, `${i}.png`), pngBytes(8, 8, i + (cls === 'dog' ? 50 : 0)));
  }
  change(dir);
  return dir;
}

// ---------------------------------------------------------------------------------------------

/**
 * Writes the corpus under `root` (experiment files under `root/experiments`, data under
 * `root/data`) and returns its cases. `runDir`, when given, is a run directory (stopped early)
 * that the damaged-run-directory cases copy and break.
 */
export function generateCorpus(root: string, opts: { runDir?: string } = {}): BadInput[] {
  const cases: BadInput[] = [];
  const expDir = path.join(root, 'experiments');
  const dataDir = path.join(root, 'data');
  fs.mkdirSync(expDir, { recursive: true });
  let n = 0;
  const file = (slug: string) => path.join(expDir, `${String(++n).padStart(3, '0')}-${slug.replace(/[^A-Za-z0-9.-]+/g, '_').slice(0, 40)}.skd.json`);
  const add = (c: Omit<BadInput, 'expect'> & { expect?: Expect }) => cases.push({ expect: 'input-error', ...c });
  const mutated = (cls: string, label: string, change: (e: Record<string, unknown>) => void, field?: string, base = baseExperiment()) => {
    const e = clone(base);
    change(e);
    add({ cls, label, target: writeJson(file(label), e), field });
  };

  // Wrong types for every key the schema knows.
  const full = fullExperiment();
  for (const p of keyPaths(full)) {
    const current = p.reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], full);
    for (const bad of wrongTypes(current)) {
      // A teacher must be a network or {run}; the oneOf reports at the teacher itself or its key.
      mutated('wrong type', `${p.join('.')} = ${JSON.stringify(bad)}`, (e) => setAt(e, p, bad), p.join('.'), full);
    }
  }
  // Missing required keys.
  for (const p of ['name', 'data', 'teacher', 'student', 'method', 'data.format', 'teacher.model', 'teacher.epochs', 'student.model', 'student.epochs', 'method.name']) {
    mutated('missing key', `no ${p}`, (e) => deleteAt(e, p.split('.')), p);
  }
  // Unknown keys (typos), at each level.
  for (const p of ['epochs', 'data.limits', 'teacher.layers', 'method.temprature', 'training.learningRate', 'data.augment.rotate']) {
    mutated('unknown key', `extra ${p}`, (e) => {
      if (p === 'data.augment.rotate') setAt(e, ['data', 'augment'], {});
      setAt(e, p.split('.'), 1);
    }, p);
  }
  // Numbers out of range, non-integers, non-finite literals and NaN-like strings.
  for (const k of NUMBERS) {
    const p = k.p.split('.');
    const prep = (e: Record<string, unknown>) => {
      if (k.p.startsWith('data.augment')) setAt(e, ['data', 'augment'], {});
      if (k.p.startsWith('method.dkd')) setAt(e, ['method', 'dkd'], {});
      if (k.p.startsWith('method.tbt')) setAt(e, ['method', 'tbt'], {});
      if (k.p.startsWith('method.tet')) setAt(e, ['method', 'tet'], {});
    };
    const values: [string, Json | string][] = [
      ['negative', k.min === 0 && !k.exclusiveMin ? -1 : -5],
      ['1e400 (Infinity)', `${RAW}1e400`],
      ['-1e400', `${RAW}-1e400`],
    ];
    if (k.max !== undefined) values.push(['huge', k.max * 1000 + 7]);
    if (k.int) values.push(['fraction', (k.min ?? 0) + 1.5]);
    if (k.int && k.max !== undefined) values.push(['2^53 + 2', 9007199254740994]);
    if (k.exclusiveMin) values.push(['zero (exclusive minimum)', 0]);
    for (const s of ['NaN', 'Infinity', '-Infinity', '1e3', '']) values.push([`string "${s}"`, s]);
    for (const [what, v] of values) {
      mutated(what.startsWith('string') ? 'NaN-like string' : 'number range', `${k.p} ${what}`, (e) => {
        prep(e);
        setAt(e, p, v);
      }, k.p);
    }
  }
  // Semantic limits the schema cannot say.
  // RCO's student follows the stages (KD's does not, and may have fewer epochs than stages).
  mutated('number range', 'stages > epochs', (e) => {
    setAt(e, ['method', 'name'], 'rco');
    setAt(e, ['method', 'stages'], 3);
  }, 'student.epochs');
  mutated('number range', 'resnet depth 9', (e) => setAt(e, ['teacher'], { model: 'resnet', depth: 9, epochs: 1 }), 'teacher.depth');
  // Unknown names.
  const unknown: [string, string[], Json][] = [
    ['method', ['method', 'name'], 'skdd'],
    ['method (not a name)', ['method', 'name'], 'SKD!'],
    ['teacher model', ['teacher', 'model'], 'transformer'],
    ['student model', ['student', 'model'], 'vit'],
    ['data format', ['data', 'format'], 'csv'],
    ['builtin set', ['data', 'name'], 'mnist'],
    ['backend', ['backend'], 'tpu'],
    ['optimizer', ['training', 'optimizer'], 'adam'],
    ['schedule', ['training', 'schedule'], 'linear'],
    ['tbt cell', ['method', 'tbt'], { cell: 'rnn' }],
  ];
  for (const [what, p, v] of unknown) {
    mutated('unknown name', `unknown ${what} ${JSON.stringify(v)}`, (e) => setAt(e, p, v), what === 'tbt cell' ? 'method.tbt.cell' : p.join('.'));
  }
  // Paths outside the workspace, odd paths.
  const pathCases: [string, (e: Record<string, unknown>) => void, string][] = [
    ['idx dir ../../etc', (e) => setAt(e, ['data'], { format: 'idx', dir: '../../etc' }), 'data.dir'],
    ['idx dir /etc/passwd (a file)', (e) => setAt(e, ['data'], { format: 'idx', dir: '/etc/passwd' }), 'data.dir'],
    ['cifar10 dir /', (e) => setAt(e, ['data'], { format: 'cifar10', dir: '/' }), 'data.dir'],
    ['folder dir ../../../../..', (e) => setAt(e, ['data'], { format: 'folder', dir: '../../../../..' }), 'data.dir'],
    ['folder dir missing', (e) => setAt(e, ['data'], { format: 'folder', dir: '/nonexistent/skd/data' }), 'data.dir'],
    ['idx without dir', (e) => setAt(e, ['data'], { format: 'idx' }), 'data.dir'],
    ['dir with a NUL byte', (e) => setAt(e, ['data'], { format: 'idx', dir: 'a\u0000b' }), 'data.dir'],
    ['empty dir string', (e) => setAt(e, ['data'], { format: 'idx', dir: '' }), 'data.dir'],
    ['teacher.run ../../etc', (e) => setAt(e, ['teacher'], { run: '../../etc' }), 'teacher.run'],
    ['teacher.run /', (e) => setAt(e, ['teacher'], { run: '/' }), 'teacher.run'],
    ['method.module ../../etc/passwd', (e) => setAt(e, ['method'], { name: 'plug', stages: 1, module: '../../../../../../etc/passwd' }), 'method.module'],
    ['method.module a folder', (e) => setAt(e, ['method'], { name: 'plug', stages: 1, module: '/etc' }), 'method.module'],
    ['method.module missing', (e) => setAt(e, ['method'], { name: 'plug', stages: 1, module: './nope.js' }), 'method.module'],
  ];
  for (const [label, change, field] of pathCases) mutated('path', label, change, field);
  // A module that exists but does not load: the message names the module (with its field).
  for (const c of cases) {
    if (c.label === 'method.module ../../etc/passwd') c.names = '/etc/passwd';
    if (c.label === 'method.module a folder') c.names = '/etc';
  }
  // Unicode.
  for (const name of ['эксперимент', 'run-🙂', 'a\u202Egnp.exe', '../../escape', 'con/../x', ' leading-space', 'x'.repeat(81)]) {
    mutated('unicode / name', `name ${JSON.stringify(name)}`, (e) => setAt(e, ['name'], name), 'name');
  }
  mutated('unicode / name', 'unicode data dir', (e) => setAt(e, ['data'], { format: 'idx', dir: './données/日本語' }), 'data.dir');
  mutated('unicode / name', 'unicode unknown key', (e) => setAt(e, ['ключ'], 1), 'ключ');
  {
    const f = path.join(expDir, 'ünï©ødé 🙂.skd.json');
    const e = baseExperiment();
    setAt(e, ['seed'], -1);
    add({ cls: 'unicode / name', label: 'unicode file name', target: writeJson(f, e), field: 'seed' });
  }
  // Syntax and shape of the file itself.
  const raw: [string, string][] = [
    ['empty file', ''],
    ['whitespace only', ' \n\t\n'],
    ['truncated JSON', JSON.stringify(baseExperiment()).slice(0, 60)],
    ['trailing garbage', JSON.stringify(baseExperiment()) + ' }'],
    ['single quotes', "{'name': 'x'}"],
    ['NaN literal', JSON.stringify(baseExperiment()).replace('"seed":1', '"seed":NaN')],
    ['a JSON array', JSON.stringify([baseExperiment()])],
    ['a JSON string', '"experiment"'],
    ['null', 'null'],
    ['a number', '42'],
    ['binary junk', Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 73) & 0xff)).toString('latin1')],
    ['unterminated comment', '/* ' + JSON.stringify(baseExperiment())],
    ['deeply nested arrays', `{"name":"x","data":${'['.repeat(20000)}${']'.repeat(20000)}}`],
    ['deeply nested objects', `{"name":"x","data":{"limit":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}}`],
    ['deeply nested, unbalanced', '['.repeat(100000)],
    ['__proto__ key', JSON.stringify(baseExperiment()).replace('{', '{"__proto__":{"polluted":true},')],
  ];
  for (const [label, text] of raw) {
    const f = file(label);
    fs.writeFileSync(f, text);
    add({ cls: 'syntax / shape', label, target: f });
  }
  {
    const f = file('a folder, not a file');
    fs.mkdirSync(f);
    add({ cls: 'syntax / shape', label: 'a folder, not a file', target: f });
    add({ cls: 'syntax / shape', label: 'no such file', target: path.join(expDir, 'missing.skd.json') });
  }

  // Broken data files. The experiment points at a folder of broken files; the error names the file.
  const dataCase = (cls: string, label: string, format: string, dir: string, names: string, field?: string) => {
    const e = baseExperiment();
    setAt(e, ['data'], { format, dir });
    add({ cls, label, target: writeJson(file(label), e), names, field });
  };
  const idx = (slug: string, change: (f: Record<string, Buffer>) => void) => idxDir(path.join(dataDir, `idx-${slug}`), change);
  const ti = 'train-images-idx3-ubyte';
  const tl = 'train-labels-idx1-ubyte';
  dataCase('data: idx', 'truncated images', 'idx', idx('truncated', (f) => (f[ti] = f[ti].subarray(0, f[ti].length - 100))), ti);
  dataCase('data: idx', 'header only', 'idx', idx('header-only', (f) => (f[ti] = f[ti].subarray(0, 16))), ti);
  dataCase('data: idx', 'shorter than a header', 'idx', idx('short', (f) => (f[ti] = f[ti].subarray(0, 7))), ti);
  dataCase('data: idx', 'empty images file', 'idx', idx('empty', (f) => (f[ti] = Buffer.alloc(0))), ti);
  dataCase('data: idx', 'wrong magic (images)', 'idx', idx('magic', (f) => f[ti].writeUInt32BE(2049, 0)), ti);
  dataCase('data: idx', 'wrong magic (labels)', 'idx', idx('magic-labels', (f) => f[tl].writeUInt32BE(0xdeadbeef, 0)), tl);
  dataCase('data: idx', 'count 2^32-1 in the header', 'idx', idx('huge-count', (f) => f[ti].writeUInt32BE(0xffffffff, 4)), ti);
  dataCase('data: idx', 'zero rows', 'idx', idx('zero-rows', (f) => f[ti].writeUInt32BE(0, 8)), ti);
  dataCase('data: idx', 'more labels than images', 'idx', idx('count-mismatch', (f) => (f[tl] = idxLabels(labelsOf(21)))), tl);
  dataCase('data: idx', 'trailing bytes', 'idx', idx('trailing', (f) => (f[ti] = Buffer.concat([f[ti], Buffer.alloc(5)]))), ti);
  dataCase(
    'data: idx',
    'label out of range (labels.txt names 3 classes)',
    'idx',
    idx('label-range', (f) => {
      f[tl] = idxLabels(labelsOf(20, 3).map((v, i) => (i === 7 ? 7 : v)));
      f['t10k-labels-idx1-ubyte'] = idxLabels(labelsOf(10, 3));
      f['labels.txt'] = Buffer.from('a\nb\nc\n');
    }),
    tl,
  );
  dataCase('data: idx', '.gz that is not gzip', 'idx', idx('fake-gz', (f) => {
    f[`${ti}.gz`] = Buffer.from('this is not gzip, nor IDX');
    delete f[ti];
  }), `${ti}.gz`);
  dataCase('data: idx', 'gzip magic, corrupt body', 'idx', idx('corrupt-gz', (f) => {
    const gz = zlib.gzipSync(f[ti]);
    f[`${ti}.gz`] = Buffer.concat([gz.subarray(0, 10), Buffer.alloc(50, 0x55)]);
    delete f[ti];
  }), `${ti}.gz`);
  dataCase('data: idx', 'truncated gzip', 'idx', idx('truncated-gz', (f) => {
    const gz = zlib.gzipSync(f[ti]);
    f[`${ti}.gz`] = gz.subarray(0, Math.floor(gz.length / 2));
    delete f[ti];
  }), `${ti}.gz`);
  dataCase('data: idx', 'test images of another size', 'idx', idx('size-mismatch', (f) => (f['t10k-images-idx3-ubyte'] = idxImages(10, 14, 14, 3))), 't10k-images-idx3-ubyte');
  dataCase('data: idx', 'missing labels file', 'idx', idx('missing', (f) => delete f[tl]), tl);
  {
    const d = idx('labels-dir', (f) => delete f[tl]);
    fs.mkdirSync(path.join(d, tl));
    dataCase('data: idx', 'labels file is a folder', 'idx', d, tl);
  }
  const c10 = (slug: string, change: (f: Record<string, Buffer | undefined>) => void) => cifar10Dir(path.join(dataDir, `cifar10-${slug}`), change);
  dataCase('data: cifar', 'cifar10 record length off by 5', 'cifar10', c10('length', (f) => (f['data_batch_2.bin'] = Buffer.concat([f['data_batch_2.bin']!, Buffer.alloc(5)]))), 'data_batch_2.bin');
  dataCase('data: cifar', 'cifar10 truncated test batch', 'cifar10', c10('truncated', (f) => (f['test_batch.bin'] = f['test_batch.bin']!.subarray(0, 3073 * 2 - 1))), 'test_batch.bin');
  dataCase('data: cifar', 'cifar10 label 10', 'cifar10', c10('label', (f) => (f['data_batch_4.bin']![3073] = 10)), 'data_batch_4.bin');
  dataCase('data: cifar', 'cifar10 label 255', 'cifar10', c10('label255', (f) => (f['test_batch.bin']![0] = 255)), 'test_batch.bin');
  dataCase('data: cifar', 'cifar10 missing batch 3', 'cifar10', c10('missing', (f) => (f['data_batch_3.bin'] = undefined)), 'data_batch_3.bin');
  dataCase('data: cifar', 'cifar10 empty test batch', 'cifar10', c10('empty', (f) => (f['test_batch.bin'] = Buffer.alloc(0))), 'test_batch.bin');
  dataCase('data: cifar', 'cifar10 given cifar100 files', 'cifar10', cifar100Dir(path.join(dataDir, 'cifar10-is-100')), 'data_batch_1.bin', 'data.dir');
  const c100 = (slug: string, change: (f: Record<string, Buffer>) => void) => cifar100Dir(path.join(dataDir, `cifar100-${slug}`), change);
  dataCase('data: cifar', 'cifar100 fine label 100', 'cifar100', c100('fine', (f) => (f['train.bin'][3074 + 1] = 100)), 'train.bin');
  dataCase('data: cifar', 'cifar100 coarse label 20', 'cifar100', c100('coarse', (f) => (f['test.bin'][0] = 20)), 'test.bin');
  dataCase('data: cifar', 'cifar100 given cifar10 records', 'cifar100', c100('is-10', (f) => (f['train.bin'] = cifarRecords(6, 1, (i) => [i % 10]))), 'train.bin');
  const fol = (slug: string, change: (d: string) => void) => folderSet(path.join(dataDir, `folder-${slug}`), change);
  const first = (d: string) => path.join(d, 'train', 'cat', '0.png');
  dataCase('data: folder', 'corrupt PNG body', 'folder', fol('png', (d) => {
    const b = fs.readFileSync(path.join(d, 'train', 'dog', '3.png'));
    fs.writeFileSync(path.join(d, 'train', 'dog', '3.png'), Buffer.concat([b.subarray(0, 20), Buffer.alloc(60, 0x41)]));
  }), path.join('train', 'dog', '3.png'));
  dataCase('data: folder', 'truncated PNG (first image)', 'folder', fol('png-trunc', (d) => fs.writeFileSync(first(d), fs.readFileSync(first(d)).subarray(0, 40))), path.join('train', 'cat', '0.png'));
  dataCase('data: folder', 'corrupt JPEG', 'folder', fol('jpeg', (d) => fs.writeFileSync(path.join(d, 'train', 'cat', '9.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 1, 2, 3, 4, 5, 6, 7, 8]))), path.join('train', 'cat', '9.jpg'));
  dataCase('data: folder', 'text named .png', 'folder', fol('text', (d) => fs.writeFileSync(path.join(d, 'train', 'dog', '7.png'), 'not an image')), path.join('train', 'dog', '7.png'));
  dataCase('data: folder', 'empty image file', 'folder', fol('empty-file', (d) => fs.writeFileSync(path.join(d, 'train', 'dog', '8.png'), '')), path.join('train', 'dog', '8.png'));
  dataCase('data: folder', 'empty class folder', 'folder', fol('empty-class', (d) => fs.mkdirSync(path.join(d, 'train', 'bird'))), path.join('train', 'bird'));
  dataCase('data: folder', 'no class folders', 'folder', fol('no-classes', (d) => {
    fs.rmSync(path.join(d, 'train'), { recursive: true });
    fs.mkdirSync(path.join(d, 'train'));
  }), 'train');
  dataCase('data: folder', 'empty folder (no train/)', 'folder', fol('empty', (d) => fs.rmSync(path.join(d, 'train'), { recursive: true })), 'experiments', 'data.dir');
  dataCase('data: folder', 'test class unknown to train', 'folder', fol('test-class', (d) => {
    fs.mkdirSync(path.join(d, 'test', 'fish'), { recursive: true });
    fs.writeFileSync(path.join(d, 'test', 'fish', '0.png'), pngBytes(8, 8, 3));
  }), path.join('test', 'fish'));

  // Damaged run directories, resumed.
  if (opts.runDir) {
    const runs = path.join(root, 'runs');
    const broken = (label: string, change: (d: string) => void, names: string, expect: Expect = 'input-error', field?: string) => {
      const d = path.join(runs, label.replace(/[^A-Za-z0-9]+/g, '-'));
      fs.cpSync(opts.runDir!, d, { recursive: true });
      change(d);
      cases.push({ cls: 'run directory', label, target: d, resume: true, expect, names, field });
    };
    const ck = (d: string) => path.join(d, 'teacher', 'checkpoint.bin');
    broken('experiment.json not JSON', (d) => fs.writeFileSync(path.join(d, 'experiment.json'), '{"name": "x",'), 'experiment.json');
    broken('experiment.json emptied', (d) => fs.writeFileSync(path.join(d, 'experiment.json'), ''), 'experiment.json');
    broken('experiment.json with a bad field', (d) => {
      const e = JSON.parse(fs.readFileSync(path.join(d, 'experiment.json'), 'utf8')) as Record<string, unknown>;
      setAt(e, ['training', 'batchSize'], -3);
      fs.writeFileSync(path.join(d, 'experiment.json'), JSON.stringify(e));
    }, 'experiment.json', 'input-error', 'training.batchSize');
    broken('experiment.json removed', (d) => fs.rmSync(path.join(d, 'experiment.json')), 'experiment.json');
    broken('checkpoint truncated', (d) => fs.writeFileSync(ck(d), fs.readFileSync(ck(d)).subarray(0, 200)), 'checkpoint.bin');
    broken('checkpoint emptied', (d) => fs.writeFileSync(ck(d), ''), 'checkpoint.bin');
    broken('checkpoint header garbage', (d) => {
      const b = fs.readFileSync(ck(d));
      b.fill(0x7b, 4, 40);
      fs.writeFileSync(ck(d), b);
    }, 'checkpoint.bin');
    broken('checkpoint of another network', (d) => {
      const e = JSON.parse(fs.readFileSync(path.join(d, 'experiment.json'), 'utf8')) as Record<string, unknown>;
      setAt(e, ['teacher', 'width'], 3);
      fs.writeFileSync(path.join(d, 'experiment.json'), JSON.stringify(e));
    }, 'checkpoint.bin');
    broken('trajectory.json garbage', (d) => fs.writeFileSync(path.join(d, 'teacher', 'trajectory', 'trajectory.json'), '{"format":'), 'trajectory.json');
    broken('status.json garbage (tolerated)', (d) => fs.writeFileSync(path.join(d, 'status.json'), '{{{'), '', 'accepted');
    broken('metrics.jsonl garbage (tolerated)', (d) => fs.appendFileSync(path.join(d, 'metrics.jsonl'), '\u0000\u0001garbage{"type":'), '', 'accepted');
  }

  // Odd but legal: these must be accepted, not reported as bad input.
  const legal = (label: string, text: string) => {
    const f = file(label);
    fs.writeFileSync(f, text);
    add({ cls: 'legal control', label, target: f, expect: 'accepted' });
  };
  legal('byte order mark', '\uFEFF' + JSON.stringify(baseExperiment(), null, 2));
  legal('CRLF, comments, trailing commas', JSON.stringify(baseExperiment(), null, 2).replace(/\n/g, '\r\n').replace('{', '{ // an experiment\r\n /* block */').replace(/"wasm"/, '"wasm",'));
  {
    const ok = idxDir(path.join(dataDir, 'idx-valid ünïcødé'));
    const e = baseExperiment();
    setAt(e, ['data'], { format: 'idx', dir: path.relative(expDir, ok), limit: { train: 20, test: 10 } });
    legal('valid idx in a unicode folder', JSON.stringify(e));
    const g = idxDir(path.join(dataDir, 'idx-gz-named-raw'), (f) => {
      f[`${ti}.gz`] = f[ti];
      delete f[ti];
    });
    setAt(e, ['data'], { format: 'idx', dir: g });
    legal('raw IDX named .gz', JSON.stringify(e));
  }
  return cases;
}
