package dev.kret.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** How far training got. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ProgressStatus(
    @JsonPropertyDescription("Last finished epoch (0 before the first).") Integer epoch,
    @JsonPropertyDescription("Epochs requested by spec.training.epochs.") Integer totalEpochs) {}
