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
   * What every epoch of one phase (fine-tuning, or masked-LM) shares: the spec's training section,
   * the phase's epoch count, the model and its training inputs, the optimizer and schedule, the
   * shutdown guard, and where step progress goes.
   */
  record Phase(
      TrainingSpec t,
      int epochs,
      RelationModel model,
      List<Encoded> train,
      AdamW opt,
      LinearSchedule schedule,
      ShutdownGuard guard,
      Consumer<ProgressSink.StepProgress> progress) {}

  /**
   * Runs epoch {@code epoch} of the phase: its batches drawn from {@code shuffle}, then one
   * optimizer step per group of {@code gradientAccumulationSteps} micro-batches, each followed by a
   * progress report. {@code stopped} builds the exception thrown when a shutdown has begun, from
   * the 1-based step that would have run next.
   */
  static Result run(
      Phase phase,
      int epoch,
      Random shuffle,
      IntFunction<RuntimeException> stopped,
      MicroStep micro) {
    TrainingSpec t = phase.t();
    long started = System.nanoTime();
    int accum = t.gradientAccumulationSteps();
    int steps = stepsPerEpoch(t, phase.train().size());
    List<int[]> batches = batches(t, phase.train(), shuffle);
    Totals totals = new Totals();
    int step = 0;
    for (int bi = 0; bi < batches.size(); bi += accum) {
      if (phase.guard().stopping()) {
        throw stopped.apply(step + 1);
      }
      optimizerStep(
          phase, batches.subList(bi, Math.min(batches.size(), bi + accum)), micro, totals);
      step++;
      double elapsed = (System.nanoTime() - started) / 1e9;
      phase
          .progress()
          .accept(
              new ProgressSink.StepProgress(
                  epoch,
                  phase.epochs(),
                  step,
                  steps,
                  totals.meanLoss(),
                  totals.seen / Math.max(1e-9, elapsed),
                  elapsed));
    }
    return new Result(
        totals.meanLoss(), totals.seen / Math.max(1e-9, (System.nanoTime() - started) / 1e9));
  }

  /** The epoch's batches: length-grouped, or drawn uniformly at random. */
  private static List<int[]> batches(TrainingSpec t, List<Encoded> train, Random shuffle) {
    return t.groupByLength()
        ? Batching.lengthGrouped(train, t.batchSize(), shuffle)
        : Batching.random(train.size(), t.batchSize(), shuffle);
  }

  /** Losses and examples so far in an epoch. */
  private static final class Totals {
    double lossSum;
    int lossCount;
    int seen;

    double meanLoss() {
      return lossSum / Math.max(1, lossCount);
    }
  }

  /**
   * One optimizer step over a group of micro-batches, their tensors in one manager: each
   * micro-batch's loss is weighted by its share of the group's examples.
   */
  private static void optimizerStep(
      Phase phase, List<int[]> group, MicroStep micro, Totals totals) {
    int groupSize = 0;
    for (int[] idx : group) {
      groupSize += idx.length;
    }
    try (NDManager m = phase.model().manager().newSubManager()) {
      for (int[] idx : group) {
        float loss = micro.run(m, idx, idx.length / (double) groupSize);
        totals.lossSum += loss * idx.length;
        totals.lossCount += idx.length;
      }
      TrainStep.optimizerStep(phase.opt(), phase.schedule(), phase.t().maxGradNorm(), m);
    }
    totals.seen += groupSize;
  }
}
