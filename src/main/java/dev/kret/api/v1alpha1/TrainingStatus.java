package dev.kret.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** The training Job behind the run. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TrainingStatus(
    @JsonPropertyDescription("Name of the training Job.") String jobName,
    @JsonPropertyDescription("Training pods started so far (retries included).") Integer attempts,
    @JsonPropertyDescription("Last pod or Job failure; kept after a successful retry.")
        FailureStatus lastFailure,
    @JsonPropertyDescription(
            "Where the trainer runs, as it reported at start: device, libtorch version and flavor, GPUs visible.")
        String device) {

  public TrainingStatus(String jobName, Integer attempts, FailureStatus lastFailure) {
    this(jobName, attempts, lastFailure, null);
  }
}
