import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { TRAINING_DEFAULTS } from '../../../src/trainer/config/defaults';
import { loadExperiment, parseJsonWithComments, resolveFrom, validateExperimentObject } from '../../../src/trainer/config/validate';
import { InputError } from '../../../src/trainer/errors';
import { tempDir, tinyExperiment, writeExperiment, type ExperimentObject } from '../../helpers/experiment';

const tmp = tempDir('skd-validate-');
after(tmp.cleanup);
const FILE = path.join(tmp.dir, 'x.skd.json');

/** The issues of an experiment as "path: message" lines. */
function issues(value: unknown, checkFiles = true): { where: string; message: string; severity: string }[] {
  return validateExperimentObject(value, FILE, { checkFiles }).map((i) => ({ where: i.path.join('.'), message: i.message, severity: i.severity }));
}

/** Exactly one issue, at `where`, whose message matches. */
function onlyIssue(value: unknown, where: string, message: RegExp): void {
  const got = issues(value);
  assert.equal(got.length, 1, `expected one issue, got ${JSON.stringify(got)}`);
  assert.equal(got[0].where, where);
  assert.match(got[0].message, message);
  assert.equal(got[0].severity, 'error');
}

const tiny = (o: ExperimentObject = {}) => tinyExperiment(o);

describe('validateExperimentObject: schema errors', () => {
  it('a tiny experiment has no issues', () => {
    assert.deepEqual(issues(tiny()), []);
  });
  it('unknown key', () => onlyIssue(tiny({ colour: 'red' }), 'colour', /^unknown key "colour"$/));
  it('unknown nested key', () => onlyIssue(tiny({ training: { batchSize: 32, lr2: 1 } }), 'training.lr2', /unknown key "lr2"/));
  it('missing required key', () => {
    const e = tiny();
    delete e.student;
    onlyIssue(e, 'student', /^missing required key "student"$/);
  });
  it('wrong type: integer', () => onlyIssue(tiny({ seed: 1.5 }), 'seed', /^must be an integer$/));
  it('wrong type: string', () => onlyIssue(tiny({ name: 3 }), 'name', /must be of type string/));
  it('wrong type inside the student', () => onlyIssue(tiny({ student: { model: 'cnn', epochs: 'two' } }), 'student.epochs', /must be an integer/));
  it('enum', () => onlyIssue(tiny({ backend: 'gpu' }), 'backend', /must be one of "auto", "tensorflow-gpu", "tensorflow", "wasm", "cpu"/));
  it('out of range', () => onlyIssue(tiny({ training: { batchSize: 0 } }), 'training.batchSize', /must be >= 1/));
  it('a student subset too small to train on', () =>
    onlyIssue(tiny({ data: { format: 'builtin', name: 'fashion-mnist-mini', limit: { student: 5 } } }), 'data.limit.student', /must be >= 10/));
  it('a teacher network with a wrong field is reported as a network, not as a missing run', () => {
    onlyIssue(tiny({ teacher: { model: 'cnn', width: 'wide', epochs: 2 } }), 'teacher.width', /must be an integer/);
  });
  it('a teacher run that is not a string', () => {
    const got = issues(tiny({ teacher: { run: 5 } }), false);
    assert.ok(got.some((i) => i.where === 'teacher.run' && /string/.test(i.message)), JSON.stringify(got));
    assert.ok(!got.some((i) => /missing required key "model"/.test(i.message)), JSON.stringify(got));
  });
  it('not an object at all', () => {
    assert.deepEqual(issues([1, 2]).map((i) => i.message), ['must be of type object']);
  });
});

describe('validateExperimentObject: semantic checks', () => {
  it('unknown method without a module', () => onlyIssue(tiny({ method: { name: 'magic', stages: 2 } }), 'method.name', /unknown method "magic" \(known: none, kd, .*skd-no-stages; or give a plugin "module"\)/));
  it('a named method with a module is not "unknown"', () => {
    const mod = path.join(tmp.dir, 'plugin.js');
    fs.writeFileSync(mod, 'module.exports = {};');
    assert.deepEqual(issues(tiny({ method: { name: 'magic', stages: 2, module: 'plugin.js' } })), []);
  });
  it('plugin module not found (only when checking files)', () => {
    const e = tiny({ method: { name: 'magic', stages: 2, module: 'missing.js' } });
    onlyIssue(e, 'method.module', /plugin module not found: .*missing\.js/);
    assert.deepEqual(issues(e, false), []);
  });
  it('unknown model', () => onlyIssue(tiny({ student: { model: 'transformer', epochs: 2 } }), 'student.model', /unknown model "transformer" \(known: cnn, resnet, mobilenet\)/));
  it('unknown teacher model', () => onlyIssue(tiny({ teacher: { model: 'vit', epochs: 2 } }), 'teacher.model', /unknown model "vit"/));
  it('ResNet depth must be 6n+2', () => {
    onlyIssue(tiny({ teacher: { model: 'resnet', depth: 10, width: 4, epochs: 2 } }), 'teacher.depth', /6n\+2.*got 10/);
    assert.deepEqual(issues(tiny({ teacher: { model: 'resnet', depth: 14, width: 4, epochs: 2 } })), []);
  });
  it('fewer epochs than stages: the teacher always, the student where its method follows the stages', () => {
    onlyIssue(tiny({ method: { name: 'kd', stages: 3 }, student: { model: 'cnn', epochs: 3 } }), 'teacher.epochs', /2 epochs cannot hold 3 learning stages/);
    const both = issues(tiny({ method: { name: 'rco', stages: 3 } }));
    assert.deepEqual(both.map((i) => i.where).sort(), ['student.epochs', 'teacher.epochs']);
    // KD's student does not follow the stages: 3 epochs with a 4-stage teacher is a 3-epoch KD run.
    const teacher = { model: 'cnn', epochs: 4 };
    assert.deepEqual(issues(tiny({ method: { name: 'kd', stages: 4 }, teacher, student: { model: 'cnn', epochs: 3 } })), []);
    onlyIssue(tiny({ method: { name: 'skd', stages: 4 }, teacher, student: { model: 'cnn', epochs: 3 } }), 'student.epochs', /3 epochs cannot hold 4 learning stages/);
    const student = issues(tiny({ student: { model: 'cnn', epochs: 1 } }));
    assert.deepEqual(student.map((i) => i.where), ['student.epochs']);
    assert.deepEqual(issues(tiny({ student: { model: 'cnn', epochs: 1 }, teacher: { model: 'cnn', epochs: 1 }, method: { name: 'none', stages: 2 } })), []);
  });
  it('builtin data needs a name', () => onlyIssue(tiny({ data: { format: 'builtin' } }), 'data.name', /needs a data set name/));
  it('file formats need a dir', () => onlyIssue(tiny({ data: { format: 'idx' } }), 'data.dir', /the idx format needs "dir"/));
  it('data dir not found, resolved against the experiment file', () => {
    onlyIssue(tiny({ data: { format: 'idx', dir: 'no-such-dir' } }), 'data.dir', new RegExp(`folder not found: ${path.join(tmp.dir, 'no-such-dir')}`));
  });
  it('data dir without the format\'s files', () => {
    fs.mkdirSync(path.join(tmp.dir, 'empty-data'), { recursive: true });
    onlyIssue(tiny({ data: { format: 'cifar10', dir: 'empty-data' } }), 'data.dir', /has no data_batch_1\.bin \(expected for format cifar10\)/);
    fs.writeFileSync(path.join(tmp.dir, 'empty-data', 'train-images-idx3-ubyte.gz'), '');
    assert.deepEqual(issues(tiny({ data: { format: 'idx', dir: 'empty-data' } })), []);
  });
  it('the check accepts every layout its loader reads: the archive\'s folder, the dotted IDX spelling', () => {
    // The official CIFAR archives unpack to a folder of their own; the loader looks inside it.
    for (const [format, inner, first] of [['cifar10', 'cifar-10-batches-bin', 'data_batch_1.bin'], ['cifar100', 'cifar-100-binary', 'train.bin']]) {
      const parent = path.join(tmp.dir, `${format}-parent`);
      onlyIssue(tiny({ data: { format, dir: parent } }), 'data.dir', /folder not found/);
      fs.mkdirSync(path.join(parent, inner), { recursive: true });
      onlyIssue(tiny({ data: { format, dir: parent } }), 'data.dir', new RegExp(`has no ${first.replace('.', '\\.')} \\(expected for format ${format}\\)`));
      fs.writeFileSync(path.join(parent, inner, first), '');
      assert.deepEqual(issues(tiny({ data: { format, dir: parent } })), [], format);
    }
    const dotted = path.join(tmp.dir, 'idx-dotted');
    fs.mkdirSync(dotted, { recursive: true });
    onlyIssue(tiny({ data: { format: 'idx', dir: dotted } }), 'data.dir', /has no train-images-idx3-ubyte \(expected for format idx\)/);
    fs.writeFileSync(path.join(dotted, 'train-images.idx3-ubyte'), '');
    assert.deepEqual(issues(tiny({ data: { format: 'idx', dir: dotted } })), []);
  });
  it('teacher run without a recorded trajectory', () => {
    fs.mkdirSync(path.join(tmp.dir, 'old-run'), { recursive: true });
    onlyIssue(tiny({ teacher: { run: 'old-run' } }), 'teacher.run', /holds no recorded teacher trajectory/);
    fs.mkdirSync(path.join(tmp.dir, 'old-run', 'teacher', 'trajectory'), { recursive: true });
    fs.writeFileSync(path.join(tmp.dir, 'old-run', 'teacher', 'trajectory', 'trajectory.json'), '{}');
    assert.deepEqual(issues(tiny({ teacher: { run: 'old-run' } })), []);
  });
  it('a schema error and a semantic check on the same path are reported once', () => {
    const got = issues(tiny({ method: { name: 'Bad Name', stages: 2 } }));
    assert.equal(got.filter((i) => i.where === 'method.name').length, 1, JSON.stringify(got));
  });
});

describe('loadExperiment', () => {
  function loadError(content: ExperimentObject | string, name = 'bad'): InputError {
    const file = writeExperiment(tmp.dir, name, content);
    try {
      loadExperiment(file);
    } catch (e) {
      assert.ok(e instanceof InputError, String(e));
      assert.equal(e.file, file);
      assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
      assert.ok(e.message.startsWith(file), e.message);
      return e;
    }
    assert.fail('expected an InputError');
  }

  it('a bad field: one line naming the file and the field', () => {
    const e = loadError(tiny({ method: { name: 'magic', stages: 2 } }));
    assert.equal(e.field, 'method.name');
    assert.match(e.message, /bad\.skd\.json: method\.name: unknown method "magic"/);
  });
  it('several problems: every one of them, on one line, and how many', () => {
    const e = loadError(tiny({ seed: -1, backend: 'gpu' }));
    assert.equal(e.field, 'seed');
    assert.match(e.message, /: seed: .+; backend: .+ \(2 problems\)$/);
    const three = loadError(tiny({ seed: -1, backend: 'gpu', colour: 1 }));
    for (const part of [/colour: unknown key "colour"/, /seed: must be >= 0/, /backend: must be one of/, / \(3 problems\)$/]) assert.match(three.message, part);
  });
  it('tags the issues the JSON Schema already states, and only those', () => {
    const issues = validateExperimentObject(tiny({ seed: -1, student: { model: 'resnet', depth: 9, epochs: 1 } }), path.join(tmp.dir, 'x.skd.json'));
    const bySource = (s: string | undefined) => issues.filter((i) => i.source === s).map((i) => i.path.join('.'));
    assert.deepEqual(bySource('schema'), ['seed']);
    assert.deepEqual(bySource(undefined).sort(), ['student.depth', 'student.epochs']);
  });
  it('invalid JSON', () => {
    const e = loadError('{ "name": "tiny", ');
    assert.equal(e.field, undefined);
    assert.match(e.message, /not valid JSON/);
  });
  it('a missing file', () => {
    const file = path.join(tmp.dir, 'absent.skd.json');
    assert.throws(() => loadExperiment(file), (e: unknown) => e instanceof InputError && e.file === file && /cannot read the experiment file \(ENOENT\)/.test(e.message));
  });
  it('accepts // and /* */ comments and trailing commas', () => {
    const text = `// an experiment
{
  "name": "commented", /* the run name */
  "data": { "format": "builtin", "name": "fashion-mnist-mini", },
  "teacher": { "model": "cnn", "epochs": 4 }, // four epochs
  "student": { "model": "cnn", "epochs": 4, },
  "method": { "name": "kd", },
}`;
    const exp = loadExperiment(writeExperiment(tmp.dir, 'comments', text));
    assert.equal(exp.name, 'commented');
    assert.equal(exp.method.name, 'kd');
  });
  it('fills the defaults', () => {
    const exp = loadExperiment(
      writeExperiment(tmp.dir, 'defaults', {
        name: 'd',
        data: { format: 'builtin', name: 'fashion-mnist-mini' },
        teacher: { model: 'cnn', epochs: 4 },
        student: { model: 'cnn', epochs: 4 },
        method: { name: 'skd' },
        training: { batchSize: 16 },
      }),
    );
    assert.equal(exp.seed, 1);
    assert.equal(exp.data.validation, 0.1);
    assert.deepEqual(exp.method, { name: 'skd', stages: 4, temperature: 2 });
    assert.deepEqual(exp.training, { ...TRAINING_DEFAULTS, batchSize: 16 });
    assert.equal(exp.training.lr, 0.05);
    assert.equal(exp.training.schedule, 'cosine');
    assert.equal(exp.backend, 'auto');
  });
  it('keeps given values over defaults', () => {
    const exp = loadExperiment(writeExperiment(tmp.dir, 'given', tiny({ seed: 5, training: { batchSize: 32, lr: 0.01 }, backend: 'cpu' })));
    assert.equal(exp.seed, 5);
    assert.equal(exp.training.lr, 0.01);
    assert.equal(exp.training.momentum, 0.9);
    assert.equal(exp.method.stages, 2);
    assert.equal(exp.method.temperature, 2);
    assert.equal(exp.backend, 'cpu');
  });
});

describe('parseJsonWithComments and resolveFrom', () => {
  it('leaves comment markers and commas inside strings alone', () => {
    const text = '{"a": "x//y", "b": "/*not*/", "c": "q\\"//", /* c */ "d": [1, 2,], }';
    assert.deepEqual(parseJsonWithComments(text), { a: 'x//y', b: '/*not*/', c: 'q"//', d: [1, 2] });
    // A comma before a bracket inside a string is text, not a trailing comma.
    assert.deepEqual(parseJsonWithComments('{"dir": "runs, ]old", "e": "a,}", "x": [1, /* c */ ], }'), { dir: 'runs, ]old', e: 'a,}', x: [1] });
  });
  it('names the position of a syntax error', () => {
    assert.throws(() => parseJsonWithComments('{\n  "a": 1\n  "b": 2\n}'), /CommaExpected at line 3, column 3/);
    assert.throws(() => parseJsonWithComments('  '), /empty/);
  });
  it('resolves relative paths against the experiment file', () => {
    assert.equal(resolveFrom('/a/b/x.skd.json', 'data'), '/a/b/data');
    assert.equal(resolveFrom('/a/b/x.skd.json', '/abs'), '/abs');
  });
});
