package dev.kret.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;
import java.util.Optional;

/** Observed state of a FineTuneRun; written only by the operator. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record FineTuneRunStatus(
    @JsonPropertyDescription("The metadata.generation this status describes.")
        Long observedGeneration,
    @JsonPropertyDescription(
            "Derived one-word state: Pending, Training, Succeeded, Failed, Promoted.")
        String state,
    @JsonPropertyDescription("UpperCamelCase reason behind state (e.g. Unschedulable, OOMKilled).")
        String reason,
    @JsonPropertyDescription(
            "Conditions Running, Succeeded, Failed, Promoted, Reconciled (kubectl wait --for=condition=…).")
        List<Condition> conditions,
    @JsonPropertyDescription("Finished and requested epochs.") ProgressStatus progress,
    @JsonPropertyDescription("One entry per finished epoch, in epoch order.")
        List<EpochStatus> epochs,
    @JsonPropertyDescription("The best epoch so far by spec.objective.metric.") BestStatus best,
    @JsonPropertyDescription("The training Job and its failures.") TrainingStatus training,
    @JsonPropertyDescription("The serving endpoint this run promoted to.") ServingStatus serving) {

  public static final String PENDING = "Pending";
  public static final String TRAINING = "Training";
  public static final String SUCCEEDED = "Succeeded";
  public static final String FAILED = "Failed";
  public static final String PROMOTED = "Promoted";

  /** A status with nothing observed yet. */
  public static FineTuneRunStatus empty() {
    return new FineTuneRunStatus(null, null, null, List.of(), null, List.of(), null, null, null);
  }

  public Optional<Condition> condition(String type) {
    return conditions == null
        ? Optional.empty()
        : conditions.stream().filter(c -> type.equals(c.type())).findFirst();
  }
}
