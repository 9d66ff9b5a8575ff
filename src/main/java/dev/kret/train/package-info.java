/**
 * Training ({@code kretctl train}, locally or inside the operator's Job): the fine-tuning loop
 * ({@link dev.kret.train.FineTuner}) with its steps, optimiser, schedule, masked-LM pretraining and
 * checkpoints, and the progress sinks (console, metrics.jsonl, the progress ConfigMap).
 *
 * <p>A role: imports {@code contract}, {@code api} and the libraries ({@code model}, {@code text},
 * {@code data}, {@code metrics}, {@code hub}); never {@code serve}, {@code operator} or {@code
 * cli}. Its picocli commands live in {@code cli}.
 */
package dev.kret.train;
