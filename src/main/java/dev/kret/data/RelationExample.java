package dev.kret.data;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/** One KLUE-RE row in its official shape; {@code label} is null for unlabelled queries. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RelationExample(
    @JsonProperty("guid") String guid,
    @JsonProperty("sentence") String sentence,
    @JsonProperty("subject_entity") Entity subject,
    @JsonProperty("object_entity") Entity object,
    @JsonProperty("label") String label,
    @JsonProperty("source") String source) {}
