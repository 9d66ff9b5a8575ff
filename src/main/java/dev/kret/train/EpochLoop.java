package dev.kret.train;

import ai.djl.ndarray.NDManager;
import dev.kret.api.v1alpha1.TrainingSpec;
import dev.kret.model.RelationModel;
import dev.kret.text.RelationEncoder;
import dev.kret.text.RelationEncoder.Encoded;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * One training epoch's steps, shared by fine-tuning and masked-LM epochs: length-grouped (or
 * random) batches drawn from {@code shuffle}, {@code gradientAccumulationSteps} micro-batches per
 * optimizer step, each step's tensors in its own manager, a shutdown check before every step and a
 * progress report after it.
 */
final class EpochLoop {

  /** Forward and backward of one micro-batch; returns its mean loss. */
  interface MicroStep {
    float run(NDManager m, int[] examples, double share);
  }

  /** What an epoch's steps measured: mean training loss per example, and throughput. */
  record Result(double loss, double samplesPerSecond) {}

  private EpochLoop() {}

  /** The padded batch of the examples {@code idx} of {@code train}. */
  static RelationEncoder.Batch collate(List<Encoded> train, int[] idx, int padId) {
    List<Encoded> items = new ArrayList<>(idx.length);
    for (int i : idx) {
      items.add(train.get(i));
    }
    return RelationEncoder.collate(items, padId);
  }

  /** Optimizer steps per epoch for {@code examples} training examples. */
  static int stepsPerEpoch(TrainingSpec t, int examples) {
    int microBatches = (examples + t.batchSize() - 1) / t.batchSize();
    return (microBatches + t.gradientAccumulationSteps() - 1) / t.gradientAccumulationSteps();
  }

  /**
   * Runs epoch {@code epoch} of {@code epochs}. {@code stopped} builds the exception thrown when a
   * shutdown has begun, from the 1-based step that would have run next.
   */
  static Result run(
      TrainingSpec t,
      int epoch,
      int epochs,
      RelationModel model,
      List<Encoded> train,
      Random shuffle,
      AdamW opt,
      LinearSchedule schedule,
      ShutdownGuard guard,
      IntFunction<RuntimeException> stopped,
      MicroStep micro,
      Consumer<ProgressSink.StepProgress> progress) {
    long started = System.nanoTime();
    int batchSize = t.batchSize();
    int accum = t.gradientAccumulationSteps();
    int steps = stepsPerEpoch(t, train.size());
    List<int[]> batches =
        t.groupByLength()
            ? Batching.lengthGrouped(train, batchSize, shuffle)
            : Batching.random(train.size(), batchSize, shuffle);
    double lossSum = 0;
    int lossCount = 0;
    int seen = 0;
    int step = 0;
    for (int bi = 0; bi < batches.size(); bi += accum) {
      if (guard.stopping()) {
        throw stopped.apply(step + 1);
      }
      int groupEnd = Math.min(batches.size(), bi + accum);
      int groupSize = 0;
      for (int k = bi; k < groupEnd; k++) {
        groupSize += batches.get(k).length;
      }
      try (NDManager m = model.manager().newSubManager()) {
        for (int k = bi; k < groupEnd; k++) {
          int[] idx = batches.get(k);
          float loss = micro.run(m, idx, idx.length / (double) groupSize);
          lossSum += loss * idx.length;
          lossCount += idx.length;
        }
        TrainStep.optimizerStep(opt, schedule, t.maxGradNorm(), m);
      }
      seen += groupSize;
      step++;
      double elapsed = (System.nanoTime() - started) / 1e9;
      progress.accept(
          new ProgressSink.StepProgress(
              epoch,
              epochs,
              step,
              steps,
              lossSum / Math.max(1, lossCount),
              seen / Math.max(1e-9, elapsed),
              elapsed));
    }
    return new Result(
        lossSum / Math.max(1, lossCount),
        seen / Math.max(1e-9, (System.nanoTime() - started) / 1e9));
  }
}
