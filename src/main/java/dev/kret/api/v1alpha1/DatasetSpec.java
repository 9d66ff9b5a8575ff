package dev.kret.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.Objects;

/** Where the KLUE-RE data comes from. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "self == oldSelf",
    message = "dataset is immutable; create a new FineTuneRun")
public record DatasetSpec(
    @JsonPropertyDescription(
            "Training data: a path, file://, http(s):// URL, or builtin:klue-re-sample (bundled sample).")
        @Default(DEFAULT_TRAIN)
        String train,
    @JsonPropertyDescription("Validation data, evaluated after every epoch; same forms as train.")
        @Default(DEFAULT_VALIDATION)
        String validation,
    @JsonPropertyDescription("Skip and count invalid rows instead of failing on the first one.")
        @Default("false")
        Boolean skipInvalid) {

  public static final String DEFAULT_TRAIN = "builtin:klue-re-sample";
  public static final String DEFAULT_VALIDATION = "builtin:klue-re-sample/validation";

  static DatasetSpec defaults() {
    return new DatasetSpec(null, null, null);
  }

  public DatasetSpec withDefaults() {
    return new DatasetSpec(
        Objects.requireNonNullElse(train, DEFAULT_TRAIN),
        Objects.requireNonNullElse(validation, DEFAULT_VALIDATION),
        Objects.requireNonNullElse(skipInvalid, false));
  }
}
