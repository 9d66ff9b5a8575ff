package dev.kret.operator;

import dev.kret.api.v1alpha1.Condition;
import dev.kret.api.v1alpha1.FineTuneRun;
import dev.kret.api.v1alpha1.SpecValidation;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;

/**
 * Creates the Job only for a valid spec and an unfinished run: once the Job's TTL removes it, a
 * finished run must not train again. An existing Job is always kept (a false precondition would
 * delete it).
 */
public class TrainingJobPrecondition
    implements io.javaoperatorsdk.operator.processing.dependent.workflow.Condition<
        Job, FineTuneRun> {

  @Override
  public boolean isMet(
      DependentResource<Job, FineTuneRun> dependent, FineTuneRun run, Context<FineTuneRun> ctx) {
    if (dependent.getSecondaryResource(run, ctx).isPresent()) {
      return true;
    }
    return SpecValidation.errors(run.getSpec()).isEmpty() && !finished(run);
  }

  static boolean finished(FineTuneRun run) {
    var status = run.getStatus();
    if (status == null) {
      return false;
    }
    return status.condition(Conditions.SUCCEEDED).map(Condition::isTrue).orElse(false)
        || status.condition(Conditions.FAILED).map(Condition::isTrue).orElse(false);
  }
}
