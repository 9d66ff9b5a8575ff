package dev.kret.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/**
 * The size of a trained model, as the trainer reports it in {@code summary.json}: what the operator
 * needs to size a predictor pod (its weights, and the activations of one layer for a batch at the
 * model's input length) without reading the model volume.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record ModelShape(
    @JsonPropertyDescription("Parameters (float32 weights).") Long parameters,
    @JsonPropertyDescription("Encoder layers.") Integer layers,
    @JsonPropertyDescription("Hidden size.") Integer hiddenSize,
    @JsonPropertyDescription("Attention heads.") Integer heads,
    @JsonPropertyDescription("Feed-forward size.") Integer intermediateSize,
    @JsonPropertyDescription("Input length in tokens the model is served at.") Integer maxLength) {

  /** Largest values the operator believes: beyond them a report is taken as no report. */
  static final long MAX_PARAMETERS = 100_000_000_000L;

  static final int MAX_DIMENSION = 1 << 16;

  /**
   * True when every field is present, positive and within bounds, so that sizes computed from it
   * cannot overflow. The trainer writes this; the operator checks it before using it.
   */
  public boolean plausible() {
    return parameters != null
        && parameters > 0
        && parameters <= MAX_PARAMETERS
        && within(layers)
        && within(hiddenSize)
        && within(heads)
        && within(intermediateSize)
        && within(maxLength);
  }

  private static boolean within(Integer v) {
    return v != null && v > 0 && v <= MAX_DIMENSION;
  }
}
