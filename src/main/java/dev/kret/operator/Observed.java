package dev.kret.operator;

import dev.kret.api.v1alpha1.FineTuneRun;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Everything the status is computed from, read once per reconcile.
 *
 * @param run the run as cached (spec, generation and prior status)
 * @param progress data of the progress ConfigMap, or null before it exists
 * @param job the training Job, or null
 * @param pods the training pods still present
 * @param specProblems reasons the operator refuses the spec; empty when valid
 * @param summaryGrace how long after the Job's completion a missing summary is waited for
 */
public record Observed(
    FineTuneRun run,
    Map<String, String> progress,
    Job job,
    List<Pod> pods,
    List<String> specProblems,
    Instant now,
    Duration pendingDeadline,
    Duration summaryGrace) {

  /** Without a summary grace: a completed Job without summary fails at once. */
  public Observed(
      FineTuneRun run,
      Map<String, String> progress,
      Job job,
      List<Pod> pods,
      List<String> specProblems,
      Instant now,
      Duration pendingDeadline) {
    this(run, progress, job, pods, specProblems, now, pendingDeadline, Duration.ZERO);
  }
}
