import * as path from 'node:path';
import { measuresAgainstAlone } from '../../protocol/experiment';
import { RUN_FILES } from '../../protocol/runDir';
import type { MethodNeeds } from '../methods/types';
import { tbtEvent } from '../skd/metrics';
import { BehaviourPredictor, TBT_DEFAULT_EPOCHS } from '../skd/tbt';
import { DEFAULT_STAGE_CHECK } from '../../protocol/experiment';
import { checkRawStages, fitExperience, tetOptions, type StageVerdict } from '../skd/tet';
import type { Trajectory } from '../skd/trajectory';
import { readCheckpointIfIntact, writeCheckpoint } from '../runDir/checkpoint';
import type { RunContext } from './context';

/** What SKD's meta-networks hand the student: per teacher stage, per image. */
export interface MetaTargets {
  /** experience[t]: TET's experience logits of teacher stage t, [images * classes]. */
  experience?: Float32Array[];
  /** addsToFinal[t]: whether stage t's experience adds to the final teacher's on held-out images. */
  addsToFinal?: boolean[];
  /**
   * behaviour[t][l]: the behaviour of teacher stage t at tap l, [images * channels], as TBT
   * predicts it from stages 0..t-1; stage 0 (nothing to predict from) and the last stage (the
   * final teacher, whose behaviour is recorded) are the recorded behaviour.
   */
  behaviour?: Float32Array[][];
}

/**
 * Trains TBT and TET on the recorded trajectory when the method needs them, streams their
 * per-stage metrics, and keeps their weights and outputs in `meta/`, so a resumed run does
 * not train them again.
 */
export async function metaPhase(ctx: RunContext, trajectory: Trajectory, needs: MethodNeeds, aloneAccuracy?: number): Promise<MetaTargets> {
  const out: MetaTargets = {};
  const exp = ctx.experiment;
  const check = tetOptions(exp.method).check;
  if (measuresAgainstAlone(check) && aloneAccuracy === undefined && (needs.experience || needs.stageCheck)) {
    const decides = check === 'ahead' ? 'only the confidence part of method.tet.check "ahead" decides' : 'method.tet.check "ahead-only" teaches no stage';
    ctx.log(`stage check: no student alone to measure the stages against (studentAlone is false, or its record predates validation accuracies), so ${decides}`);
  }
  const metaDir = ctx.run.file(RUN_FILES.meta);
  const stages = trajectory.meta.stages;
  if (needs.behaviour) {
    const file = path.join(metaDir, 'tbt.bin');
    // A damaged file is trained again from the trajectory rather than failing the resume.
    const saved = readCheckpointIfIntact(file, (line) => ctx.run.warn(line));
    if (saved) {
      const { arrays } = saved;
      out.behaviour = Array.from({ length: stages }, (_, k) => trajectory.meta.taps.map((t) => arrays.find((a) => a.name === `target/${k}/${t}`)!.data));
    } else {
      ctx.progress('tbt', 0);
      const tbt = new BehaviourPredictor(trajectory, exp.method, exp.seed);
      const epochs = exp.method.tbt?.epochs ?? TBT_DEFAULT_EPOCHS;
      tbt.train(ctx.splits.probe, exp.method, exp.seed, (e) => ctx.progress('tbt', (e + 1) / epochs));
      const result = tbt.evaluate(ctx.splits.val);
      tbt.dispose();
      result.metrics.forEach((layers, j) => ctx.run.append(tbtEvent(j, layers)));
      const targets = Array.from({ length: stages }, (_, t) => (t === 0 || t === stages - 1 ? trajectory.stage(t).behaviour : result.predicted[t - 1]));
      const named = targets.flatMap((perLayer, k) =>
        perLayer.map((data, l) => ({ name: `target/${k}/${trajectory.meta.taps[l]}`, shape: [trajectory.meta.images, trajectory.meta.tapChannels[l]], data })),
      );
      writeCheckpoint(file, [...result.weights.map((w) => ({ ...w, name: `weights/${w.name}` })), ...named], { stages });
      out.behaviour = targets;
      for (const [j, layers] of result.metrics.entries()) {
        ctx.log(`TBT stage ${j + 1} -> ${j + 2}: ${layers.map((m) => `${m.layer} nmse ${m.nmse.toFixed(3)} (no-change ${m.baselineNmse.toFixed(3)}) cos ${m.cosine.toFixed(3)}`).join('; ')}`);
      }
    }
  }
  if (needs.experience || needs.finalExperience) {
    const file = path.join(metaDir, 'tet.bin');
    const saved = readCheckpointIfIntact(file, (line) => ctx.run.warn(line));
    if (saved) {
      const { arrays } = saved;
      out.experience = Array.from({ length: stages }, (_, k) => arrays.find((a) => a.name === `refined/${k}`)!.data);
      const adds = arrays.find((a) => a.name === 'adds-to-final');
      out.addsToFinal = Array.from({ length: stages }, (_, k) => (adds ? adds.data[k] === 1 : true));
    } else {
      ctx.progress('tet', 0);
      const result = fitExperience(trajectory, ctx.splits.quizTrain, ctx.splits.quizTest, ctx.dataset.train.y, { ...tetOptions(exp.method), aloneAccuracy }, ctx.splits.studentFit);
      for (const m of result.metrics) ctx.run.append({ type: 'tet', ...m });
      const refined = result.refined.map((data, k) => ({ name: `refined/${k}`, shape: [trajectory.meta.images, trajectory.meta.classes], data }));
      refined.push({ name: 'adds-to-final', shape: [stages], data: Float32Array.from(result.metrics, (m) => (m.addsToFinal ? 1 : 0)) });
      writeCheckpoint(file, [...result.weights.map((w) => ({ ...w, name: `weights/${w.name}` })), ...refined], { stages });
      out.experience = result.refined;
      out.addsToFinal = result.metrics.map((m) => m.addsToFinal === true);
      for (const m of result.metrics) {
        const mix = m.identity ? 'raw best checkpoint (the mixture was not better on held-out images)' : `mixture of epochs ${m.mixture!.map((x) => `${x.epoch + 1}:${x.weight.toFixed(2)}`).join(' ')}, temperature ${m.temperature!.toFixed(2)}`;
        ctx.log(`TET stage ${m.stage + 1}: acc ${(m.accuracy * 100).toFixed(2)}% (teacher ${(m.teacherAccuracy * 100).toFixed(2)}%), NLL ${m.nll!.toFixed(4)} (teacher ${m.teacherNll!.toFixed(4)}), ECE ${m.ece.toFixed(4)} (teacher ${m.teacherEce.toFixed(4)}); ${mix}; ${((m.corrected ?? 0) * 100).toFixed(1)}% of the training images corrected from the trajectory; ${stageVerdict(m)}`);
      }
    }
  }
  // Without TET (its experience carries the check otherwise): the check on the raw stages.
  if (needs.stageCheck) {
    const quiz = Int32Array.from([...ctx.splits.quizTrain, ...ctx.splits.quizTest]);
    const verdicts = checkRawStages(trajectory, quiz, ctx.dataset.train.y, check ?? DEFAULT_STAGE_CHECK, ctx.splits.studentFit, aloneAccuracy);
    out.addsToFinal = verdicts.map((v) => v.addsToFinal === true);
    for (const v of verdicts) ctx.log(`stage ${v.stage + 1} (raw best checkpoint, no TET): ${stageVerdict(v)}`);
  }
  return out;
}

/** Why a stage is taught or not, as the run's log says it (`method.tet.check`). */
export function stageVerdict(m: StageVerdict): string {
  const taught = m.addsToFinal ? 'taught as a stage' : 'not taught as a stage';
  if (m.check === 'none') return `${taught} (tet.check none)`;
  const pct = (x: number | undefined) => `${((x ?? 0) * 100).toFixed(1)}%`;
  const confidence = `on the training images its average with the final teacher is ${pct(m.trainConfidence)} confident, the final teacher ${pct(m.finalTrainConfidence)} against its held-out accuracy ${pct(m.finalHeldOutAccuracy)}`;
  if (m.check === 'confidence') return `${confidence}: ${taught}`;
  if (m.check === 'ahead' || m.check === 'ahead-only') {
    const ahead = m.aloneAccuracy === undefined ? 'the student alone unknown' : `held out it is right on ${pct(m.heldOutAccuracy)} against the student alone's ${pct(m.aloneAccuracy)}`;
    return m.check === 'ahead' ? `${confidence}; ${ahead}: ${taught}` : `${ahead}: ${taught}`;
  }
  return m.addsToFinal ? 'adds to the final teacher on held-out images (taught as a stage)' : 'does not add to the final teacher on held-out images (not taught as a stage)';
}
