package dev.kret.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kret.api.v1alpha1.EpochStatus;
import dev.kret.api.v1alpha1.FineTuneRun;
import dev.kret.api.v1alpha1.FineTuneRunStatus;
import dev.kret.api.v1alpha1.TrainingProgress;
import dev.kret.contract.Labels;
import dev.kret.contract.ProgressWriter;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.config.dependent.DependentResourceSpec;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResourceFactory;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Stopping the operator mid-run and starting another must lose nothing and duplicate nothing: all
 * state lives in the cluster (the Job, the progress ConfigMap, the run's status).
 */
@Tag("mock-server")
@QuarkusTest
@TestProfile(OperatorRestartTest.OwnOperators.class)
@WithKubernetesTestServer(crud = true, setup = MockDiscovery.class)
class OperatorRestartTest {
  static final String NS = "restart";

  /**
   * An app (and mock server) of its own: the shared operator bean of the other tests is never
   * started here, and the test runs two operator processes one after the other instead.
   */
  public static class OwnOperators implements QuarkusTestProfile {}

  @Inject KubernetesClient client;
  @Inject OperatorConfig config;
  @Inject EventRecorder events;
  @Inject Promoter promoter;

  /**
   * A fresh operator as a new process would build it: its own client, informers, caches and
   * dependents (the Quarkus bean keeps its dependents, whose stopped informers cannot restart).
   */
  Operator newOperatorProcess() {
    FineTuneRunReconciler reconciler = new FineTuneRunReconciler();
    reconciler.config = config;
    reconciler.events = events;
    reconciler.promoter = promoter;
    KubernetesClient own =
        new KubernetesClientBuilder().withConfig(client.getConfiguration()).build();
    Operator operator =
        new Operator(
            o ->
                o.withKubernetesClient(own)
                    .withCloseClientOnStop(true)
                    // As %test.quarkus.operator-sdk.enable-ssa=false: the mock has no SSA.
                    .withUseSSAToPatchPrimaryResource(false)
                    .withSSABasedCreateUpdateMatchForDependentResources(false)
                    .withDependentResourceFactory(new InjectingFactory(config)));
    operator.register(reconciler);
    return operator;
  }

  /** JOSDK's reflective factory, plus the one injection a dependent needs. */
  @SuppressWarnings({"rawtypes", "unchecked"})
  record InjectingFactory(OperatorConfig config) implements DependentResourceFactory {
    @Override
    public DependentResource createFrom(DependentResourceSpec spec, ControllerConfiguration c) {
      DependentResource d = DependentResourceFactory.super.createFrom(spec, c);
      if (d instanceof TrainingJobDependent job) {
        job.config = config;
      }
      return d;
    }
  }

  FineTuneRun run() {
    return client.resources(FineTuneRun.class).inNamespace(NS).withName("resume").get();
  }

  FineTuneRunStatus statusWhen(String what, java.util.function.Predicate<FineTuneRunStatus> ok) {
    return Eventually.until(what, () -> run().getStatus(), ok);
  }

  List<Job> jobs() {
    return client
        .batch()
        .v1()
        .jobs()
        .inNamespace(NS)
        .withLabel(Labels.RUN, "resume")
        .list()
        .getItems();
  }

  static TrainingProgress.Epoch epoch(int n, double microF1) {
    return new TrainingProgress.Epoch(
        n, 1.0 / n, 1.1 / n, 60.0 + n, microF1, 40.0 + n, 100.0, NS + "/resume/epoch-" + n, null);
  }

  @Test
  void restartedOperatorKeepsTheJobAndEveryEpochAndFinishesTheRun() {
    Eventually.createCrd(client);
    Operator first = newOperatorProcess();
    first.start();
    FineTuneRun created =
        client
            .resources(FineTuneRun.class)
            .inNamespace(NS)
            .resource(
                client
                    .getKubernetesSerialization()
                    .unmarshal(
                        """
                        apiVersion: kret.dev/v1alpha1
                        kind: FineTuneRun
                        metadata:
                          name: resume
                        spec:
                          training: {epochs: 4}
                          resources: {gpus: 1}
                        """,
                        FineTuneRun.class))
            .create();
    Job job = Eventually.until("the Job", this::jobs, l -> l.size() == 1).get(0);
    // The trainer's pod runs and reports two epochs.
    var pod =
        client
            .pods()
            .inNamespace(NS)
            .resource(
                new PodBuilder()
                    .withNewMetadata()
                    .withName("resume-train-a")
                    .withLabels(Labels.forRun(created, "training"))
                    .addNewOwnerReference()
                    .withApiVersion("batch/v1")
                    .withKind("Job")
                    .withName(job.getMetadata().getName())
                    .withUid(job.getMetadata().getUid())
                    .withController(true)
                    .endOwnerReference()
                    .endMetadata()
                    .withNewSpec()
                    .addNewContainer()
                    .withName(TrainingJobDependent.CONTAINER)
                    .withImage(config.image())
                    .endContainer()
                    .endSpec()
                    .build())
            .create();
    pod.setStatus(
        new PodStatusBuilder()
            .withPhase("Running")
            .addNewContainerStatus()
            .withName(TrainingJobDependent.CONTAINER)
            .withNewState()
            .withNewRunning()
            .withStartedAt("2026-03-01T11:00:00Z")
            .endRunning()
            .endState()
            .endContainerStatus()
            .build());
    client.pods().inNamespace(NS).resource(pod).updateStatus();
    ProgressWriter trainer = new ProgressWriter(client, NS, "resume");
    trainer.epoch(epoch(1, 50.0));
    trainer.epoch(epoch(2, 55.0));
    statusWhen("two epochs", s -> s.epochs() != null && s.epochs().size() == 2);

    first.stop();
    // The trainer keeps going while no operator runs.
    trainer.epoch(epoch(3, 58.0));

    Operator second = newOperatorProcess();
    second.start();
    try {
      FineTuneRunStatus s =
          statusWhen("three epochs after the restart", st -> st.epochs().size() == 3);
      assertThat(s.state()).isEqualTo("Training");
      assertThat(jobs())
          .singleElement()
          .satisfies(
              j -> assertThat(j.getMetadata().getUid()).isEqualTo(job.getMetadata().getUid()));

      trainer.epoch(epoch(4, 57.0));
      trainer.summary(
          new TrainingProgress.Summary(
              3, "micro_f1", 58.0, NS + "/resume/epoch-3", 4, false, null));
      Job done = jobs().get(0);
      done.setStatus(
          new JobStatusBuilder()
              .withConditions(
                  new JobConditionBuilder().withType("Complete").withStatus("True").build())
              .build());
      client.batch().v1().jobs().inNamespace(NS).resource(done).updateStatus();

      s = statusWhen("Succeeded", st -> "Succeeded".equals(st.state()));
      assertThat(s.epochs()).extracting(EpochStatus::epoch).containsExactly(1, 2, 3, 4);
      assertThat(s.epochs())
          .extracting(EpochStatus::microF1)
          .containsExactly(50.0, 55.0, 58.0, 57.0);
      assertThat(s.best().epoch()).isEqualTo(3);
      assertThat(jobs()).hasSize(1);
      assertThat(client.configMaps().inNamespace(NS).withName("resume-progress").get().getData())
          .containsKeys(
              "epoch-0001.json",
              "epoch-0002.json",
              "epoch-0003.json",
              "epoch-0004.json",
              "summary.json");
      // Events come from status changes, and the new operator starts from the stored status:
      // one EpochFinished per epoch, none repeated.
      List<Event> epochEvents =
          Eventually.until(
              "four EpochFinished events",
              () ->
                  client.v1().events().inNamespace(NS).list().getItems().stream()
                      .filter(e -> "EpochFinished".equals(e.getReason()))
                      .toList(),
              l -> l.size() >= 4);
      assertThat(epochEvents).hasSize(4).allSatisfy(e -> assertThat(e.getCount()).isEqualTo(1));
    } finally {
      second.stop();
    }
  }
}
