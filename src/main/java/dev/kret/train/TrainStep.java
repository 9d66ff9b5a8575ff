package dev.kret.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.kret.model.BatchArrays;
import dev.kret.model.Djl;
import dev.kret.model.RelationModel;

/** Forward and backward of one micro-batch: the one place the training loss is defined. */
public final class TrainStep {

  private TrainStep() {}

  /**
   * Mean cross-entropy of the batch; its gradient, scaled by {@code share} (the batch's fraction of
   * the accumulated step), is added to the parameters' gradients. All intermediates live in {@code
   * m}.
   */
  public static float forwardBackward(
      RelationModel model, NDManager m, BatchArrays batch, long[] labels, double share) {
    try (GradientCollector gc = Djl.engine().newGradientCollector()) {
      NDArray loss = loss(m, batch.logits(model, true), labels);
      gc.backward(share == 1.0 ? loss : Djl.times(loss, (float) share));
      return loss.getFloat();
    }
  }

  /** Mean cross-entropy of {@code logits} [B, labels] against {@code labels}. */
  static NDArray loss(NDManager m, NDArray logits, long[] labels) {
    NDArray target = m.create(labels).oneHot((int) logits.getShape().get(1));
    return Djl.dividedBy(logits.logSoftmax(-1).mul(target).sum().neg(), labels.length);
  }

  /**
   * The optimizer half of a step: global gradient norm, clipping to {@code maxGradNorm} (0 = off),
   * AdamW at the schedule's rate for this step. A non-finite norm skips the update (gradients are
   * dropped, the step count does not advance). Returns the norm before clipping.
   */
  public static double optimizerStep(
      AdamW opt, LinearSchedule schedule, double maxGradNorm, NDManager m) {
    double norm = opt.gradNorm(m);
    if (!Double.isFinite(norm)) {
      opt.zeroGrad();
      return norm;
    }
    double clip = maxGradNorm > 0 && norm > maxGradNorm ? maxGradNorm / (norm + 1e-6) : 1.0;
    opt.step(schedule.rate(opt.stepCount()), clip, m);
    return norm;
  }
}
