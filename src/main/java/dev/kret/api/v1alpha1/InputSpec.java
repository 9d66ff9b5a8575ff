package dev.kret.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;

/** How an example becomes model input. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "self == oldSelf", message = "input is immutable; create a new FineTuneRun")
public record InputSpec(
    @JsonPropertyDescription(
            "Maximum tokens per example incl. [CLS]/[SEP]; longer sentences keep a window around both entities.")
        @Default("256")
        @Min(16)
        @Max(512)
        Integer maxLength,
    @JsonPropertyDescription(
            "Entity markers: none (bare sentence), entity (<subj>…</subj>), typed (<subj:PER>…), typed-punct (@ * PER * … @).")
        @Default(DEFAULT_MARKERS)
        @Pattern("^(none|entity|typed|typed-punct)$")
        String entityMarkers,
    @JsonPropertyDescription(
            "Classification head: cls (HF RobertaClassificationHead on [CLS]) or entity-start (both entities' first marker states).")
        @Default(DEFAULT_HEAD)
        @Pattern("^(cls|entity-start)$")
        String head) {

  public static final String DEFAULT_MARKERS = "typed-punct";
  public static final String DEFAULT_HEAD = "entity-start";

  static InputSpec defaults() {
    return new InputSpec(null, null, null);
  }

  public InputSpec withDefaults() {
    return SpecDefaults.fill(this);
  }
}
