package dev.kret.operator;

import dev.kret.api.v1alpha1.FineTuneRun;
import dev.kret.api.v1alpha1.FineTuneRunStatus;
import dev.kret.api.v1alpha1.SpecValidation;
import dev.kret.contract.Labels;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Thin reconciler: the workflow keeps the owned objects, this class reads them back, computes the
 * status with a pure function, and writes it once when it changed.
 */
@ControllerConfiguration(name = FineTuneRunReconciler.NAME)
@Workflow(
    dependents = {
      @Dependent(name = "progress", type = ProgressConfigMapDependent.class),
      @Dependent(name = "trainer-sa", type = TrainerServiceAccountDependent.class),
      @Dependent(name = "trainer-role", type = TrainerRoleDependent.class),
      @Dependent(
          name = "trainer-rolebinding",
          type = TrainerRoleBindingDependent.class,
          dependsOn = {"trainer-sa", "trainer-role"}),
      @Dependent(
          name = "training-job",
          type = TrainingJobDependent.class,
          reconcilePrecondition = TrainingJobPrecondition.class,
          dependsOn = {"progress", "trainer-rolebinding"})
    })
public class FineTuneRunReconciler implements Reconciler<FineTuneRun> {
  public static final String NAME = "finetunerun";

  @Inject OperatorConfig config;
  @Inject EventRecorder events;
  @Inject Promoter promoter;
  Clock clock = Clock.systemUTC();

  @Override
  public List<EventSource<?, FineTuneRun>> prepareEventSources(
      EventSourceContext<FineTuneRun> context) {
    var pods =
        InformerEventSourceConfiguration.from(Pod.class, FineTuneRun.class)
            .withName("training-pods")
            .withLabelSelector(Labels.TRAINING_POD_SELECTOR)
            .withSecondaryToPrimaryMapper(
                pod ->
                    Set.of(
                        new ResourceID(
                            pod.getMetadata().getLabels().get(Labels.RUN),
                            pod.getMetadata().getNamespace())))
            .build();
    return List.of(new InformerEventSource<>(pods, context));
  }

  @Override
  public UpdateControl<FineTuneRun> reconcile(FineTuneRun run, Context<FineTuneRun> context) {
    Job job = context.getSecondaryResource(Job.class).orElse(null);
    Observed observed =
        new Observed(
            run,
            context.getSecondaryResource(ConfigMap.class).map(ConfigMap::getData).orElse(null),
            job,
            TrainingPods.ownedBy(job, List.copyOf(context.getSecondaryResources(Pod.class))),
            SpecValidation.errors(run.getSpec()),
            Instant.now(clock),
            config.pendingDeadline(),
            config.summaryGrace());
    FineTuneRunStatus prior = run.getStatus();
    FineTuneRunStatus next = StatusDerivation.derive(observed);
    if (Promoter.due(run, next)) {
      next = promoter.promote(run, next, observed.now());
    }
    next = ReconcileErrors.cleared(next, generation(run), observed.now());
    StatusEvents.between(prior, next).forEach(e -> events.record(run, e.reason(), e.message()));

    UpdateControl<FineTuneRun> control =
        next.equals(prior) ? UpdateControl.noUpdate() : UpdateControl.patchStatus(fresh(run, next));
    Optional.of(observed)
        .flatMap(StatusDerivation::recheckAfter)
        .ifPresent(control::rescheduleAfter);
    return control;
  }

  /**
   * A reconcile that threw (the API server refused a dependent: RBAC, validation, quota) reaches
   * the run's status ({@link ReconcileErrors}) and a Warning event; the operator SDK retries.
   */
  @Override
  public ErrorStatusUpdateControl<FineTuneRun> updateErrorStatus(
      FineTuneRun run, Context<FineTuneRun> context, Exception e) {
    return ReconcileErrors.handle(run, e, Instant.now(clock), events)
        .map(next -> ErrorStatusUpdateControl.patchStatus(fresh(run, next)))
        .orElseGet(ErrorStatusUpdateControl::noStatusUpdate);
  }

  private static long generation(FineTuneRun run) {
    Long g = run.getMetadata().getGeneration();
    return g == null ? 0 : g;
  }

  /** Only name, namespace and status, so the patch cannot touch spec or metadata. */
  static FineTuneRun fresh(FineTuneRun run, FineTuneRunStatus status) {
    FineTuneRun patch = new FineTuneRun();
    patch.setMetadata(
        new ObjectMetaBuilder()
            .withName(run.getMetadata().getName())
            .withNamespace(run.getMetadata().getNamespace())
            .build());
    patch.setStatus(status);
    return patch;
  }
}
