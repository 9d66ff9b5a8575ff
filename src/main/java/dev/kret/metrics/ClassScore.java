package dev.kret.metrics;

/**
 * One class's precision, recall and F1 as fractions in [0, 1] (sklearn's convention, zero when
 * undefined), and its gold support.
 */
public record ClassScore(String label, double precision, double recall, double f1, int support) {}
