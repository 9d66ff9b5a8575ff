package dev.kret.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;

/** Which validation metric selects the best epoch and drives early stopping. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "self == oldSelf",
    message = "objective is immutable; create a new FineTuneRun")
public record ObjectiveSpec(
    @JsonPropertyDescription(
            "accuracy, micro_f1 (official, without no_relation), auprc (official) or eval_loss (lower is better).")
        @Default(DEFAULT_METRIC)
        @Pattern("^(accuracy|micro_f1|auprc|eval_loss)$")
        String metric) {

  public static final String DEFAULT_METRIC = "micro_f1";

  static ObjectiveSpec defaults() {
    return new ObjectiveSpec(null);
  }

  public ObjectiveSpec withDefaults() {
    return SpecDefaults.fill(this);
  }
}
