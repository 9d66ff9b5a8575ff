package dev.kret.operator;

import dev.kret.api.v1alpha1.Condition;
import dev.kret.api.v1alpha1.FineTuneRunStatus;

/**
 * The states the status derivation decides between, each with the condition triple it sets: the
 * status of {@code Running}, {@code Succeeded} and {@code Failed}. ({@code Promoted} is Succeeded
 * with a True Promoted condition, which promotion sets.)
 */
enum RunState {
  PENDING(FineTuneRunStatus.PENDING, Condition.FALSE, Condition.UNKNOWN, Condition.FALSE),
  TRAINING(FineTuneRunStatus.TRAINING, Condition.TRUE, Condition.UNKNOWN, Condition.FALSE),
  SUCCEEDED(FineTuneRunStatus.SUCCEEDED, Condition.FALSE, Condition.TRUE, Condition.FALSE),
  FAILED(FineTuneRunStatus.FAILED, Condition.FALSE, Condition.FALSE, Condition.TRUE);

  /** {@code status.state} as written. */
  final String name;

  final String running;
  final String succeeded;
  final String failed;

  RunState(String name, String running, String succeeded, String failed) {
    this.name = name;
    this.running = running;
    this.succeeded = succeeded;
    this.failed = failed;
  }
}
