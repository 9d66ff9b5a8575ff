package dev.kret.train;

import dev.kret.api.v1alpha1.TrainingProgress;
import dev.kret.contract.ProgressWriter;
import dev.kret.model.DeviceChoice;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * Sends each epoch (masked-LM epochs too) and the summary to the run's progress ConfigMap, the only
 * channel from the trainer to the FineTuneRun's status. Paths are made relative to the model volume
 * root, as the contract wants. A transient API error is retried; one that persists is reported and
 * training goes on (metrics.jsonl and the termination message are the backstop).
 */
public final class ConfigMapSink implements ProgressSink {

  private static final int ATTEMPTS = 5;

  private final ProgressWriter writer;
  private final Path volumeRoot;
  private final PrintStream log;

  public ConfigMapSink(ProgressWriter writer, Path volumeRoot, PrintStream log) {
    this.writer = writer;
    this.volumeRoot = volumeRoot.toAbsolutePath();
    this.log = log;
  }

  /** {@code <namespace>/<run>/epoch-N} for a path under the volume root; other paths unchanged. */
  String relative(String modelPath) {
    Path p = Path.of(modelPath).toAbsolutePath();
    return p.startsWith(volumeRoot) ? volumeRoot.relativize(p).toString() : modelPath;
  }

  @Override
  public void epoch(EpochRecord r, boolean best) {
    TrainingProgress.Epoch e =
        new TrainingProgress.Epoch(
            r.epoch(),
            r.trainLoss(),
            r.evalLoss(),
            r.accuracy(),
            r.microF1(),
            r.auprc(),
            r.samplesPerSecond(),
            relative(r.modelPath()),
            r.finishedAt());
    retry("epoch " + r.epoch(), () -> writer.epoch(e));
  }

  @Override
  public void mlmEpoch(MlmEpoch r) {
    TrainingProgress.MlmEpoch e =
        new TrainingProgress.MlmEpoch(
            r.epoch(), r.epochs(), r.loss(), r.samplesPerSecond(), r.finishedAt());
    retry("masked-LM epoch " + r.epoch(), () -> writer.mlmEpoch(e));
  }

  /**
   * Where the trainer runs, for {@code status.training.device}; nothing when there is no device.
   */
  @Override
  public void device(DeviceChoice.Decision d) {
    if (!d.ok()) {
      return;
    }
    TrainingProgress.Device device =
        new TrainingProgress.Device(
            d.device().toString(),
            d.libtorch().version(),
            d.libtorch().flavor(),
            d.libtorch().gpus(),
            java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
    retry("device", () -> writer.device(device));
  }

  @Override
  public void finished(RunSummary s) {
    retry("summary", () -> writer.summary(toProgress(s)));
  }

  /** The summary as the contract spells it (also the termination message). */
  public TrainingProgress.Summary toProgress(RunSummary s) {
    return new TrainingProgress.Summary(
        s.bestEpoch(),
        s.metric(),
        s.value(),
        relative(s.modelPath()),
        s.epochsRun(),
        s.earlyStopped(),
        s.finishedAt(),
        s.model());
  }

  private void retry(String what, Runnable call) {
    long backoff = 500;
    for (int attempt = 1; ; attempt++) {
      try {
        call.run();
        return;
      } catch (KubernetesClientException e) {
        if (attempt == ATTEMPTS) {
          log.println(
              "warning: could not report "
                  + what
                  + " to the progress ConfigMap after "
                  + ATTEMPTS
                  + " attempts: "
                  + e.getMessage());
          return;
        }
        try {
          Thread.sleep(backoff);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return;
        }
        backoff *= 2;
      }
    }
  }
}
