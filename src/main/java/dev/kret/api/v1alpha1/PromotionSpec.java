package dev.kret.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import java.util.Objects;

/** Whether and where the best epoch is served once training succeeds. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PromotionSpec(
    @JsonPropertyDescription(
            "Auto serves the best epoch when it reaches minimum and beats the served model; Manual waits for kretctl promote.")
        @Default(DEFAULT_POLICY)
        @Pattern("^(Auto|Manual)$")
        String policy,
    @JsonPropertyDescription(
            "Name of the predictor Deployment and Service (shared by runs that compete for it).")
        @Pattern(SERVING_PATTERN)
        String serving,
    @JsonPropertyDescription("Threshold a model must reach to be promoted.") MinimumSpec minimum,
    @JsonPropertyDescription(
            "Set by kretctl promote under policy Manual: serve this run's best epoch even if the served model scores better (minimum still applies).")
        Boolean approved,
    @JsonPropertyDescription(
            "CPU and memory of each predictor pod; by default derived from the served model's size and input length.")
        PredictorResourcesSpec resources) {

  public static final String DEFAULT_POLICY = "Auto";

  /**
   * A DNS-1035 label of at most 63 characters: it names a Service, which must start with a letter
   * (a name such as {@code 1-re} passed the schema and failed only when the Service was created).
   */
  public static final String SERVING_PATTERN = "^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$";

  public PromotionSpec(String policy, String serving, MinimumSpec minimum) {
    this(policy, serving, minimum, null, null);
  }

  public PromotionSpec(String policy, String serving, MinimumSpec minimum, Boolean approved) {
    this(policy, serving, minimum, approved, null);
  }

  public PromotionSpec withDefaults() {
    PromotionSpec d = SpecDefaults.fill(this);
    return new PromotionSpec(
        d.policy, serving, minimum, Objects.requireNonNullElse(approved, false), resources);
  }
}
