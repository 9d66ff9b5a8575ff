package dev.kret.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kret.api.v1alpha1.Condition;
import dev.kret.api.v1alpha1.FineTuneRun;
import dev.kret.api.v1alpha1.FineTuneRunStatus;
import dev.kret.api.v1alpha1.ProgressStatus;
import dev.kret.api.v1alpha1.TrainingProgress;
import dev.kret.contract.Labels;
import dev.kret.contract.ProgressWriter;
import dev.kret.contract.Reason;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The real reconciler against the fabric8 mock API server, playing trainer and Job controller. */
@Tag("mock-server")
@QuarkusTest
@WithKubernetesTestServer(crud = true, setup = MockDiscovery.class)
class FineTuneRunOperatorTest {
  static final Duration TIMEOUT = Duration.ofSeconds(15);
  static final AtomicInteger NAMESPACES = new AtomicInteger();
  static volatile boolean started;

  @Inject KubernetesClient client;
  @Inject Operator operator;
  @Inject EventRecorder events;

  String ns;

  @BeforeEach
  void startOperatorOnce() throws Exception {
    synchronized (FineTuneRunOperatorTest.class) {
      if (!started) {
        try (InputStream crd =
            Files.newInputStream(Path.of("k8s/crd/finetuneruns.kret.dev-v1.yml"))) {
          client.apiextensions().v1().customResourceDefinitions().load(crd).create();
        }
        operator.start();
        started = true;
      }
    }
    ns = "t" + NAMESPACES.incrementAndGet();
  }

  FineTuneRun apply(String yaml) {
    FineTuneRun run = client.getKubernetesSerialization().unmarshal(yaml, FineTuneRun.class);
    return client.resources(FineTuneRun.class).inNamespace(ns).resource(run).create();
  }

  FineTuneRun applyExample(String name) {
    return apply(
        """
        apiVersion: kret.dev/v1alpha1
        kind: FineTuneRun
        metadata:
          name: %s
        spec:
          training: {epochs: 2}
          resources: {gpus: 1, cpu: "4", memory: 16Gi, nodeSelector: {gpu: a100}}
          storage: {claimName: kret-models}
          secrets: {hubToken: {name: hf-token, key: token}}
        """
            .formatted(name));
  }

  <T> T eventually(String what, Supplier<T> get, Predicate<T> ok) {
    return eventually(what, get, ok, TIMEOUT);
  }

  <T> T eventually(String what, Supplier<T> get, Predicate<T> ok, Duration timeout) {
    return Eventually.until(what, get, ok, timeout);
  }

  FineTuneRunStatus statusOf(String name, Predicate<FineTuneRunStatus> ok) {
    return eventually(
        name + " status",
        () -> client.resources(FineTuneRun.class).inNamespace(ns).withName(name).get().getStatus(),
        ok);
  }

  static Predicate<FineTuneRunStatus> condition(String type, String status, String reason) {
    return s ->
        s.condition(type)
            .filter(c -> c.status().equals(status) && c.reason().equals(reason))
            .isPresent();
  }

  Job job(String name) {
    return eventually(
        "job",
        () -> client.batch().v1().jobs().inNamespace(ns).withName(name + "-train").get(),
        j -> true);
  }

  void writeProgress(String run, Map<String, String> keys) {
    client
        .configMaps()
        .inNamespace(ns)
        .withName(run + "-progress")
        .edit(
            cm -> {
              cm.setData(
                  new java.util.HashMap<>(Optional.ofNullable(cm.getData()).orElse(Map.of())));
              cm.getData().putAll(keys);
              return cm;
            });
  }

  void finishJob(String run, String type, String reason) {
    finishJob(run, type, reason, null);
  }

  void finishJob(String run, String type, String reason, String completionTime) {
    Job job = job(run);
    job.setStatus(
        new io.fabric8.kubernetes.api.model.batch.v1.JobStatusBuilder()
            .withCompletionTime(completionTime)
            .withConditions(
                new JobConditionBuilder()
                    .withType(type)
                    .withStatus("True")
                    .withReason(reason)
                    .withMessage(reason)
                    .build())
            .build());
    client.batch().v1().jobs().inNamespace(ns).resource(job).updateStatus();
  }

  /** A pod as the Job controller creates it: labelled, and controlled by the run's Job. */
  Pod trainingPod(String run, String suffix) {
    Job job = job(run);
    return new PodBuilder()
        .withNewMetadata()
        .withName(run + "-train-" + suffix)
        .withNamespace(ns)
        .withLabels(Labels.forRun(job == null ? null : runObject(run), "training"))
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
        .withName("trainer")
        .withImage("ghcr.io/kret-dev/kret:0.1.0")
        .endContainer()
        .endSpec()
        .build();
  }

  FineTuneRun runObject(String run) {
    return client.resources(FineTuneRun.class).inNamespace(ns).withName(run).get();
  }

  @Test
  void createsProgressConfigMapTrainerRbacAndJob() {
    applyExample("klue");
    Job job = job("klue");
    var pod = job.getSpec().getTemplate().getSpec();
    var trainer = pod.getContainers().get(0);
    assertThat(trainer.getArgs()).containsExactly("train", "--run", "klue");
    assertThat(trainer.getResources().getLimits().get("nvidia.com/gpu").toString()).isEqualTo("1");
    assertThat(pod.getNodeSelector()).containsEntry("gpu", "a100");
    assertThat(pod.getServiceAccountName()).isEqualTo("klue-trainer");
    assertThat(trainer.getEnv())
        .anySatisfy(
            e -> {
              assertThat(e.getName()).isEqualTo("HF_TOKEN");
              assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("hf-token");
            });
    assertThat(job.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(o -> assertThat(o.getKind()).isEqualTo("FineTuneRun"));

    ConfigMap cm = client.configMaps().inNamespace(ns).withName("klue-progress").get();
    assertThat(cm.getMetadata().getOwnerReferences()).hasSize(1);
    Role role = client.rbac().roles().inNamespace(ns).withName("klue-trainer").get();
    assertThat(role.getRules().get(0).getResourceNames()).containsExactly("klue-progress");
    RoleBinding binding =
        client.rbac().roleBindings().inNamespace(ns).withName("klue-trainer").get();
    assertThat(binding.getSubjects().get(0).getName()).isEqualTo("klue-trainer");
    assertThat(
            client
                .serviceAccounts()
                .inNamespace(ns)
                .withName("klue-trainer")
                .get()
                .getMetadata()
                .getOwnerReferences())
        .hasSize(1);
    assertThat(role.getMetadata().getOwnerReferences()).hasSize(1);
    assertThat(binding.getMetadata().getOwnerReferences()).hasSize(1);

    FineTuneRunStatus s =
        statusOf("klue", st -> st.training() != null && st.training().jobName() != null);
    assertThat(s.state()).isEqualTo("Pending");
    assertThat(s.observedGeneration()).isEqualTo(1L);
  }

  @Test
  void foldsEpochsWrittenLikeTheTrainerThenSucceedsWithTheSummary() {
    applyExample("klue");
    job("klue");
    ProgressWriter trainer = new ProgressWriter(client, ns, "klue");
    trainer.epoch(
        new TrainingProgress.Epoch(
            1, 1.2, 0.9, 70.0, 55.0, 50.0, 120.0, ns + "/klue/epoch-1", null));
    statusOf("klue", s -> s.epochs() != null && s.epochs().size() == 1);
    trainer.epoch(
        new TrainingProgress.Epoch(
            2, 0.8, 0.7, 75.0, 61.5, 58.0, 120.0, ns + "/klue/epoch-2", null));
    FineTuneRunStatus s = statusOf("klue", st -> st.epochs().size() == 2);
    assertThat(s.best().epoch()).isEqualTo(2);
    assertThat(s.progress().epoch()).isEqualTo(2);

    trainer.summary(
        new TrainingProgress.Summary(2, "micro_f1", 61.5, ns + "/klue/epoch-2", 2, false, null));
    finishJob("klue", "Complete", null);
    s = statusOf("klue", condition("Succeeded", "True", "Succeeded"));
    assertThat(s.state()).isEqualTo("Succeeded");
    assertThat(s.best().modelPath()).isEqualTo(ns + "/klue/epoch-2");
    assertThat(s.epochs()).extracting(e -> e.microF1()).containsExactly(55.0, 61.5);
    assertThat(client.configMaps().inNamespace(ns).withName("klue-progress").get().getData())
        .containsKeys("epoch-0001.json", "epoch-0002.json", "summary.json");
  }

  @Test
  void foldsMaskedLmEpochsBeforeTheFirstFineTuningEpoch() {
    apply(
        """
        apiVersion: kret.dev/v1alpha1
        kind: FineTuneRun
        metadata:
          name: tapt
        spec:
          training: {epochs: 2, mlmEpochs: 2}
          storage: {claimName: kret-models}
        """);
    job("tapt");
    ProgressWriter trainer = new ProgressWriter(client, ns, "tapt");
    trainer.mlmEpoch(new TrainingProgress.MlmEpoch(1, 2, 6.49, 160.0, null));
    FineTuneRunStatus s =
        statusOf(
            "tapt",
            st -> st.progress() != null && Integer.valueOf(1).equals(st.progress().mlmEpoch()));
    assertThat(s.progress().mlmEpochs()).isEqualTo(2);
    assertThat(s.progress().mlmLoss()).isEqualTo(6.49);
    assertThat(s.progress().epoch()).isZero();
    trainer.mlmEpoch(new TrainingProgress.MlmEpoch(2, 2, 5.31, 161.0, null));
    trainer.epoch(
        new TrainingProgress.Epoch(1, 1.2, 0.9, 70.0, 55.0, 50.0, 120.0, "ml/tapt/epoch-1", null));
    s = statusOf("tapt", st -> st.progress().epoch() == 1);
    assertThat(s.progress()).isEqualTo(new ProgressStatus(1, 2, 2, 2, 5.31));
  }

  @Test
  void repeatedEventBumpsCountInsteadOfAddingAnother() {
    FineTuneRun run = applyExample("noisy");
    events.record(run, Reason.Unschedulable, "0/3 nodes are available");
    events.record(run, Reason.Unschedulable, "0/3 nodes are available");
    List<Event> recorded =
        client.v1().events().inNamespace(ns).list().getItems().stream()
            .filter(e -> "Unschedulable".equals(e.getReason()))
            .toList();
    assertThat(recorded).singleElement().satisfies(e -> assertThat(e.getCount()).isEqualTo(2));
  }

  @Test
  void jobSucceededWithoutSummaryIsNoMetricsReceived() {
    applyExample("nometrics");
    finishJob("nometrics", "Complete", null);
    FineTuneRunStatus s = statusOf("nometrics", condition("Failed", "True", "NoMetricsReceived"));
    assertThat(s.state()).isEqualTo("Failed");
  }

  @Test
  void summaryArrivingJustAfterTheJobCompletesStillSucceeds() {
    applyExample("late");
    finishJob("late", "Complete", null, java.time.Instant.now().toString());
    statusOf("late", s -> "AwaitingSummary".equals(s.reason()));
    new ProgressWriter(client, ns, "late")
        .summary(new TrainingProgress.Summary(1, "micro_f1", 50.0, "p/1", 1, false, null));
    statusOf("late", condition("Succeeded", "True", "Succeeded"));
    assertThat(client.v1().events().inNamespace(ns).list().getItems())
        .noneMatch(e -> "NoMetricsReceived".equals(e.getReason()));
  }

  /** The trainer container of {@code pod} ends OOMKilled (exit 137), as the kubelet reports it. */
  void oomKilled(Pod pod) {
    pod.setStatus(
        new io.fabric8.kubernetes.api.model.PodStatusBuilder()
            .withPhase("Failed")
            .addNewContainerStatus()
            .withName("trainer")
            .withNewState()
            .withNewTerminated()
            .withExitCode(137)
            .withReason("OOMKilled")
            .withFinishedAt("2026-03-01T11:00:00Z")
            .endTerminated()
            .endState()
            .endContainerStatus()
            .build());
    client.pods().inNamespace(ns).resource(pod).updateStatus();
  }

  @Test
  void aPodThatOnlyWearsTheRunsLabelsIsNotItsTrainingPod() {
    applyExample("forged");
    Pod forged = trainingPod("forged", "x");
    forged.getMetadata().setOwnerReferences(null); // labels alone, no Job controlling it
    Pod pod = client.pods().inNamespace(ns).resource(forged).create();
    oomKilled(pod);
    finishJob("forged", "Failed", "BackoffLimitExceeded");
    FineTuneRunStatus s = statusOf("forged", condition("Failed", "True", "BackoffLimitExceeded"));
    // Before, the forged pod's termination became the run's failure: OOMKilled, exit code 137.
    assertThat(s.training() == null ? null : s.training().lastFailure()).isNull();
  }

  @Test
  void oomKilledPodEndsInOomKilledWithAWarningEvent() {
    applyExample("oom");
    Pod pod = client.pods().inNamespace(ns).resource(trainingPod("oom", "a")).create();
    oomKilled(pod);
    finishJob("oom", "Failed", "BackoffLimitExceeded");
    FineTuneRunStatus s = statusOf("oom", condition("Failed", "True", "OOMKilled"));
    assertThat(s.training().lastFailure().exitCode()).isEqualTo(137);
    Event event =
        eventually(
            "OOMKilled event",
            () ->
                client.v1().events().inNamespace(ns).list().getItems().stream()
                    .filter(e -> "OOMKilled".equals(e.getReason()))
                    .findFirst()
                    .orElse(null),
            e -> true);
    assertThat(event.getType()).isEqualTo("Warning");
    assertThat(event.getInvolvedObject().getName()).isEqualTo("oom");
  }

  @Test
  void podPendingPastTheDeadlineIsUnschedulable() {
    applyExample("pending");
    Pod pod = client.pods().inNamespace(ns).resource(trainingPod("pending", "a")).create();
    pod.setStatus(
        new io.fabric8.kubernetes.api.model.PodStatusBuilder()
            .withPhase("Pending")
            .addNewCondition()
            .withType("PodScheduled")
            .withStatus("False")
            .withReason("Unschedulable")
            .withMessage("0/4 nodes are available: 4 Insufficient nvidia.com/gpu.")
            .endCondition()
            .build());
    client.pods().inNamespace(ns).resource(pod).updateStatus();
    FineTuneRunStatus s = statusOf("pending", condition("Succeeded", "Unknown", "Unschedulable"));
    assertThat(s.condition("Succeeded").map(Condition::message).orElseThrow())
        .contains("Insufficient nvidia.com/gpu");
  }

  @Test
  void jobPastItsDeadlineIsDeadlineExceeded() {
    applyExample("slow");
    finishJob("slow", "Failed", "DeadlineExceeded");
    statusOf("slow", condition("Failed", "True", "DeadlineExceeded"));
  }

  @Test
  void invalidSpecFailsWithoutCreatingAJob() {
    apply(
        """
        apiVersion: kret.dev/v1alpha1
        kind: FineTuneRun
        metadata:
          name: bad
        spec:
          model: {init: random, config: {hiddenSize: 128, numHeads: 3}}
        """);
    FineTuneRunStatus s = statusOf("bad", condition("Failed", "True", "InvalidSpec"));
    assertThat(s.condition("Failed").get().message()).contains("numHeads");
    assertThat(client.batch().v1().jobs().inNamespace(ns).withName("bad-train").get()).isNull();
  }

  @Test
  void kueueQueueSuspendsTheJob() {
    apply(
        """
        apiVersion: kret.dev/v1alpha1
        kind: FineTuneRun
        metadata:
          name: queued
        spec:
          resources: {queueName: team-a}
        """);
    Job job = job("queued");
    assertThat(job.getSpec().getSuspend()).isTrue();
    assertThat(job.getMetadata().getLabels()).containsEntry("kueue.x-k8s.io/queue-name", "team-a");
    statusOf("queued", s -> "Queued".equals(s.reason()));
  }

  FineTuneRunStatus trainAndFinish(String run, double microF1) {
    return trainAndFinish(run, microF1, "Auto");
  }

  FineTuneRunStatus trainAndFinish(String run, double microF1, String policy) {
    apply(
        """
        apiVersion: kret.dev/v1alpha1
        kind: FineTuneRun
        metadata:
          name: %s
        spec:
          training: {epochs: 1}
          promotion: {policy: %s, serving: klue-re, minimum: {metric: micro_f1, value: 60}}
        """
            .formatted(run, policy));
    job(run);
    String path = ns + "/" + run + "/epoch-1";
    writeProgress(
        run,
        Map.of(
            "epoch-0001.json",
            "{\"epoch\":1,\"microF1\":%s,\"modelPath\":\"%s\"}".formatted(microF1, path),
            "summary.json",
            ("{\"bestEpoch\":1,\"metric\":\"micro_f1\",\"value\":%s,\"modelPath\":\"%s\","
                    + "\"epochsRun\":1,\"earlyStopped\":false}")
                .formatted(microF1, path)));
    finishJob(run, "Complete", null);
    return statusOf(run, s -> s.condition("Promoted").isPresent());
  }

  /**
   * The trainer may patch its progress ConfigMap, so a crafted summary.json can name any path; the
   * operator must not serve another run's or another namespace's files, nor take a summary about a
   * metric that is not the objective.
   */
  @Test
  void aCraftedSummaryCannotPromoteFilesOutsideTheRun() {
    apply(
        """
        apiVersion: kret.dev/v1alpha1
        kind: FineTuneRun
        metadata:
          name: crafted
        spec:
          training: {epochs: 1}
          promotion: {policy: Auto, serving: klue-re}
        """);
    job("crafted");
    String outside = "victims/their-run/epoch-1";
    writeProgress(
        "crafted",
        Map.of(
            "epoch-0001.json",
            "{\"epoch\":1,\"microF1\":99.0,\"modelPath\":\"/models/%s\"}".formatted(outside),
            "summary.json",
            ("{\"bestEpoch\":1,\"metric\":\"micro_f1\",\"value\":99.0,"
                    + "\"modelPath\":\"%s/crafted/../../%s\",\"epochsRun\":1}")
                .formatted(ns, outside)));
    finishJob("crafted", "Complete", null);
    FineTuneRunStatus s = statusOf("crafted", st -> st.condition("Promoted").isPresent());
    assertThat(s.best().modelPath()).isNull();
    assertThat(s.epochs()).singleElement().satisfies(e -> assertThat(e.modelPath()).isNull());
    assertThat(s.condition("Promoted").get().reason()).isEqualTo("NothingToPromote");
    assertThat(predictor()).isNull();
  }

  /** Promotion never takes over a Deployment kret did not create, and says so. */
  @Test
  void promotionLeavesAForeignDeploymentAlone() {
    client
        .apps()
        .deployments()
        .inNamespace(ns)
        .resource(
            new io.fabric8.kubernetes.api.model.apps.DeploymentBuilder()
                .withNewMetadata()
                .withName("klue-re")
                .withLabels(Map.of("app.kubernetes.io/managed-by", "helm"))
                .endMetadata()
                .withNewSpec()
                .withNewSelector()
                .withMatchLabels(Map.of("app", "theirs"))
                .endSelector()
                .withNewTemplate()
                .withNewMetadata()
                .withLabels(Map.of("app", "theirs"))
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("web")
                .withImage("nginx")
                .endContainer()
                .endSpec()
                .endTemplate()
                .endSpec()
                .build())
        .create();
    FineTuneRunStatus s = trainAndFinish("intruder", 90.0);
    var promoted = s.condition("Promoted").orElseThrow();
    assertThat(promoted.status()).isEqualTo("False");
    assertThat(promoted.reason()).isEqualTo("ServingNotOwned");
    assertThat(promoted.message()).contains("Deployment klue-re").contains("managed-by=helm");
    assertThat(predictor().getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
        .isEqualTo("nginx");
    assertThat(client.services().inNamespace(ns).withName("klue-re").get()).isNull();
  }

  io.fabric8.kubernetes.api.model.apps.Deployment predictor() {
    return client.apps().deployments().inNamespace(ns).withName("klue-re").get();
  }

  @Test
  void promotesTheBestEpochAndKeepsABetterChampion() {
    FineTuneRunStatus first = trainAndFinish("first", 65.0);
    assertThat(first.state()).isEqualTo("Promoted");
    assertThat(first.condition("Promoted").get().reason()).isEqualTo("Promoted");
    assertThat(first.serving().activeModel()).isEqualTo(ns + "/first/epoch-1");
    assertThat(first.serving().url()).isEqualTo("http://klue-re." + ns + ".svc:8080");
    var deployment = predictor();
    assertThat(deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs())
        .containsExactly("serve", "--model", "/models/" + ns + "/first/epoch-1", "--port", "8080");
    assertThat(deployment.getMetadata().getOwnerReferences()).isNullOrEmpty();
    assertThat(client.services().inNamespace(ns).withName("klue-re").get()).isNotNull();

    FineTuneRunStatus worse = trainAndFinish("worse", 62.0);
    assertThat(worse.condition("Promoted").get().reason()).isEqualTo("ChampionKept");
    assertThat(worse.state()).isEqualTo("Succeeded");
    assertThat(predictor().getMetadata().getAnnotations())
        .containsEntry("kret.dev/model-path", ns + "/first/epoch-1");

    FineTuneRunStatus better = trainAndFinish("better", 70.0);
    assertThat(better.state()).isEqualTo("Promoted");
    assertThat(better.serving().previousModel()).isEqualTo(ns + "/first/epoch-1");
    assertThat(predictor().getSpec().getTemplate().getSpec().getContainers().get(0).getArgs())
        .containsExactly("serve", "--model", "/models/" + ns + "/better/epoch-1", "--port", "8080");

    FineTuneRunStatus weak = trainAndFinish("weak", 50.0);
    assertThat(weak.condition("Promoted").get().reason()).isEqualTo("BelowThreshold");
  }

  /** Writes a kubeconfig for the mock API server; also handy for driving it by hand. */
  Path kubeconfig() throws java.io.IOException {
    Path file = Path.of("target/mock-kubeconfig");
    Files.writeString(
        file,
        """
        apiVersion: v1
        kind: Config
        clusters: [{name: mock, cluster: {server: "%s", insecure-skip-tls-verify: true}}]
        users: [{name: mock, user: {token: mock}}]
        contexts: [{name: mock, context: {cluster: mock, user: mock, namespace: %s}}]
        current-context: mock
        """
            .formatted(client.getConfiguration().getMasterUrl(), ns));
    return file;
  }

  String kubectl(Path kubeconfig, String... args) throws Exception {
    List<String> cmd =
        new java.util.ArrayList<>(List.of("kubectl", "--kubeconfig", kubeconfig.toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out =
        new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as("kubectl %s: %s", String.join(" ", args), out).isZero();
    return out;
  }

  @Test
  void realKubectlDrivesTheLoopAgainstTheMock() throws Exception {
    Assumptions.assumeTrue(
        Files.isExecutable(Path.of("/usr/bin/kubectl"))
            || Files.isExecutable(Path.of("/usr/local/bin/kubectl")),
        "kubectl not installed");
    Path kc = kubeconfig();
    kubectl(kc, "apply", "--validate=false", "-f", "k8s/examples/tiny-cpu.yaml");
    job("tiny-cpu");
    ProgressWriter trainer = new ProgressWriter(client, ns, "tiny-cpu");
    String path = ns + "/tiny-cpu/epoch-1";
    trainer.epoch(new TrainingProgress.Epoch(1, 2.0, 1.9, 30.0, 10.0, 5.0, 50.0, path, null));
    trainer.summary(new TrainingProgress.Summary(1, "micro_f1", 10.0, path, 1, false, null));
    finishJob("tiny-cpu", "Complete", null);
    kubectl(kc, "wait", "--for=condition=Succeeded", "ftr/tiny-cpu", "--timeout=20s");
    String yaml = kubectl(kc, "get", "ftr", "tiny-cpu", "-o", "yaml");
    // tiny-cpu promotes its best epoch (spec.promotion), so the run ends Promoted.
    assertThat(yaml).contains("state: Promoted").contains("microF1: 10");
    assertThat(kubectl(kc, "get", "ftr")).contains("tiny-cpu");

    // -Dkret.mock.hold=600 keeps the mock and the operator up for driving them by hand.
    long hold = Long.getLong("kret.mock.hold", 0);
    if (hold > 0) {
      System.out.printf(
          "mock API server with the operator: kubectl --kubeconfig %s (namespace %s), %d s%n",
          kc.toAbsolutePath(), ns, hold);
      Thread.sleep(hold * 1000);
    }
  }

  @Test
  void manualPromotionWaitsForApproval() {
    trainAndFinish("champ", 80.0);
    FineTuneRunStatus s = trainAndFinish("manual", 65.0, "Manual");
    assertThat(s.condition("Promoted").get().reason()).isEqualTo("AwaitingManualPromotion");
    assertThat(predictor().getMetadata().getAnnotations())
        .containsEntry("kret.dev/model-path", ns + "/champ/epoch-1");

    // What kretctl promote does: approve in the spec (a new generation, so a reconcile).
    client
        .resources(FineTuneRun.class)
        .inNamespace(ns)
        .withName("manual")
        .edit(
            r -> {
              var p = r.getSpec().promotion();
              r.setSpec(
                  new dev.kret.api.v1alpha1.FineTuneRunSpec(
                      r.getSpec().model(),
                      r.getSpec().dataset(),
                      r.getSpec().input(),
                      r.getSpec().training(),
                      r.getSpec().objective(),
                      r.getSpec().resources(),
                      r.getSpec().storage(),
                      r.getSpec().secrets(),
                      new dev.kret.api.v1alpha1.PromotionSpec(
                          p.policy(), p.serving(), p.minimum(), true)));
              return r;
            });
    s = statusOf("manual", condition("Promoted", "True", "Promoted"));
    assertThat(s.serving().previousModel()).isEqualTo(ns + "/champ/epoch-1");
    assertThat(predictor().getMetadata().getAnnotations())
        .containsEntry("kret.dev/model-path", ns + "/manual/epoch-1");
  }

  /**
   * Benchmark, not a timed test: {@code mvn test -Dtest='FineTuneRunOperatorTest#benchmark'
   * -Dkret.bench=500}. Prints p50/p95 create-to-Job and progress-key-to-status latencies and the
   * used heap of the whole test JVM (operator, mock API server and test together).
   */
  @Test
  void benchmark() throws Exception {
    int n = Integer.getInteger("kret.bench", 0);
    Assumptions.assumeTrue(n > 0, "set -Dkret.bench=N to run");
    Map<String, Long> created = new java.util.concurrent.ConcurrentHashMap<>();
    Map<String, Long> jobSeen = new java.util.concurrent.ConcurrentHashMap<>();
    Map<String, Long> keyWritten = new java.util.concurrent.ConcurrentHashMap<>();
    Map<String, Long> epochSeen = new java.util.concurrent.ConcurrentHashMap<>();
    try (var jobs =
            client
                .batch()
                .v1()
                .jobs()
                .inNamespace(ns)
                .inform(
                    new io.fabric8.kubernetes.client.informers.ResourceEventHandler<Job>() {
                      public void onAdd(Job j) {
                        jobSeen.putIfAbsent(
                            j.getMetadata().getLabels().get(Labels.RUN), System.nanoTime());
                      }

                      public void onUpdate(Job a, Job b) {}

                      public void onDelete(Job j, boolean unknown) {}
                    });
        var runs =
            client
                .resources(FineTuneRun.class)
                .inNamespace(ns)
                .inform(
                    new io.fabric8.kubernetes.client.informers.ResourceEventHandler<FineTuneRun>() {
                      public void onAdd(FineTuneRun r) {}

                      public void onUpdate(FineTuneRun a, FineTuneRun r) {
                        if (r.getStatus() != null
                            && r.getStatus().epochs() != null
                            && !r.getStatus().epochs().isEmpty()) {
                          epochSeen.putIfAbsent(r.getMetadata().getName(), System.nanoTime());
                        }
                      }

                      public void onDelete(FineTuneRun r, boolean unknown) {}
                    })) {
      for (int i = 0; i < n; i++) {
        String name = "b" + i;
        FineTuneRun run =
            client
                .getKubernetesSerialization()
                .unmarshal(
                    "{\"apiVersion\":\"kret.dev/v1alpha1\",\"kind\":\"FineTuneRun\","
                        + "\"metadata\":{\"name\":\""
                        + name
                        + "\"},\"spec\":{}}",
                    FineTuneRun.class);
        created.put(name, System.nanoTime());
        client.resources(FineTuneRun.class).inNamespace(ns).resource(run).create();
      }
      eventually("all Jobs", jobSeen::size, size -> size >= n, Duration.ofMinutes(5));
      for (int i = 0; i < n; i++) {
        String name = "b" + i;
        keyWritten.put(name, System.nanoTime());
        new ProgressWriter(client, ns, name)
            .epoch(new TrainingProgress.Epoch(1, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, "p", null));
      }
      eventually("all epochs", epochSeen::size, size -> size >= n, Duration.ofMinutes(5));
    }
    System.gc();
    long heap = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
    System.out.printf(
        "BENCH runs=%d create->Job p50=%d ms p95=%d ms; key->status p50=%d ms p95=%d ms;"
            + " used heap after GC=%d MiB%n",
        n,
        percentile(created, jobSeen, 50),
        percentile(created, jobSeen, 95),
        percentile(keyWritten, epochSeen, 50),
        percentile(keyWritten, epochSeen, 95),
        heap >> 20);
  }

  static long percentile(Map<String, Long> from, Map<String, Long> to, int p) {
    List<Long> ms =
        from.keySet().stream()
            .filter(to::containsKey)
            .map(k -> (to.get(k) - from.get(k)) / 1_000_000)
            .sorted()
            .toList();
    return ms.get(Math.min(ms.size() - 1, ms.size() * p / 100));
  }

  static List<String> names(List<? extends io.fabric8.kubernetes.api.model.HasMetadata> items) {
    return items.stream().map(i -> i.getMetadata().getName()).toList();
  }
}
