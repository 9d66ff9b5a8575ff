package dev.kret.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import java.util.Objects;

/** Encoder dimensions for a model trained from scratch (RoBERTa layout). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelConfigSpec(
    @JsonPropertyDescription("Width of every token state.") @Default("128") @Min(8)
        Integer hiddenSize,
    @JsonPropertyDescription("Number of transformer layers.") @Default("2") @Min(1)
        Integer numLayers,
    @JsonPropertyDescription("Attention heads per layer; must divide hiddenSize.")
        @Default("4")
        @Min(1)
        Integer numHeads,
    @JsonPropertyDescription("Width of the feed-forward layer.") @Default("512") @Min(1)
        Integer intermediateSize) {

  static ModelConfigSpec defaults() {
    return new ModelConfigSpec(null, null, null, null);
  }

  public ModelConfigSpec withDefaults() {
    return new ModelConfigSpec(
        Objects.requireNonNullElse(hiddenSize, 128),
        Objects.requireNonNullElse(numLayers, 2),
        Objects.requireNonNullElse(numHeads, 4),
        Objects.requireNonNullElse(intermediateSize, 512));
  }
}
