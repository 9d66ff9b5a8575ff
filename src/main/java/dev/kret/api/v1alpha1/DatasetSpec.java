package dev.kret.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.ValidationRule;

/** Where the KLUE-RE data comes from. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "self == oldSelf",
    message = "dataset is immutable; create a new FineTuneRun")
public record DatasetSpec(
    @JsonPropertyDescription(
            "Training data (KLUE-RE JSON): klue-re:v1.1/train (the official file, downloaded and checked against its git blob id), a path, file://, pvc://claim/path, http(s):// URL, or builtin:klue-re-sample (the bundled sample).")
        @Default(DEFAULT_TRAIN)
        String train,
    @JsonPropertyDescription(
            "Validation data, evaluated after every epoch; same forms as train (klue-re:v1.1/dev, builtin:klue-re-sample/validation).")
        @Default(DEFAULT_VALIDATION)
        String validation,
    @JsonPropertyDescription("Skip and count invalid rows instead of failing on the first one.")
        @Default("false")
        Boolean skipInvalid) {

  public static final String DEFAULT_TRAIN = "builtin:klue-re-sample";
  public static final String DEFAULT_VALIDATION = "builtin:klue-re-sample/validation";

  /** The official KLUE-RE v1.1 files by name (resolved and checked by dev.kret.hub.KlueReFile). */
  public static final String KLUE_RE_TRAIN = "klue-re:v1.1/train";

  public static final String KLUE_RE_DEV = "klue-re:v1.1/dev";

  static DatasetSpec defaults() {
    return new DatasetSpec(null, null, null);
  }

  public DatasetSpec withDefaults() {
    return SpecDefaults.fill(this);
  }
}
