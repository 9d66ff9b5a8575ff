package dev.kret.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Credentials the trainer needs; their values never appear in status, events or logs. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SecretsSpec(
    @JsonPropertyDescription(
            "Hugging Face token for gated or private models, passed to the trainer as HF_TOKEN.")
        SecretKeyRef hubToken) {}
