package dev.kret.train;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.kret.api.v1alpha1.Metric;

/**
 * One finished epoch, exactly as the progress ConfigMap key {@code epoch-NNNN.json} and
 * metrics.jsonl carry it (metrics ×100 like the official scorer).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record EpochRecord(
    int epoch,
    double trainLoss,
    double evalLoss,
    double accuracy,
    double microF1,
    double auprc,
    double samplesPerSecond,
    String modelPath,
    String finishedAt)
    implements Metric.Scores {

  /** The value of an objective metric name (accuracy, micro_f1, auprc, eval_loss). */
  public double metric(String name) {
    return Metric.find(name)
        .orElseThrow(() -> new IllegalArgumentException("unknown metric " + name))
        .of(this);
  }

  /** The ConfigMap key for this epoch. */
  public String key() {
    return String.format("epoch-%04d.json", epoch);
  }
}
