package dev.kret.train;

import dev.kret.api.v1alpha1.ModelShape;

/** The end of a run, as {@code summary.json} and the termination message carry it. */
public record RunSummary(
    int bestEpoch,
    String metric,
    double value,
    String modelPath,
    int epochsRun,
    boolean earlyStopped,
    String finishedAt,
    ModelShape model) {}
