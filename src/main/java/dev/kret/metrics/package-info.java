/**
 * The official KLUE-RE metrics (accuracy, micro-F1 without no_relation, AUPRC), reproducing the
 * KLUE baseline's scikit-learn computation ({@link dev.kret.metrics.ReMetrics}).
 *
 * <p>A library below the roles: imports {@code data} and {@code api} at most, never {@code model},
 * {@code train}, {@code serve}, {@code operator} or {@code cli}.
 */
package dev.kret.metrics;
