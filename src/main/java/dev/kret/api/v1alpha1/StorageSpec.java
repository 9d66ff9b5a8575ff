package dev.kret.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.ValidationRule;

/** The model volume shared by the trainer and the predictor. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "self == oldSelf",
    message = "storage is immutable; create a new FineTuneRun")
public record StorageSpec(
    @JsonPropertyDescription(
            "PersistentVolumeClaim mounted at /models; runs write <namespace>/<run>/epoch-N/ there.")
        @Default(DEFAULT_CLAIM)
        String claimName) {

  public static final String DEFAULT_CLAIM = "kret-models";

  static StorageSpec defaults() {
    return new StorageSpec(null);
  }

  public StorageSpec withDefaults() {
    return SpecDefaults.fill(this);
  }
}
