package dev.kret.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** One aspect of a run's state, with metav1.Condition semantics. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Condition(
    @JsonPropertyDescription("Condition type: Running, Succeeded, Failed, Promoted or Reconciled.")
        String type,
    @JsonPropertyDescription("True, False or Unknown.") String status,
    @JsonPropertyDescription("UpperCamelCase machine-readable cause of the last transition.")
        String reason,
    @JsonPropertyDescription("Human-readable details.") String message,
    @JsonPropertyDescription("When status last changed (RFC 3339); unchanged by reason updates.")
        String lastTransitionTime,
    @JsonPropertyDescription("The metadata.generation this condition was computed from.")
        Long observedGeneration) {

  public static final String TRUE = "True";
  public static final String FALSE = "False";
  public static final String UNKNOWN = "Unknown";

  @JsonIgnore
  public boolean isTrue() {
    return TRUE.equals(status);
  }
}
