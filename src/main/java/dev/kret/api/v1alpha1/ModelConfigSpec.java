package dev.kret.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;

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
        Integer intermediateSize,
    @JsonPropertyDescription(
            "Standard deviation of the normal initialisation of the embedding tables (word,"
                + " position, token type); other weights use initializer_range 0.02 as in Hugging"
                + " Face. From scratch a wider table moves more slowly under AdamW relative to its"
                + " scale and overfits less; 0.02 is Hugging Face's initialisation, 1.0 PyTorch's"
                + " nn.Embedding default (bench/README.md has the sweep).")
        @Default("0.05")
        Double embeddingInitStd) {

  /** The default of {@link #embeddingInitStd()}, the best of a sweep on KLUE-RE from scratch. */
  public static final double DEFAULT_EMBEDDING_INIT_STD =
      (Double) SpecDefaults.defaultOf(ModelConfigSpec.class, "embeddingInitStd");

  static ModelConfigSpec defaults() {
    return new ModelConfigSpec(null, null, null, null, null);
  }

  public ModelConfigSpec withDefaults() {
    return SpecDefaults.fill(this);
  }
}
