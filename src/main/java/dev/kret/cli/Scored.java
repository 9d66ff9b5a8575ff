package dev.kret.cli;

import java.util.List;

/** Probabilities [n][labels] and the label order: what predict prints or writes. */
record Scored(List<String> labels, float[][] p) {}
