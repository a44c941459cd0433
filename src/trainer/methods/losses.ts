import * as tf from '@tensorflow/tfjs-core';

/**
 * The loss functions the distillation methods share, on tf.js tensors. Each is pure: it reads
 * its inputs, never disposes them, and frees its own intermediates (a `tf.tidy` inside is safe
 * under the engine's gradient tape, which keeps what the backward pass needs).
 */

/** Guards logs and divisions; as torch's F.normalize eps, small enough not to move any value. */
const EPS = 1e-12;
/** Pushes the target class out of a softmax (DKD's non-target part); exp(-1e4) is 0 in float32. */
const MASK_OUT = 1e4;

function meanOverBatch(perSample: tf.Tensor1D): tf.Scalar {
  return tf.mean(perSample) as tf.Scalar;
}

/** Mean over the batch of -sum_c y_c log softmax(z)_c, with a stable log-softmax. */
export function crossEntropy(logits: tf.Tensor2D, oneHot: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => meanOverBatch(tf.neg(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1)) as tf.Tensor1D));
}

/** Mean over the batch of KL(p || q) from log-probabilities, sum_c p_c (log p_c - log q_c). */
export function klFromLogProbs(logP: tf.Tensor2D, logQ: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => meanOverBatch(tf.sum(tf.mul(tf.exp(logP), tf.sub(logP, logQ)), 1) as tf.Tensor1D));
}

/** Hinton's KD term: T^2 * mean_batch KL(softmax(t/T) || softmax(s/T)). */
export function klDivWithTemperature(teacherLogits: tf.Tensor2D, studentLogits: tf.Tensor2D, temperature: number): tf.Scalar {
  return tf.tidy(() => {
    const logP = tf.logSoftmax(tf.div(teacherLogits, temperature)) as tf.Tensor2D;
    const logQ = tf.logSoftmax(tf.div(studentLogits, temperature)) as tf.Tensor2D;
    return tf.mul(klFromLogProbs(logP, logQ), temperature * temperature) as tf.Scalar;
  });
}

/**
 * The same term with target probabilities given directly (SKD's refined targets q_k):
 * T^2 * mean_batch KL(q || softmax(s/T)). Zero target probabilities contribute 0.
 */
export function klDivToTargets(targetProbs: tf.Tensor2D, studentLogits: tf.Tensor2D, temperature: number): tf.Scalar {
  return tf.tidy(() => {
    const logQ = tf.logSoftmax(tf.div(studentLogits, temperature));
    const logP = tf.log(tf.maximum(targetProbs, EPS));
    const perSample = tf.sum(tf.mul(targetProbs, tf.sub(logP, logQ)), 1) as tf.Tensor1D;
    return tf.mul(meanOverBatch(perSample), temperature * temperature) as tf.Scalar;
  });
}

/** Each row divided by its L2 norm (the norm floored at sqrt(EPS) so a zero row stays finite). */
export function l2NormalizeRows(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.div(x, tf.sqrt(tf.add(tf.sum(tf.square(x), 1, true), EPS))) as tf.Tensor2D);
}

/** Rows L2-normalised, then mean over the batch of the summed squared difference. */
export function normalizedL2(a: tf.Tensor2D, b: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const d = tf.sub(l2NormalizeRows(a), l2NormalizeRows(b));
    return meanOverBatch(tf.sum(tf.square(d), 1) as tf.Tensor1D);
  });
}

/** Mean over all elements of the squared difference (torch's F.mse_loss). */
export function meanSquaredError(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.squaredDifference(a, b)) as tf.Scalar);
}

/**
 * Spatial attention map of an NHWC feature map (Zagoruyko & Komodakis): the mean over channels
 * of f^2, flattened to [B, H*W] and L2-normalised per sample.
 */
export function attentionMap(f: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => {
    const [b, h, w] = f.shape;
    return l2NormalizeRows(tf.reshape(tf.mean(tf.square(f), 3), [b, h * w]) as tf.Tensor2D);
  });
}

/**
 * `teacher` resized (bilinear) to the spatial size of `student` when the two differ, so a
 * plugin model whose taps sit at other resolutions can still be paired; the input otherwise.
 */
export function matchSpatial(teacher: tf.Tensor4D, student: tf.Tensor4D): tf.Tensor4D {
  const [, th, tw] = teacher.shape;
  const [, sh, sw] = student.shape;
  if (th === sh && tw === sw) return teacher;
  return tf.image.resizeBilinear(teacher, [sh, sw]);
}

/**
 * DKD's binary split of softmax(z/T): per sample, log of [p(target), p(all other classes)],
 * computed with log-sum-exp so that neither part underflows.
 */
export function targetNonTargetLogProbs(logits: tf.Tensor2D, oneHot: tf.Tensor2D, temperature: number): tf.Tensor2D {
  return tf.tidy(() => {
    const z = tf.div(logits, temperature);
    const all = tf.logSumExp(z, 1, true);
    const target = tf.sum(tf.mul(z, oneHot), 1, true);
    const others = tf.logSumExp(tf.sub(z, tf.mul(oneHot, MASK_OUT)), 1, true);
    return tf.sub(tf.concat([target, others], 1), all) as tf.Tensor2D;
  });
}

/** DKD's distribution among the non-target classes: log-softmax(z/T) with the target masked out. */
export function nonTargetLogSoftmax(logits: tf.Tensor2D, oneHot: tf.Tensor2D, temperature: number): tf.Tensor2D {
  return tf.tidy(() => tf.logSoftmax(tf.sub(tf.div(logits, temperature), tf.mul(oneHot, MASK_OUT))) as tf.Tensor2D);
}

/**
 * Decoupled KD's two parts, each T^2 * mean_batch KL(teacher || student):
 * `tckd` on the binary target / non-target split, `nckd` among the non-target classes.
 */
export function decoupledKd(
  teacherLogits: tf.Tensor2D,
  studentLogits: tf.Tensor2D,
  oneHot: tf.Tensor2D,
  temperature: number,
): { tckd: tf.Scalar; nckd: tf.Scalar } {
  // Both parts are T^2 * KL between the teacher's and the student's view of the same split.
  const part = (view: (logits: tf.Tensor2D, oneHot: tf.Tensor2D, t: number) => tf.Tensor2D) =>
    tf.tidy(() => tf.mul(klFromLogProbs(view(teacherLogits, oneHot, temperature), view(studentLogits, oneHot, temperature)), temperature * temperature) as tf.Scalar);
  const tckd = part(targetNonTargetLogProbs);
  const nckd = part(nonTargetLogSoftmax);
  return { tckd, nckd };
}

/**
 * Similarity-preserving distance (Tung & Mori, ICCV 2019) between two batches of descriptors
 * [b, d1] and [b, d2]: each is standardised per dimension over the batch, its batch Gram
 * matrix G = X X^T is L2-normalised row by row, and the result is mean((G_s - G_t)^2) over the
 * b^2 entries. It compares how two networks relate the images of a batch, so descriptors of
 * different sizes need no adapter.
 */
export function similarityPreserving(student: tf.Tensor2D, teacher: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.square(tf.sub(similarityGram(student), similarityGram(teacher)))) as tf.Scalar);
}

/**
 * How a batch's images relate under one descriptor [batch, channels]: each column standardised
 * over the batch, the Gram matrix of the rows, each row L2-normalised (SP's normalisation).
 */
export function similarityGram(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, 0, true);
    const z = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5)));
    const g = tf.matMul(z, z, false, true);
    return tf.div(g, tf.add(tf.norm(g, 2, 1, true), 1e-8)) as tf.Tensor2D;
  });
}

/**
 * SKD's behaviour term in its action form: the student changes how it relates the batch's
 * images, from where it stood at the start of its stage, as the teacher changed from its
 * previous stage to the next one:
 *   mean (G(S) - G(S_start) - (G(T_next) - G(T_prev)))^2,  G = similarityGram.
 * The student is trained through `student` alone: the other three are recorded or predicted
 * descriptors, constants here.
 */
export function actionSimilarity(student: tf.Tensor2D, studentStart: tf.Tensor2D, teacherNext: tf.Tensor2D, teacherPrev: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const target = tf.add(similarityGram(studentStart), tf.sub(similarityGram(teacherNext), similarityGram(teacherPrev)));
    return tf.mean(tf.square(tf.sub(similarityGram(student), target))) as tf.Scalar;
  });
}
