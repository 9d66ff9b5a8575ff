package dev.kret.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;

/**
 * CPU and memory of each predictor pod, overriding the sizes the operator derives from the model
 * (its weights and one layer's activations of a full batch at its input length).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PredictorResourcesSpec(
    @JsonPropertyDescription(
            "CPU request of each predictor pod (a Kubernetes quantity; the limit is twice it). Default: from the model's size.")
        @Pattern(ResourcesSpec.QUANTITY)
        String cpu,
    @JsonPropertyDescription(
            "Memory request and limit of each predictor pod (a Kubernetes quantity). Default: the model's weights, one layer's activations of a full batch at its input length, and the runtime.")
        @Pattern(ResourcesSpec.QUANTITY)
        String memory) {}
