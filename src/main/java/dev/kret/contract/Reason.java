package dev.kret.contract;

/** Every reason the operator writes into conditions and events; names are UpperCamelCase. */
public enum Reason {
  /** No training Job yet, or its pod is waiting for a node. */
  Pending(false),
  /** The Job is suspended until Kueue admits it. */
  Queued(false),
  /** A training pod runs. */
  Training(false),
  /** An epoch's metrics reached the status. */
  EpochFinished(false),
  /** The Job completed; its summary has not arrived yet (within kret.operator.summary-grace). */
  AwaitingSummary(false),
  /** The Job succeeded and the trainer reported a summary. */
  Succeeded(false),
  /** Training stopped early for lack of improvement and reported a summary. */
  EarlyStopped(false),
  /** The training pod cannot be scheduled past the pending deadline. */
  Unschedulable(true),
  /** The trainer image cannot be pulled. */
  ImagePullFailed(true),
  /** The pod cannot start, e.g. the hub token Secret or key is missing. */
  ContainerConfigError(true),
  /** The trainer was killed for exceeding its memory limit. */
  OOMKilled(true),
  /** The training pod was preempted or disrupted; the Job replaces it and training resumes. */
  Preempted(true),
  /** The kubelet evicted the training pod (node pressure). */
  Evicted(true),
  /** The trainer exited with a non-zero code. */
  Error(true),
  /** The trainer rejected the spec (exit code 3); retrying cannot help. */
  InvalidConfiguration(true),
  /** The operator rejected the spec before creating a Job. */
  InvalidSpec(true),
  /** The Job ran out of retries. */
  BackoffLimitExceeded(true),
  /** The Job ran past its active deadline. */
  DeadlineExceeded(true),
  /** The Job failed for a reason Kubernetes did not detail. */
  JobFailed(true),
  /** The Job succeeded but no summary arrived: not a success. */
  NoMetricsReceived(true),
  /** The best epoch now serves behind spec.promotion.serving. */
  Promoted(false),
  /** The best epoch did not reach spec.promotion.minimum. */
  BelowThreshold(false),
  /** The served model scores at least as well; it keeps serving. */
  ChampionKept(false),
  /** Policy Manual: the best epoch waits for kretctl promote. */
  AwaitingManualPromotion(false),
  /** Training did not succeed, so there is nothing to promote. */
  NothingToPromote(false),
  /**
   * A Deployment or Service named spec.promotion.serving exists and kret did not create it
   * (app.kubernetes.io/managed-by): promotion never takes over someone else's object.
   */
  ServingNotOwned(true),
  /**
   * The API server refused what the operator had to create or change for the run (RBAC, validation,
   * quota); the operator retries, and the message is the API server's.
   */
  ReconcileError(true),
  /** The operator reconciles the run again after a ReconcileError. */
  Reconciled(false);

  private final boolean warning;

  Reason(boolean warning) {
    this.warning = warning;
  }

  /**
   * The reason a condition or status names, read back; {@code otherwise} for a name that is none
   * (null, or written by another version).
   */
  public static Reason of(String name, Reason otherwise) {
    if (name != null) {
      for (Reason r : values()) {
        if (r.name().equals(name)) {
          return r;
        }
      }
    }
    return otherwise;
  }

  /** Event type: Warning for anything a user should look at. */
  public String eventType() {
    return warning ? "Warning" : "Normal";
  }
}
