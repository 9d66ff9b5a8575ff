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
      NDArray logits = batch.logits(model, true);
      NDArray target = m.create(labels).oneHot(model.config().numLabels());
      NDArray loss = logits.logSoftmax(-1).mul(target).sum().neg().div(labels.length);
      gc.backward(share == 1.0 ? loss : loss.mul((float) share));
      return loss.getFloat();
    }
  }
}
