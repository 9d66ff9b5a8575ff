package dev.kret.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;

/** The least a model must score to be served. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record MinimumSpec(
    @JsonPropertyDescription(
            "accuracy, micro_f1 or auprc (x100, like the official scorer); unset means the objective metric.")
        @Pattern("^(accuracy|micro_f1|auprc|eval_loss)$")
        String metric,
    @JsonPropertyDescription("Threshold; eval_loss must be at most this, other metrics at least.")
        Double value) {}
