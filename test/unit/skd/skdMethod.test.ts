/**
 * SKD's loss (methods/skd.ts) on tiny tensors, against values computed here in plain JS:
 *   ce         = (1 - alpha) CE(y, s)
 *   kd         = alpha T^2 mean_b KL(softmax(z/T) || softmax(s/T))    (z: the final teacher's logits)
 *   experience = g alpha T^2 mean_b KL(softmax(q/T) || softmax(s/T))  (q: TET's, or the stage's logits;
 *                                                                     only before the last teacher stage)
 *   behaviour  = beta / L sum_l SP(GAP(F_l), TBT_l)                      (default: similarity)
 *              = beta / L sum_l mean_b || n(GAP(F_l) W_l + b_l) - n(TBT_l) ||^2   (tbt.match "regression")
 *              = beta / L sum_l action(GAP(F_l), S0_l, TBT_l, B_prev_l)          (tbt.match "action", losses.ts)
 */
import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../src/trainer/backend/select';
import { actionSimilarity } from '../../../src/trainer/methods/losses';
import { SKD_DEFAULT_BETA, SKD_DEFAULT_GAMMA, skd, skdNoStages, skdNoTbt, skdNoTet } from '../../../src/trainer/methods/skd';
import type { BatchContext, DistillMethod, MethodFactory, MethodSetup, TeacherSignals } from '../../../src/trainer/methods/types';

type Mat = number[][];

const LABELS = [1, 2];
const STUDENT: Mat = [
  [1, 2, 0.5],
  [0, -1, 3],
];
const EXPERIENCE: Mat = [
  [2, 1, 0],
  [0, 0.5, 4],
];
const FINAL: Mat = [
  [-1, 3, 0],
  [1, 1, 1],
];
const STAGE: Mat = [
  [0.5, 2, -1],
  [0, 1, 2],
];
/** Student taps, NHWC: [2, 2, 2, 2] and [2, 1, 1, 3]. */
const FEATURES: number[][][][][] = [
  [
    [
      [
        [1, 2],
        [3, 4],
      ],
      [
        [0, 1],
        [-1, 2],
      ],
    ],
    [
      [
        [0.5, 0],
        [0, 0.5],
      ],
      [
        [2, -2],
        [1, 1],
      ],
    ],
  ],
  [[[[1, 0, -1]]], [[[0.5, 0.5, 2]]]],
];
const STUDENT_CHANNELS = [2, 3];
const BEHAVIOUR_SIZES = [3, 2];
/** TBT's predicted behaviour per tap: [batch, descriptor size]. */
const PREDICTED: Mat[] = [
  [
    [1, 0, 1],
    [0.2, -0.3, 0.9],
  ],
  [
    [3, 4],
    [-1, 0.5],
  ],
];

const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
const mean = (a: number[]) => sum(a) / a.length;
const softmax = (z: number[], t = 1) => {
  const m = Math.max(...z.map((v) => v / t));
  const e = z.map((v) => Math.exp(v / t - m));
  return e.map((v) => v / sum(e));
};
const kl = (p: number[], q: number[]) => sum(p.map((pi, i) => pi * Math.log(pi / q[i])));
const normalize = (v: number[]) => {
  const n = Math.sqrt(sum(v.map((x) => x * x)));
  return v.map((x) => x / n);
};
const ce = (s: Mat) => mean(s.map((z, b) => -Math.log(softmax(z)[LABELS[b]])));
const kdTerm = (t: Mat, s: Mat, T: number) => T * T * mean(t.map((z, b) => kl(softmax(z, T), softmax(s[b], T))));
/** Global average pool of one sample's [h][w][c] map. */
const gap = (map: number[][][]) => {
  const c = map[0][0].length;
  const cells = map.flat();
  return Array.from({ length: c }, (_, j) => mean(cells.map((px) => px[j])));
};
/** The behaviour term with the adapters' current weights (kernel [in, out] row-major, bias). */
function behaviourTerm(weights: { w: number[]; b: number[] }[], beta: number): number {
  const perTap = weights.map(({ w, b }, l) => {
    const cin = STUDENT_CHANNELS[l];
    const cout = BEHAVIOUR_SIZES[l];
    return mean(
      FEATURES[l].map((sample, i) => {
        const pooled = gap(sample);
        const projected = Array.from({ length: cout }, (_, o) => b[o] + sum(Array.from({ length: cin }, (_, k) => pooled[k] * w[k * cout + o])));
        const d = normalize(projected).map((v, j) => v - normalize(PREDICTED[l][i])[j]);
        return sum(d.map((x) => x * x));
      }),
    );
  });
  return (beta / weights.length) * sum(perTap);
}

function setup(spec: Partial<MethodSetup['spec']> = {}): MethodSetup {
  return {
    spec: { name: 'skd', stages: 2, temperature: 4, ...spec },
    numClasses: 3,
    studentTapChannels: STUDENT_CHANNELS,
    teacherTapChannels: [5, 6],
    behaviourSizes: BEHAVIOUR_SIZES,
    seed: 7,
    tf,
  };
}

/** The tiny batch; `signals` picks which teacher signals are present. */
function batch(signals: (keyof TeacherSignals)[], teacherStage = 0): BatchContext {
  const teacher: TeacherSignals = {};
  if (signals.includes('experience')) teacher.experience = tf.tensor2d(EXPERIENCE);
  if (signals.includes('stageLogits')) teacher.stageLogits = tf.tensor2d(STAGE);
  if (signals.includes('finalLogits')) teacher.finalLogits = tf.tensor2d(FINAL);
  if (signals.includes('behaviour')) teacher.behaviour = PREDICTED.map((p) => tf.tensor2d(p));
  const labels = tf.tensor1d(LABELS, 'int32');
  return {
    labels,
    oneHot: tf.tidy(() => tf.cast(tf.oneHot(labels, 3), 'float32') as tf.Tensor2D),
    studentLogits: tf.tensor2d(STUDENT),
    studentFeatures: FEATURES.map((f) => tf.tensor4d(f)),
    teacher,
    epoch: 0,
    epochs: 2,
    stage: 0,
    stages: 2,
    teacherStage,
    teacherStages: 2,
  };
}

function disposeBatch(b: BatchContext): void {
  tf.dispose([b.labels, b.oneHot, b.studentLogits, ...b.studentFeatures]);
  const teacher: (tf.Tensor | undefined)[] = [b.teacher.experience, b.teacher.stageLogits, b.teacher.finalLogits, ...(b.teacher.behaviour ?? [])];
  tf.dispose(teacher.filter((t): t is tf.Tensor => t !== undefined));
}

/** Every loss term as a number. */
function terms(method: DistillMethod, b: BatchContext): Record<string, number> {
  const out: Record<string, number> = {};
  tf.tidy(() => {
    for (const [k, v] of Object.entries(method.losses(b))) {
      assert.equal(v.rank, 0, `${k} is a scalar`);
      out[k] = v.dataSync()[0];
    }
  });
  return out;
}

function adapterWeights(method: DistillMethod): { w: number[]; b: number[] }[] {
  const vars = method.extraVariables();
  const out: { w: number[]; b: number[] }[] = [];
  for (let i = 0; i < vars.length; i += 2) out.push({ w: Array.from(vars[i].dataSync()), b: Array.from(vars[i + 1].dataSync()) });
  return out;
}

const close = (got: number, want: number, what: string) => assert.ok(Math.abs(got - want) <= 1e-5 * Math.max(1, Math.abs(want)), `${what}: ${got} != ${want}`);

function check(factory: MethodFactory, signals: (keyof TeacherSignals)[], spec: Partial<MethodSetup['spec']>, want: (m: DistillMethod) => Record<string, number>, teacherStage = 0): void {
  const method = factory(setup(spec));
  const b = batch(signals, teacherStage);
  try {
    const got = terms(method, b);
    const expected = want(method);
    assert.deepEqual(Object.keys(got).sort(), Object.keys(expected).sort());
    for (const [k, v] of Object.entries(got)) {
      assert.ok(Number.isFinite(v), `${k} is finite`);
      close(v, expected[k], k);
    }
  } finally {
    disposeBatch(b);
    method.dispose();
  }
}

function needsOf(factory: MethodFactory): DistillMethod['needs'] {
  const m = factory(setup());
  m.dispose();
  return m.needs;
}

before(async () => {
  await selectBackend('cpu');
});

describe('skd method', () => {
  const regression = { tbt: { match: 'regression' as const } };
  // `tbt.final: true`: the behaviour term also towards the final teacher's recorded behaviour.
  const finalBehaviour = { tbt: { match: 'regression' as const, final: true } };
  const all: (keyof TeacherSignals)[] = ['finalLogits', 'experience', 'stageLogits', 'behaviour'];
  const g = SKD_DEFAULT_GAMMA;

  it('skd: KD on the final teacher, the stage experience, the behaviour; defaults alpha 0.9, T 4, lookahead', () => {
    assert.deepEqual(needsOf(skd), { finalLogits: true, experience: true, behaviour: true });
    const m = skd(setup());
    assert.equal(m.curriculum, 'lookahead');
    m.dispose();
    check(skd, all, regression, (m) => ({
      ce: 0.1 * ce(STUDENT),
      kd: 0.9 * kdTerm(FINAL, STUDENT, 4),
      experience: g * 0.9 * kdTerm(EXPERIENCE, STUDENT, 4),
      behaviour: behaviourTerm(adapterWeights(m), SKD_DEFAULT_BETA),
    }));
  });

  it('skd: at the last teacher stage with no earlier stage handed over, or with tet.late false, SKD is KD (with tbt.final, KD plus behaviour)', () => {
    const kdOnly = () => ({ ce: 0.1 * ce(STUDENT), kd: 0.9 * kdTerm(FINAL, STUDENT, 4) });
    check(skd, ['finalLogits', 'behaviour'], regression, kdOnly, 1);
    check(skd, all, { ...regression, tet: { late: false } }, kdOnly, 1);
    const kdPlusBehaviour = (m: DistillMethod) => ({ ...kdOnly(), behaviour: behaviourTerm(adapterWeights(m), SKD_DEFAULT_BETA) });
    check(skd, ['finalLogits', 'behaviour'], finalBehaviour, kdPlusBehaviour, 1);
    check(skd, all, { ...finalBehaviour, tet: { late: false } }, kdPlusBehaviour, 1);
  });

  it('skd (tet.late, the default): an earlier stage handed over at the last teacher stage is taught next to the final teacher', () => {
    const late = regression;
    check(skd, all, late, () => ({
      ce: 0.1 * ce(STUDENT),
      kd: 0.9 * kdTerm(FINAL, STUDENT, 4),
      experience: g * 0.9 * kdTerm(EXPERIENCE, STUDENT, 4),
    }), 1);
    // Without TET the stage's raw logits, as the engine hands them over; without stages never.
    check(skdNoTet, ['finalLogits', 'stageLogits', 'behaviour'], late, () => ({
      ce: 0.1 * ce(STUDENT),
      kd: 0.9 * kdTerm(FINAL, STUDENT, 4),
      experience: g * 0.9 * kdTerm(STAGE, STUDENT, 4),
    }), 1);
    check(skdNoStages, all, late, () => ({ ce: 0.1 * ce(STUDENT), kd: 0.9 * kdTerm(FINAL, STUDENT, 4) }), 1);
    check(skdNoStages, all, finalBehaviour, (m) => ({ ce: 0.1 * ce(STUDENT), kd: 0.9 * kdTerm(FINAL, STUDENT, 4), behaviour: behaviourTerm(adapterWeights(m), SKD_DEFAULT_BETA) }), 1);
  });

  it('skd (tbt.final false, the default): no behaviour term while learning from the final teacher (the last teacher stage), the term before it; a missing behaviour is an error', () => {
    for (const spec of [regression, { tbt: { match: 'regression' as const, final: false } }]) {
      check(skd, all, spec, () => ({
        ce: 0.1 * ce(STUDENT),
        kd: 0.9 * kdTerm(FINAL, STUDENT, 4),
        experience: g * 0.9 * kdTerm(EXPERIENCE, STUDENT, 4),
      }), 1);
    }
    // With tbt.final the final teacher's recorded behaviour is a target too.
    check(skd, all, finalBehaviour, (m) => ({
      ce: 0.1 * ce(STUDENT),
      kd: 0.9 * kdTerm(FINAL, STUDENT, 4),
      experience: g * 0.9 * kdTerm(EXPERIENCE, STUDENT, 4),
      behaviour: behaviourTerm(adapterWeights(m), SKD_DEFAULT_BETA),
    }), 1);
    // A look-ahead to an earlier (taught) teacher stage: the term as ever.
    check(skd, all, regression, (m) => ({
      ce: 0.1 * ce(STUDENT),
      kd: 0.9 * kdTerm(FINAL, STUDENT, 4),
      experience: g * 0.9 * kdTerm(EXPERIENCE, STUDENT, 4),
      behaviour: behaviourTerm(adapterWeights(m), SKD_DEFAULT_BETA),
    }));
    const m = skd(setup(regression));
    const b = batch(['finalLogits', 'experience']);
    assert.throws(() => m.losses(b), /behaviour/);
    disposeBatch(b);
    m.dispose();
  });

  it('skd: alpha, beta, T and the stage weight from the method spec', () => {
    check(skd, all, { alpha: 0.5, beta: 3, temperature: 2, ...regression, tet: { weight: 0.25 } }, (m) => ({
      ce: 0.5 * ce(STUDENT),
      kd: 0.5 * kdTerm(FINAL, STUDENT, 2),
      experience: 0.25 * 0.5 * kdTerm(EXPERIENCE, STUDENT, 2),
      behaviour: behaviourTerm(adapterWeights(m), 3),
    }));
  });

  it('the default similarity match needs no adapters; beta 0 drops the behaviour term', () => {
    const m = skd(setup());
    assert.equal(m.extraVariables().length, 0);
    m.dispose();
    // Two images relate to each other the same way in any two descriptors: SP is 0 for a pair.
    check(skd, all, {}, () => ({ ce: 0.1 * ce(STUDENT), kd: 0.9 * kdTerm(FINAL, STUDENT, 4), experience: g * 0.9 * kdTerm(EXPERIENCE, STUDENT, 4), behaviour: 0 }));
    check(skd, ['finalLogits', 'experience'], { beta: 0 }, () => ({ ce: 0.1 * ce(STUDENT), kd: 0.9 * kdTerm(FINAL, STUDENT, 4), experience: g * 0.9 * kdTerm(EXPERIENCE, STUDENT, 4) }));
    assert.deepEqual(needsOf((s) => skd({ ...s, spec: { ...s.spec, beta: 0 } })), { finalLogits: true, experience: true });
  });

  it('the regression adapters map each student tap to the teacher descriptor size', () => {
    const m = skd(setup(regression));
    assert.deepEqual(
      m.extraVariables().map((v) => v.shape),
      [[2, 3], [3], [3, 2], [2]],
    );
    // Same seed, same initial adapters.
    const again = skd(setup(regression));
    assert.deepEqual(adapterWeights(again), adapterWeights(m));
    m.dispose();
    again.dispose();
  });

  it('tbt.match action: asks for the actions; the student changes from its stage start as the teacher did from its previous stage', () => {
    const action = { tbt: { match: 'action' as const } };
    assert.deepEqual(needsOf((s) => skd({ ...s, spec: { ...s.spec, ...action } })), { finalLogits: true, experience: true, behaviour: true, actions: true });
    assert.deepEqual(needsOf((s) => skdNoTbt({ ...s, spec: { ...s.spec, ...action } })), { finalLogits: true, experience: true });
    // Three teacher stages, the student looking ahead to the middle one (stage 1 of 0..2).
    // With two images every standardised descriptor relates them as [[1, -1], [-1, 1]] / sqrt(2),
    // unless none of its dimensions varies (then all 0): tap 0's student started so, tap 1's not.
    const START: Mat[] = [
      [
        [0.3, 1],
        [0.3, 1],
      ],
      [
        [1, 0, 2],
        [0.5, 1, 1],
      ],
    ];
    const PREVIOUS: Mat[] = [
      [
        [0, 1, 2],
        [1, 1, 0],
      ],
      [
        [2, 1],
        [0, 3],
      ],
    ];
    const m = skd(setup(action));
    const base = batch(all, 1);
    const b: BatchContext = { ...base, teacherStages: 3, studentStart: START.map((x) => tf.tensor2d(x)), teacher: { ...base.teacher, previousBehaviour: PREVIOUS.map((x) => tf.tensor2d(x)) } };
    try {
      const got = terms(m, b);
      const want = tf.tidy(() => {
        const perTap = b.studentFeatures.map((f, l) => actionSimilarity(tf.mean(f, [1, 2]) as tf.Tensor2D, b.studentStart![l], b.teacher.behaviour![l], b.teacher.previousBehaviour![l]));
        return (SKD_DEFAULT_BETA / 2) * perTap.reduce((a, t) => a + t.dataSync()[0], 0);
      });
      close(got.behaviour, want, 'behaviour');
      // By hand: tap 0, mean((G(S) - 0 - 0)^2) = 1/2; tap 1, 0; times beta / L.
      close(got.behaviour, (SKD_DEFAULT_BETA / 2) * 0.5, 'behaviour by hand');
      close(got.kd, 0.9 * kdTerm(FINAL, STUDENT, 4), 'kd');
      // Without the student's start of stage the term cannot be formed: a clear error.
      assert.throws(() => tf.tidy(() => m.losses({ ...b, studentStart: undefined })), /the student's behaviour at the start of its stage/);
      // The teacher's first stage has no stage before it: the behaviour itself, as SP (0 for a pair of images).
      const first = terms(m, { ...b, teacherStage: 0, teacher: { ...b.teacher, previousBehaviour: undefined } });
      close(first.behaviour, 0, 'behaviour at the first teacher stage');
    } finally {
      tf.dispose([...b.studentStart!, ...b.teacher.previousBehaviour!]);
      disposeBatch(base);
      m.dispose();
    }
  });

  it('skd-no-tbt: no behaviour term and no behaviour needed; stages kept', () => {
    assert.deepEqual(needsOf(skdNoTbt), { finalLogits: true, experience: true });
    check(skdNoTbt, all, {}, () => ({ ce: 0.1 * ce(STUDENT), kd: 0.9 * kdTerm(FINAL, STUDENT, 4), experience: g * 0.9 * kdTerm(EXPERIENCE, STUDENT, 4) }));
    const m = skdNoTbt(setup());
    assert.equal(m.extraVariables().length, 0);
    assert.equal(m.curriculum, 'lookahead');
    m.dispose();
  });

  it("skd-no-tet: the stage term distils the target stage's raw best checkpoint; stages and their check kept", () => {
    assert.deepEqual(needsOf(skdNoTet), { finalLogits: true, stageLogits: true, stageCheck: true, behaviour: true });
    const m = skdNoTet(setup());
    assert.equal(m.curriculum, 'lookahead');
    m.dispose();
    check(skdNoTet, all, regression, (m) => ({
      ce: 0.1 * ce(STUDENT),
      kd: 0.9 * kdTerm(FINAL, STUDENT, 4),
      experience: g * 0.9 * kdTerm(STAGE, STUDENT, 4),
      behaviour: behaviourTerm(adapterWeights(m), SKD_DEFAULT_BETA),
    }));
  });

  it('skd-no-stages: no stage term, every stage from the final teacher, so KD (with tbt.final, the recorded behaviour too)', () => {
    assert.deepEqual(needsOf(skdNoStages), { finalLogits: true });
    assert.deepEqual(needsOf((s) => skdNoStages({ ...s, spec: { ...s.spec, ...finalBehaviour } })), { finalLogits: true, behaviour: true });
    const m = skdNoStages(setup({ curriculum: 'aligned' }));
    assert.equal(m.curriculum, 'none');
    assert.equal(m.extraVariables().length, 0);
    m.dispose();
    check(skdNoStages, all, regression, () => ({ ce: 0.1 * ce(STUDENT), kd: 0.9 * kdTerm(FINAL, STUDENT, 4) }));
    check(skdNoStages, all, finalBehaviour, (m) => ({ ce: 0.1 * ce(STUDENT), kd: 0.9 * kdTerm(FINAL, STUDENT, 4), behaviour: behaviourTerm(adapterWeights(m), SKD_DEFAULT_BETA) }));
    const aligned = skd(setup({ curriculum: 'aligned' }));
    assert.equal(aligned.curriculum, 'aligned');
    aligned.dispose();
  });

  it('tet.correctFinal asks for the corrected final logits, except without TET (skd-no-tet keeps the raw ones)', () => {
    const corrected = (f: MethodFactory) => needsOf((s) => f({ ...s, spec: { ...s.spec, tet: { correctFinal: true } } }));
    assert.deepEqual(corrected(skd), { finalLogits: true, correctedFinal: true, experience: true, behaviour: true });
    assert.deepEqual(corrected(skdNoTbt), { finalLogits: true, correctedFinal: true, experience: true });
    assert.deepEqual(corrected(skdNoStages), { finalLogits: true, correctedFinal: true });
    assert.deepEqual(corrected(skdNoTet), { finalLogits: true, stageLogits: true, stageCheck: true, behaviour: true });
  });

  it('a missing teacher signal is a clear error', () => {
    const cases: [MethodFactory, (keyof TeacherSignals)[], RegExp][] = [
      [skdNoTet, ['finalLogits', 'experience', 'behaviour'], /"skd-no-tet" needs the teacher's best-of-stage logits/],
      [skd, ['finalLogits', 'stageLogits', 'behaviour'], /"skd" needs the teacher's TET's experience/],
      [skd, ['finalLogits', 'experience'], /"skd" needs the teacher's TBT's behaviour/],
      [skd, ['experience', 'behaviour'], /"skd" needs the teacher's final logits/],
    ];
    for (const [factory, signals, message] of cases) {
      const m = factory(setup());
      const b = batch(signals);
      assert.throws(() => tf.tidy(() => m.losses(b)), message);
      disposeBatch(b);
      m.dispose();
    }
  });

  it('bad weights are refused, naming the field', () => {
    assert.throws(() => skd(setup({ alpha: 2 })), /method\.alpha: must be a number in \[0, 1\], got 2/);
    assert.throws(() => skd(setup({ beta: -1 })), /method\.beta/);
    assert.throws(() => skd(setup({ tet: { weight: -1 } })), /method\.tet\.weight/);
  });

  it('gradients reach the adapters and the student logits', () => {
    const m = skd(setup(regression));
    const b = batch(all);
    const logits = tf.variable(b.studentLogits);
    const vars = [...m.extraVariables(), logits];
    const { value, grads } = tf.variableGrads(() => tf.addN(Object.values(m.losses({ ...b, studentLogits: logits }))) as tf.Scalar, vars);
    for (const v of vars) {
      const grad = grads[v.name];
      assert.ok(grad, `a gradient for ${v.name}`);
      const data = Array.from(grad.dataSync());
      assert.ok(data.every(Number.isFinite), `${v.name}: finite gradient`);
      assert.ok(data.some((x) => Math.abs(x) > 1e-6), `${v.name}: non-zero gradient`);
    }
    tf.dispose([value, ...Object.values(grads), logits]);
    disposeBatch(b);
    m.dispose();
  });

  it('leaves no tensors behind: losses inside a tidy, adapters freed by dispose', () => {
    for (const [factory, spec] of [
      [skd, {}],
      [skd, regression],
      [skdNoTbt, {}],
      [skdNoTet, {}],
      [skdNoStages, regression],
    ] as [MethodFactory, Partial<MethodSetup['spec']>][]) {
      const start = tf.memory().numTensors;
      const m = factory(setup(spec));
      const vars = m.extraVariables();
      const b = batch(all);
      const afterSetup = tf.memory().numTensors;
      terms(m, b);
      terms(m, b);
      assert.equal(tf.memory().numTensors, afterSetup, 'losses leave nothing once their tidy ends');
      disposeBatch(b);
      m.dispose();
      assert.ok(vars.every((v) => v.isDisposed));
      assert.equal(tf.memory().numTensors, start);
    }
  });
});
