package dev.kret.data;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One entity mention of a KLUE-RE example; offsets are code-point indices into the sentence, end
 * inclusive, as in the official JSON.
 */
public record Entity(
    @JsonProperty("word") String word,
    @JsonProperty("start_idx") int start,
    @JsonProperty("end_idx") int end,
    @JsonProperty("type") String type) {}
