package dev.kret.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** One finished epoch's validation results; metrics ×100 like the official KLUE scorer. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record EpochStatus(
    @JsonPropertyDescription("Epoch number, from 1.") Integer epoch,
    @JsonPropertyDescription("Mean training loss over the epoch.") Double trainLoss,
    @JsonPropertyDescription("Mean validation loss.") Double evalLoss,
    @JsonPropertyDescription("Validation accuracy ×100.") Double accuracy,
    @JsonPropertyDescription("Validation micro-F1 without no_relation ×100.") Double microF1,
    @JsonPropertyDescription("Validation AUPRC ×100.") Double auprc,
    @JsonPropertyDescription("Training throughput.") Double samplesPerSecond,
    @JsonPropertyDescription("The epoch's model directory on the model volume.") String modelPath,
    @JsonPropertyDescription("When the epoch finished (RFC 3339).") String time) {

  /** The value of an objective metric name (accuracy, micro_f1, auprc, eval_loss), or null. */
  public Double metric(String name) {
    return Metric.find(name).map(m -> m.of(this)).orElse(null);
  }
}
