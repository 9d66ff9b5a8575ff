package dev.kret.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** What to fine-tune, on what data, how, and where the result is served. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record FineTuneRunSpec(
    @JsonPropertyDescription("The base model: a hub name, a URI, or a from-scratch configuration.")
        ModelSpec model,
    @JsonPropertyDescription("Training and validation data in KLUE-RE's official JSON.")
        DatasetSpec dataset,
    @JsonPropertyDescription("How a sentence and its two entities become model input.")
        InputSpec input,
    @JsonPropertyDescription("Optimisation hyperparameters.") TrainingSpec training,
    @JsonPropertyDescription("The metric that picks the best epoch.") ObjectiveSpec objective,
    @JsonPropertyDescription("GPUs, CPU, memory and placement of the training pod.")
        ResourcesSpec resources,
    @JsonPropertyDescription("The model volume.") StorageSpec storage,
    @JsonPropertyDescription("Secrets the trainer reads (by reference only).") SecretsSpec secrets,
    @JsonPropertyDescription("Whether and where the best model is served; absent means never.")
        PromotionSpec promotion) {

  @JsonCreator
  public FineTuneRunSpec {}

  /** The training-only part of a spec, as the trainer builds it for {@code --local} runs. */
  public FineTuneRunSpec(
      ModelSpec model,
      DatasetSpec dataset,
      InputSpec input,
      TrainingSpec training,
      ObjectiveSpec objective) {
    this(model, dataset, input, training, objective, null, null, null, null);
  }

  /** The same spec with {@code promotion} replaced. */
  public FineTuneRunSpec withPromotion(PromotionSpec p) {
    return new FineTuneRunSpec(
        model, dataset, input, training, objective, resources, storage, secrets, p);
  }

  /** The same spec with {@code dataset} replaced. */
  public FineTuneRunSpec withDataset(DatasetSpec d) {
    return new FineTuneRunSpec(
        model, d, input, training, objective, resources, storage, secrets, promotion);
  }

  /** The spec with every unset field at its documented default. */
  public FineTuneRunSpec withDefaults() {
    return new FineTuneRunSpec(
        Objects.requireNonNullElseGet(model, ModelSpec::defaults).withDefaults(),
        Objects.requireNonNullElseGet(dataset, DatasetSpec::defaults).withDefaults(),
        Objects.requireNonNullElseGet(input, InputSpec::defaults).withDefaults(),
        Objects.requireNonNullElseGet(training, TrainingSpec::defaults).withDefaults(),
        Objects.requireNonNullElseGet(objective, ObjectiveSpec::defaults).withDefaults(),
        Objects.requireNonNullElseGet(resources, ResourcesSpec::defaults).withDefaults(),
        Objects.requireNonNullElseGet(storage, StorageSpec::defaults).withDefaults(),
        secrets,
        promotion == null ? null : promotion.withDefaults());
  }
}
