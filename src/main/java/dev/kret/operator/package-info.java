/**
 * The operator ({@code kretctl operator}): the FineTuneRun reconciler and its dependents (the
 * training Job, the progress ConfigMap, the trainer's RBAC), the status as a pure function of what
 * was observed, the events it deserves, and the promotion of a run's best epoch to the predictor
 * Deployment and Service.
 *
 * <p>A role: imports {@code contract}, {@code api} and the libraries ({@code model}, {@code text},
 * {@code data}, {@code metrics}, {@code hub}); never {@code train}, {@code serve} or {@code cli}.
 * Its picocli command lives in {@code cli}.
 */
package dev.kret.operator;
