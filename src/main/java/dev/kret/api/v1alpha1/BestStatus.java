package dev.kret.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** The epoch that scored best on the objective metric. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BestStatus(
    @JsonPropertyDescription("Epoch number.") Integer epoch,
    @JsonPropertyDescription("Objective metric name.") String metric,
    @JsonPropertyDescription("Its value (×100 except eval_loss).") Double value,
    @JsonPropertyDescription("The epoch's model directory on the model volume.") String modelPath,
    @JsonPropertyDescription(
            "The model's size as the trainer reported it; sizes the predictor pod when spec.promotion.resources does not.")
        ModelShape model) {

  public BestStatus(Integer epoch, String metric, Double value, String modelPath) {
    this(epoch, metric, value, modelPath, null);
  }
}
