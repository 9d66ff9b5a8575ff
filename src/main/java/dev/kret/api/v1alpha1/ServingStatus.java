package dev.kret.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** What this run's promotion put behind the serving endpoint. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ServingStatus(
    @JsonPropertyDescription("Name of the predictor Deployment and Service.") String name,
    @JsonPropertyDescription("In-cluster URL of the prediction endpoint.") String url,
    @JsonPropertyDescription("Model directory being served.") String activeModel,
    @JsonPropertyDescription("Model directory served before; kretctl rollback restores it.")
        String previousModel) {}
