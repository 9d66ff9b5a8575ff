package dev.kret.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.Objects;

/** The base model to fine-tune. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "self == oldSelf", message = "model is immutable; create a new FineTuneRun")
public record ModelSpec(
    @JsonPropertyDescription(
            "Hugging Face hub name (e.g. klue/roberta-base); ignored when uri is set or init is random.")
        String name,
    @JsonPropertyDescription("Hub revision (branch, tag or commit) of name.")
        @Default(DEFAULT_REVISION)
        String revision,
    @JsonPropertyDescription(
            "Model directory by URI instead of name: file://, pvc://claim/path, https://base/url/, hf://org/name@rev.")
        String uri,
    @JsonPropertyDescription(
            "pretrained loads the weights of name/uri; random starts from scratch with config and tokenizer.")
        @Default(DEFAULT_INIT)
        String init,
    @JsonPropertyDescription(
            "Tokenizer for init=random: builtin:klue-roberta-base or a model directory URI.")
        String tokenizer,
    @JsonPropertyDescription("Encoder size for init=random.") ModelConfigSpec config) {

  public static final String DEFAULT_NAME = "klue/roberta-base";
  public static final String DEFAULT_REVISION = "main";
  public static final String DEFAULT_INIT = "pretrained";
  public static final String DEFAULT_TOKENIZER = "builtin:klue-roberta-base";

  static ModelSpec defaults() {
    return new ModelSpec(null, null, null, null, null, null);
  }

  /** True when the run starts from random weights rather than a checkpoint. */
  public boolean fromScratch() {
    return "random".equals(init);
  }

  public ModelSpec withDefaults() {
    ModelSpec d = SpecDefaults.fill(this);
    boolean random = "random".equals(d.init);
    return new ModelSpec(
        name == null && uri == null && !random ? DEFAULT_NAME : name,
        d.revision,
        uri,
        d.init,
        random ? Objects.requireNonNullElse(tokenizer, DEFAULT_TOKENIZER) : tokenizer,
        random
            ? Objects.requireNonNullElseGet(config, ModelConfigSpec::defaults).withDefaults()
            : config);
  }
}
