package dev.kret.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** The most recent failure of a training pod or Job. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record FailureStatus(
    @JsonPropertyDescription("UpperCamelCase root cause, e.g. OOMKilled or InvalidConfiguration.")
        String reason,
    @JsonPropertyDescription("Exit code of the trainer container, when it terminated.")
        Integer exitCode,
    @JsonPropertyDescription("Details from the pod or Job.") String message,
    @JsonPropertyDescription("When it was observed (RFC 3339).") String time) {}
