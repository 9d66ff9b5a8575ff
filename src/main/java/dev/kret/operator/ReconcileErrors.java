package dev.kret.operator;

import dev.kret.api.v1alpha1.Condition;
import dev.kret.api.v1alpha1.FineTuneRun;
import dev.kret.api.v1alpha1.FineTuneRunStatus;
import dev.kret.contract.Reason;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.AggregatedOperatorException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A reconcile that threw, as the run shows it: the API server refusing an owned object (a 403 from
 * RBAC, a 422 from validation) must reach the run's status and an event, not only the operator's
 * log. It sets the {@value #CONDITION} condition to False with reason {@link Reason#ReconcileError}
 * and the API server's message, and {@code status.reason}; state, epochs and the other conditions
 * stay as they were. The next reconcile that gets through flips the condition back to True ({@link
 * #cleared}).
 */
public final class ReconcileErrors {
  /** Condition type: False while the operator cannot create or update what the run needs. */
  public static final String CONDITION = "Reconciled";

  private ReconcileErrors() {}

  /**
   * The one handler of a reconcile that threw: a Warning event with the API server's words, and the
   * run's status with the error recorded; empty when the status says so already.
   */
  public static Optional<FineTuneRunStatus> handle(
      FineTuneRun run, Exception e, Instant now, EventRecorder events) {
    String message = message(e);
    FineTuneRunStatus prior = run.getStatus();
    Long generation = run.getMetadata().getGeneration();
    FineTuneRunStatus next = failed(prior, generation == null ? 0 : generation, message, now);
    events.record(run, Reason.ReconcileError, message);
    return next.equals(prior) ? Optional.empty() : Optional.of(next);
  }

  /** One line per failed dependent or cause: what failed and the API server's words. */
  public static String message(Exception e) {
    List<String> parts = new ArrayList<>();
    if (e instanceof AggregatedOperatorException agg && !agg.getAggregatedExceptions().isEmpty()) {
      for (Map.Entry<String, Exception> entry : agg.getAggregatedExceptions().entrySet()) {
        parts.add(entry.getKey() + ": " + describe(entry.getValue()));
      }
    } else {
      parts.add(describe(e));
    }
    return String.join("; ", parts);
  }

  private static String describe(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof KubernetesClientException k) {
        Status status = k.getStatus();
        String why =
            status != null && status.getMessage() != null && !status.getMessage().isBlank()
                ? status.getMessage()
                : k.getMessage();
        return k.getCode() > 0 ? why + " (HTTP " + k.getCode() + ")" : why;
      }
    }
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return Objects.requireNonNullElse(root.getMessage(), root.getClass().getSimpleName());
  }

  /** The prior status with the error recorded; everything else as it was. */
  public static FineTuneRunStatus failed(
      FineTuneRunStatus prior, long generation, String message, Instant now) {
    FineTuneRunStatus p = prior == null ? FineTuneRunStatus.empty() : prior;
    List<Condition> conditions =
        Conditions.set(
            p.conditions(),
            CONDITION,
            Condition.FALSE,
            Reason.ReconcileError.name(),
            message,
            generation,
            now);
    return new FineTuneRunStatus(
        p.observedGeneration(),
        p.state() == null ? FineTuneRunStatus.PENDING : p.state(),
        Reason.ReconcileError.name(),
        conditions,
        p.progress(),
        p.epochs(),
        p.best(),
        p.training(),
        p.serving());
  }

  /**
   * After a reconcile that got through: a {@value #CONDITION} condition left False by an earlier
   * error turns True. A run that never had an error gets no such condition. {@code next} is the
   * derived status, which carries every condition of the prior one (the status builder and the
   * promoter set their own types over the prior list).
   */
  public static FineTuneRunStatus cleared(FineTuneRunStatus next, long generation, Instant now) {
    if (next.condition(CONDITION).isEmpty()) {
      return next;
    }
    List<Condition> conditions =
        Conditions.set(
            next.conditions(),
            CONDITION,
            Condition.TRUE,
            Reason.Reconciled.name(),
            "The operator reconciles the run.",
            generation,
            now);
    return new FineTuneRunStatus(
        next.observedGeneration(),
        next.state(),
        next.reason(),
        conditions,
        next.progress(),
        next.epochs(),
        next.best(),
        next.training(),
        next.serving());
  }
}
