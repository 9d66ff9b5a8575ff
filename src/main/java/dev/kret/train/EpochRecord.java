package dev.kret.train;

import com.fasterxml.jackson.annotation.JsonInclude;

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
    String finishedAt) {

  /** The value of an objective metric name (accuracy, micro_f1, auprc, eval_loss). */
  public double metric(String name) {
    return switch (name) {
      case "accuracy" -> accuracy;
      case "micro_f1" -> microF1;
      case "auprc" -> auprc;
      case "eval_loss" -> evalLoss;
      default -> throw new IllegalArgumentException("unknown metric " + name);
    };
  }

  /** The ConfigMap key for this epoch. */
  public String key() {
    return String.format("epoch-%04d.json", epoch);
  }
}
