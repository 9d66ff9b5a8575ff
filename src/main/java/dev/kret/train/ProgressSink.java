package dev.kret.train;

import dev.kret.model.DeviceChoice;

/**
 * Receives a run's progress; the console, metrics.jsonl and the progress ConfigMap implement it.
 */
public interface ProgressSink {

  /**
   * A line for the run's log that is no progress record: what loading the checkpoint did, where the
   * masked-LM head came from.
   */
  default void note(String line) {}

  /** Called once before the first step (also after a resume). */
  default void started(RunPlan plan) {}

  /**
   * Called first, once the device is decided: the device, why, and libtorch's version, flavor and
   * GPU count.
   */
  default void device(DeviceChoice.Decision decision) {}

  /** Called about once a second during an epoch. */
  default void step(StepProgress progress) {}

  /** Called about once a second during a masked-LM epoch ({@code spec.training.mlmEpochs}). */
  default void mlmStep(StepProgress progress) {}

  /** Called after each masked-LM epoch, before fine-tuning starts. */
  default void mlmEpoch(MlmEpoch record) {}

  /** Called after each finished, evaluated and saved epoch. */
  void epoch(EpochRecord record, boolean best);

  /** Called once when the run ends. */
  default void finished(RunSummary summary) {}

  /**
   * Called when the run stops early because the process is shutting down (SIGTERM), before the
   * shutdown may proceed: the last chance to say so.
   */
  default void stopped(String message) {}

  /** What a run is about to do. */
  record RunPlan(
      String name,
      int totalEpochs,
      int startEpoch,
      int stepsPerEpoch,
      int trainExamples,
      int validationExamples,
      long parameters,
      String device) {}

  /** A finished masked-LM epoch: its mean loss over the masked tokens of each batch. */
  record MlmEpoch(int epoch, int epochs, double loss, double samplesPerSecond, String finishedAt) {}

  /** A snapshot of the current epoch. */
  record StepProgress(
      int epoch,
      int totalEpochs,
      int step,
      int steps,
      double loss,
      double samplesPerSecond,
      double elapsedSeconds) {

    /** Seconds left in this epoch at the pace so far. */
    public double etaSeconds() {
      return step == 0 ? 0 : elapsedSeconds / step * (steps - step);
    }
  }
}
