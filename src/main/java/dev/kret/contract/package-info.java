/**
 * The contract the operator, the trainer and the CLI share, beside the CRD types of {@code
 * dev.kret.api.v1alpha1}: the labels and annotations on what the operator creates ({@link
 * dev.kret.contract.Labels}, {@link dev.kret.contract.Annotations}), the reasons it writes into
 * conditions and events ({@link dev.kret.contract.Reason}), the progress ConfigMap's keys and their
 * writer ({@link dev.kret.contract.ProgressKeys}, {@link dev.kret.contract.ProgressWriter}), and
 * the exit codes of every command ({@link dev.kret.contract.ExitCodes}).
 *
 * <p>Imports nothing of kret but {@code dev.kret.api}: the operator, the trainer and the CLI all
 * read it, so it can depend on none of them.
 */
package dev.kret.contract;
