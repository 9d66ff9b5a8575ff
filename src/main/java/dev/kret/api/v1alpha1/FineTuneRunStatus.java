package dev.kret.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Observed state of a FineTuneRun; written only by the operator. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class FineTuneRunStatus {
  @JsonPropertyDescription(
      "Derived one-word state: Pending, Training, Succeeded, Failed, Promoted.")
  public String state;

  @JsonPropertyDescription("The metadata.generation this status describes.")
  public Long observedGeneration;
}
