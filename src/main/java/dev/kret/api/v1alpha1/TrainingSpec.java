package dev.kret.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.ValidationRule;

/** Optimisation hyperparameters (the Hugging Face Trainer's names where they exist). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "self == oldSelf",
    message = "training is immutable; create a new FineTuneRun")
public record TrainingSpec(
    @JsonPropertyDescription("Passes over the training data.") @Default("10") @Min(1)
        Integer epochs,
    @JsonPropertyDescription("Examples per optimizer step (before accumulation).")
        @Default("32")
        @Min(1)
        Integer batchSize,
    @JsonPropertyDescription("Peak AdamW learning rate; must be > 0.")
        @Default("2.0e-5")
        @Min(value = 0, inclusive = false)
        Double learningRate,
    @JsonPropertyDescription(
            "Decoupled AdamW weight decay; biases and LayerNorm weights are never decayed.")
        @Default("0.01")
        @Min(0)
        Double weightDecay,
    @JsonPropertyDescription("Fraction of steps with linear warmup before linear decay to 0.")
        @Default("0.1")
        @Min(0)
        @Max(1)
        Double warmupRatio,
    @JsonPropertyDescription("Global L2 gradient-norm clip; 0 disables.") @Default("1.0") @Min(0)
        Double maxGradNorm,
    @JsonPropertyDescription("Seed for initialisation, shuffling and dropout.") @Default("42")
        Long seed,
    @JsonPropertyDescription("Stop after this many epochs without improvement; 0 disables.")
        @Default("3")
        @Min(0)
        Integer earlyStoppingPatience,
    @JsonPropertyDescription("Micro-batches accumulated per optimizer step.") @Default("1") @Min(1)
        Integer gradientAccumulationSteps,
    @JsonPropertyDescription(
            "Dropout of hidden states and attention; unset takes the model's config.")
        @Min(0)
        @Max(1)
        Double dropout,
    @JsonPropertyDescription(
            "Batch examples of similar length together (Hugging Face group_by_length): less"
                + " padding, faster epochs; false draws batches uniformly at random.")
        @Default("true")
        Boolean groupByLength,
    @JsonPropertyDescription(
            "Masked-language-model epochs on the training inputs before fine-tuning (task-adaptive"
                + " pretraining, as Hugging Face's run_mlm.py does it; the labels are not used),"
                + " with the same learning rate, warmup, weight decay and clipping; 0 disables.")
        @Default("0")
        @Min(0)
        Integer mlmEpochs,
    @JsonPropertyDescription(
            "Share of tokens masked-LM training predicts (Hugging Face mlm_probability): of"
                + " those, 80% are replaced by the mask token, 10% by a random token, 10% kept.")
        @Default("0.15")
        @Min(value = 0, inclusive = false)
        @Max(value = 1, inclusive = false)
        Double mlmProbability) {

  static TrainingSpec defaults() {
    return new TrainingSpec(
        null, null, null, null, null, null, null, null, null, null, null, null, null);
  }

  public TrainingSpec withDefaults() {
    return SpecDefaults.fill(this);
  }
}
