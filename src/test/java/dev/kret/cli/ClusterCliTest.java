package dev.kret.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.kret.api.v1alpha1.BestStatus;
import dev.kret.api.v1alpha1.Condition;
import dev.kret.api.v1alpha1.EpochStatus;
import dev.kret.api.v1alpha1.FailureStatus;
import dev.kret.api.v1alpha1.FineTuneRun;
import dev.kret.api.v1alpha1.FineTuneRunStatus;
import dev.kret.api.v1alpha1.ProgressStatus;
import dev.kret.api.v1alpha1.PromotionSpec;
import dev.kret.api.v1alpha1.ServingStatus;
import dev.kret.api.v1alpha1.TrainingStatus;
import dev.kret.contract.Annotations;
import dev.kret.contract.ExitCodes;
import dev.kret.operator.PredictorDeployment;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.quarkus.test.junit.main.LaunchResult;
import io.quarkus.test.junit.main.QuarkusMainLauncher;
import io.quarkus.test.junit.main.QuarkusMainTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cluster commands against the fabric8 mock API server, seeded with runs in every state. */
@Tag("mock-server")
@QuarkusMainTest
class ClusterCliTest {
  static final String NS = "kret-test";

  @TempDir static Path tmp;
  static KubernetesMockServer server;
  static KubernetesMockServer empty;
  static NamespacedKubernetesClient client;
  static Path kubeconfig;

  @BeforeAll
  static void seed() throws Exception {
    // CRUD plus expectations (for the pod log endpoint the CRUD mock does not serve).
    server = MockApi.mixed();
    client = server.createClient();
    kubeconfig = kubeconfig("crud", client.getConfiguration().getMasterUrl(), NS);
    // No expectations and no CRUD: every request is a 404, as for a cluster without the CRD.
    empty = new KubernetesMockServer(false);
    empty.init();
    kubeconfig("empty", empty.createClient().getConfiguration().getMasterUrl(), NS);
    kubeconfig("down", "http://127.0.0.1:1", NS);

    client
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
        .create();
    Instant now = Instant.now();
    create(run("pending", null), null);
    FineTuneRun watched = run("watched", null);
    watched.getMetadata().setNamespace("kret-watch");
    client.resources(FineTuneRun.class).inNamespace("kret-watch").resource(watched).create();
    create(
        run("training", null),
        new FineTuneRunStatus(
            1L,
            "Training",
            "Training",
            List.of(cond("Running", "True", "Training", "A training pod runs.")),
            new ProgressStatus(2, 10),
            List.of(epoch(1, 55.5, now), epoch(2, 61.25, now)),
            new BestStatus(2, "micro_f1", 61.25, NS + "/training/epoch-2"),
            new TrainingStatus(
                "training-train",
                2,
                new FailureStatus(
                    "OOMKilled", 137, "container trainer was OOM killed", now.toString())),
            null));
    create(
        run("pretraining", null),
        new FineTuneRunStatus(
            1L,
            "Training",
            "Training",
            List.of(cond("Running", "True", "Training", "A training pod runs.")),
            new ProgressStatus(0, 4, 1, 2, 6.49),
            List.of(),
            null,
            new TrainingStatus("pretraining-train", 1, null),
            null));
    create(
        run("manual", new PromotionSpec("Manual", "klue-re", null)),
        new FineTuneRunStatus(
            1L,
            "Succeeded",
            "Succeeded",
            List.of(
                cond("Succeeded", "True", "Succeeded", "Training finished."),
                cond(
                    "Promoted",
                    "False",
                    "AwaitingManualPromotion",
                    "Policy Manual: promote epoch 3 with kretctl promote.")),
            new ProgressStatus(3, 3),
            List.of(epoch(1, 60.0, now), epoch(2, 70.5, now), epoch(3, 68.0, now)),
            new BestStatus(2, "micro_f1", 70.5, NS + "/manual/epoch-2"),
            new TrainingStatus("manual-train", 1, null),
            null));
    create(
        run("failed", null),
        new FineTuneRunStatus(
            1L,
            "Failed",
            "OOMKilled",
            List.of(
                cond("Failed", "True", "OOMKilled", "The trainer ran out of memory (limit 32Gi).")),
            new ProgressStatus(0, 10),
            List.of(),
            null,
            new TrainingStatus(
                "failed-train", 4, new FailureStatus("OOMKilled", 137, "OOM", now.toString())),
            null));
    create(
        run("promoted", new PromotionSpec("Auto", "klue-re", null)),
        new FineTuneRunStatus(
            1L,
            "Promoted",
            "Promoted",
            List.of(cond("Promoted", "True", "Promoted", "Serving epoch 1.")),
            new ProgressStatus(1, 1),
            List.of(epoch(1, 71.0, now)),
            new BestStatus(1, "micro_f1", 71.0, NS + "/promoted/epoch-1"),
            new TrainingStatus("promoted-train", 1, null),
            new ServingStatus(
                "klue-re",
                "http://klue-re." + NS + ".svc:8080",
                NS + "/promoted/epoch-1",
                NS + "/old/epoch-4")));

    client
        .batch()
        .v1()
        .jobs()
        .inNamespace(NS)
        .resource(
            new JobBuilder()
                .withNewMetadata()
                .withName("training-train")
                .endMetadata()
                .withNewStatus()
                .withActive(1)
                .withFailed(1)
                .endStatus()
                .build())
        .create();
    client
        .pods()
        .inNamespace(NS)
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName("training-train-abcde")
                .addToLabels("kret.dev/run", "training")
                .endMetadata()
                .withNewStatus()
                .withPhase("Running")
                .addNewContainerStatus()
                .withName("trainer")
                .withRestartCount(0)
                .withNewState()
                .withNewRunning()
                .endRunning()
                .endState()
                .endContainerStatus()
                .endStatus()
                .build())
        .create();
    client
        .v1()
        .events()
        .inNamespace(NS)
        .resource(
            new EventBuilder()
                .withNewMetadata()
                .withName("training.oom")
                .endMetadata()
                .withType("Warning")
                .withReason("OOMKilled")
                .withMessage("Trainer killed for memory; retrying.")
                .withLastTimestamp(now.toString())
                .withCount(1)
                .withNewInvolvedObject()
                .withKind("FineTuneRun")
                .withName("training")
                .withNamespace(NS)
                .endInvolvedObject()
                .build())
        .create();
    client
        .v1()
        .events()
        .inNamespace(NS)
        .resource(
            new EventBuilder()
                .withNewMetadata()
                .withName("other.warn")
                .endMetadata()
                .withType("Warning")
                .withReason("Unrelated")
                .withMessage("not ours")
                .withNewInvolvedObject()
                .withKind("Pod")
                .withName("someone-else")
                .endInvolvedObject()
                .build())
        .create();
  }

  @AfterAll
  static void stop() {
    client.close();
    server.destroy();
    empty.destroy();
  }

  static Path kubeconfig(String name, String url, String ns) throws Exception {
    return MockApi.kubeconfig(tmp.resolve(name + ".kubeconfig"), url, ns);
  }

  static FineTuneRun run(String name, PromotionSpec promotion) throws Exception {
    String yaml = Files.readString(Path.of("k8s/examples/tiny-cpu.yaml"));
    FineTuneRun r = new ObjectMapper(new YAMLFactory()).readValue(yaml, FineTuneRun.class);
    r.getMetadata().setName(name);
    r.getMetadata().setNamespace(NS);
    r.setSpec(r.getSpec().withPromotion(promotion));
    return r;
  }

  static void create(FineTuneRun r, FineTuneRunStatus status) {
    FineTuneRun created = client.resources(FineTuneRun.class).inNamespace(NS).resource(r).create();
    if (status != null) {
      created.setStatus(status);
      client.resources(FineTuneRun.class).inNamespace(NS).resource(created).updateStatus();
    }
  }

  static Condition cond(String type, String status, String reason, String message) {
    return new Condition(
        type, status, reason, message, Instant.now().minus(3, ChronoUnit.MINUTES).toString(), 1L);
  }

  static EpochStatus epoch(int n, double f1, Instant now) {
    return new EpochStatus(
        n,
        1.5 / n,
        1.2 / n,
        f1 + 10,
        f1,
        f1 - 5,
        120.0,
        NS + "/x/epoch-" + n,
        now.minus(10 - n, ChronoUnit.MINUTES).toString());
  }

  LaunchResult kret(QuarkusMainLauncher launcher, String config, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--kubeconfig");
    all.add(tmp.resolve(config + ".kubeconfig").toString());
    return launcher.launch(all.toArray(String[]::new));
  }

  @Test
  void tableShowsEveryStateAndTheReasonWhenSomethingIsWrong(QuarkusMainLauncher launcher) {
    LaunchResult r = kret(launcher, "crud", "status");
    assertThat(r.exitCode()).as(r.getErrorOutput()).isZero();
    List<String> lines = r.getOutput().lines().toList();
    assertThat(lines.get(0).split("\\s+"))
        .containsExactly("NAME", "STATE", "EPOCH", "BEST", "SERVING", "AGE", "REASON");
    assertThat(lines).hasSize(7);
    assertThat(line(lines, "pretraining")).contains("Training", "mlm 1/2");
    assertThat(line(lines, "failed")).contains("Failed", "0/10", "OOMKilled");
    assertThat(line(lines, "training"))
        .contains("Training", "2/10", "micro_f1=61.25", "Retried after OOMKilled");
    assertThat(line(lines, "manual"))
        .contains("Succeeded", "3/3", "micro_f1=70.50", "AwaitingManualPromotion");
    assertThat(line(lines, "promoted")).contains("Promoted", "klue-re").doesNotContain("Reason");
    assertThat(line(lines, "pending").split("\\s+"))
        .containsExactly("pending", "Pending", "-", "-", "-", ageOf(line(lines, "pending")));
  }

  static String ageOf(String line) {
    String[] f = line.split("\\s+");
    return f[f.length - 1];
  }

  static String line(List<String> lines, String name) {
    return lines.stream().filter(l -> l.startsWith(name + " ")).findFirst().orElseThrow();
  }

  @Test
  void wideAndAllNamespaces(QuarkusMainLauncher launcher) {
    LaunchResult r = kret(launcher, "crud", "status", "-A", "-o", "wide");
    assertThat(r.exitCode()).as(r.getErrorOutput()).isZero();
    String header = r.getOutput().lines().findFirst().orElseThrow();
    assertThat(header.split("\\s+"))
        .containsExactly(
            "NAMESPACE",
            "NAME",
            "STATE",
            "EPOCH",
            "BEST",
            "SERVING",
            "AGE",
            "GPU",
            "JOB",
            "ENDPOINT",
            "REASON");
    assertThat(r.getOutput()).contains("http://klue-re." + NS + ".svc:8080", "training-train");
  }

  @Test
  void detailShowsConditionsEpochsChartPodsAndWarnings(QuarkusMainLauncher launcher) {
    LaunchResult r = kret(launcher, "crud", "status", "training");
    assertThat(r.exitCode()).as(r.getErrorOutput()).isZero();
    String out = r.getOutput();
    assertThat(out).contains("Name:", "training", "State:", "Training");
    assertThat(out).contains("Conditions:", "Running", "A training pod runs.");
    assertThat(out).contains("Epochs:", "* best by micro_f1");
    assertThat(out.lines().filter(l -> l.matches("^\\s*\\*\\s+2\\s+0\\.7500.*")).count())
        .as(out)
        .isEqualTo(1);
    assertThat(out).contains("micro_f1 per epoch:", "█");
    assertThat(out)
        .contains(
            "training-train (active 1, succeeded 0, failed 1)", "training-train-abcde", "Running");
    assertThat(out).contains("Last failure: OOMKilled (exit code 137");
    assertThat(out)
        .contains("Warning events:", "Trainer killed for memory")
        .doesNotContain("not ours");
  }

  @Test
  void detailShowsTheEndpoint(QuarkusMainLauncher launcher) {
    LaunchResult r = kret(launcher, "crud", "status", "promoted");
    assertThat(r.exitCode()).as(r.getErrorOutput()).isZero();
    assertThat(r.getOutput())
        .contains("Endpoint: http://klue-re." + NS + ".svc:8080", "kretctl rollback klue-re");
  }

  @Test
  void detailShowsMaskedLmEpochsBeforeFineTuning(QuarkusMainLauncher launcher) {
    LaunchResult r = kret(launcher, "crud", "status", "pretraining");
    assertThat(r.exitCode()).as(r.getErrorOutput()).isZero();
    assertThat(r.getOutput().lines())
        .anySatisfy(l -> assertThat(l).matches("Epoch: +mlm 1/2"))
        .anySatisfy(l -> assertThat(l).matches("Masked-LM: +1/2 epochs, loss 6.4900"));
  }

  @Test
  void jsonAndYamlPrintTheResource(QuarkusMainLauncher launcher) throws Exception {
    LaunchResult one = kret(launcher, "crud", "status", "manual", "-o", "json");
    assertThat(one.exitCode()).as(one.getErrorOutput()).isZero();
    JsonNode n = new ObjectMapper().readTree(one.getOutput());
    assertThat(n.at("/kind").asText()).isEqualTo("FineTuneRun");
    assertThat(n.at("/status/best/value").asDouble()).isEqualTo(70.5);

    LaunchResult all = kret(launcher, "crud", "status", "-o", "yaml");
    assertThat(all.exitCode()).as(all.getErrorOutput()).isZero();
    JsonNode list = new ObjectMapper(new YAMLFactory()).readTree(all.getOutput());
    assertThat(list.at("/kind").asText()).isEqualTo("List");
    assertThat(list.at("/items")).hasSize(6);
  }

  @Test
  void watchRedrawsOnChange(QuarkusMainLauncher launcher) throws Exception {
    AtomicBoolean done = new AtomicBoolean();
    java.util.concurrent.atomic.AtomicInteger epoch =
        new java.util.concurrent.atomic.AtomicInteger();
    Runnable bump =
        () -> {
          var res =
              client.resources(FineTuneRun.class).inNamespace("kret-watch").withName("watched");
          FineTuneRun cur = res.get();
          cur.setStatus(
              new FineTuneRunStatus(
                  null,
                  "Training",
                  "Training",
                  List.of(),
                  new ProgressStatus(epoch.incrementAndGet(), 100),
                  List.of(),
                  null,
                  null,
                  null));
          client
              .resources(FineTuneRun.class)
              .inNamespace("kret-watch")
              .resource(cur)
              .updateStatus();
        };
    // The first drawing must already show progress: a fast start could otherwise draw "-" before
    // the changer's first update.
    bump.run();
    Thread changer =
        new Thread(
            () -> {
              while (!done.get()) {
                try {
                  Thread.sleep(700);
                  bump.run();
                } catch (Exception e) {
                  return;
                }
              }
            });
    changer.start();
    LaunchResult r;
    try {
      r =
          kret(
              launcher,
              "crud",
              "status",
              "watched",
              "-n",
              "kret-watch",
              "--watch",
              "--max-redraws",
              "3");
    } finally {
      done.set(true);
      changer.join();
    }
    assertThat(r.exitCode()).as(r.getErrorOutput()).isZero();
    // Three drawings: a redraw may also come from an age ticking over, but not all of them.
    assertThat(r.getOutput().split("Name:", -1)).hasSize(4);
    List<String> epochs = r.getOutput().lines().filter(l -> l.startsWith("Epoch:")).toList();
    assertThat(epochs).hasSize(3).allMatch(l -> l.matches("Epoch:\\s+\\d+/100"));
    assertThat(epochs.stream().distinct().count()).as(r.getOutput()).isGreaterThan(1);
  }

  @Test
  void errorsHaveExitCodesAndSayWhatToDo(QuarkusMainLauncher launcher) {
    LaunchResult missing = kret(launcher, "crud", "status", "nope");
    assertThat(missing.exitCode()).isEqualTo(ExitCodes.NOT_FOUND);
    assertThat(missing.getErrorOutput())
        .contains("finetunerun \"nope\" not found in namespace " + NS);

    LaunchResult noCrd = kret(launcher, "empty", "status");
    assertThat(noCrd.exitCode()).as(noCrd.getErrorOutput()).isEqualTo(ExitCodes.CRD_MISSING);
    assertThat(noCrd.getErrorOutput())
        .contains("kubectl apply -f k8s/crd/finetuneruns.kret.dev-v1.yml");
    LaunchResult noCrdNamed = kret(launcher, "empty", "status", "x");
    assertThat(noCrdNamed.exitCode()).isEqualTo(ExitCodes.CRD_MISSING);

    LaunchResult down = kret(launcher, "down", "status");
    assertThat(down.exitCode()).as(down.getErrorOutput()).isEqualTo(ExitCodes.CLUSTER_UNREACHABLE);
    assertThat(down.getErrorOutput()).contains("no cluster reachable at http://127.0.0.1:1");

    LaunchResult badContext = kret(launcher, "crud", "status", "--context", "nope");
    assertThat(badContext.exitCode()).isEqualTo(ExitCodes.USAGE);
    assertThat(badContext.getErrorOutput()).contains("context \"nope\" not found");

    LaunchResult format = kret(launcher, "crud", "status", "-o", "xml");
    assertThat(format.exitCode()).isEqualTo(ExitCodes.USAGE);
  }

  @Test
  void contextPicksTheNamespace(QuarkusMainLauncher launcher) {
    LaunchResult r = kret(launcher, "crud", "status", "--context", "elsewhere");
    assertThat(r.exitCode()).as(r.getErrorOutput()).isZero();
    assertThat(r.getOutput()).contains("No resources found in nowhere namespace.");
  }

  /** What the API server accepts, apply accepts: a run without data, with a warning. */
  @Test
  void applyWarnsWhenTheRunWouldTrainOnTheBundledSample(QuarkusMainLauncher launcher)
      throws Exception {
    Path file = tmp.resolve("no-data.yaml");
    Files.writeString(
        file,
        """
        apiVersion: kret.dev/v1alpha1
        kind: FineTuneRun
        metadata: {name: no-data}
        spec:
          model: {name: klue/roberta-base}
        """);

    LaunchResult r = kret(launcher, "crud", "apply", "-f", file.toString(), "--dry-run");

    assertThat(r.exitCode()).as(r.getErrorOutput()).isZero();
    assertThat(r.getErrorOutput())
        .contains("Warning: " + file + ": spec.dataset.train is not set")
        .contains("builtin:klue-re-sample");
  }

  /** The CRD's CEL rule on the name, which the schema check does not evaluate, said by apply. */
  @Test
  void applyRefusesANameTheCrdRefuses(QuarkusMainLauncher launcher) throws Exception {
    Path file = tmp.resolve("long-name.yaml");
    String name = "r".repeat(58);
    Files.writeString(
        file,
        Files.readString(Path.of("k8s/examples/tiny-cpu.yaml"))
            .replaceFirst("(?m)^  name: .*$", "  name: " + name));

    LaunchResult r = kret(launcher, "crud", "apply", "-f", file.toString(), "--dry-run");

    assertThat(r.exitCode()).isEqualTo(ExitCodes.INVALID_CONFIG);
    assertThat(r.getErrorOutput())
        .contains("metadata.name: Invalid value: \"" + name + "\": must be at most 57 characters");
  }

  @Test
  void applyValidatesThenCreatesThenUpdates(QuarkusMainLauncher launcher) throws Exception {
    Path bad = tmp.resolve("bad.yaml");
    Files.writeString(
        bad, Files.readString(Path.of("k8s/examples/tiny-cpu.yaml")).replace("epochs:", "epochz:"));
    LaunchResult invalid = kret(launcher, "crud", "apply", "-f", bad.toString());
    assertThat(invalid.exitCode()).isEqualTo(ExitCodes.INVALID_CONFIG);
    assertThat(invalid.getErrorOutput()).contains("line", "epochz");

    Path good = tmp.resolve("applied.yaml");
    String yaml = Files.readString(Path.of("k8s/examples/tiny-cpu.yaml"));
    String name = new ObjectMapper(new YAMLFactory()).readTree(yaml).at("/metadata/name").asText();
    Files.writeString(good, yaml);
    LaunchResult created =
        kret(launcher, "crud", "apply", "-f", good.toString(), "-n", "kret-apply");
    assertThat(created.exitCode()).as(created.getErrorOutput()).isZero();
    assertThat(created.getOutput()).contains("finetunerun.kret.dev/" + name + " created");
    LaunchResult same = kret(launcher, "crud", "apply", "-f", good.toString(), "-n", "kret-apply");
    assertThat(same.getOutput()).contains("unchanged");
    Files.writeString(good, yaml.replace("epochs: 2", "epochs: 3"));
    LaunchResult updated =
        kret(launcher, "crud", "apply", "-f", good.toString(), "-n", "kret-apply");
    assertThat(updated.exitCode()).as(updated.getErrorOutput()).isZero();
    assertThat(updated.getOutput()).contains("configured");
    assertThat(
            client
                .resources(FineTuneRun.class)
                .inNamespace("kret-apply")
                .withName(name)
                .get()
                .getSpec()
                .training()
                .epochs())
        .isEqualTo(3);

    LaunchResult deleted = kret(launcher, "crud", "delete", name, "-n", "kret-apply");
    assertThat(deleted.exitCode()).as(deleted.getErrorOutput()).isZero();
    assertThat(client.resources(FineTuneRun.class).inNamespace("kret-apply").withName(name).get())
        .isNull();
    assertThat(kret(launcher, "crud", "delete", name, "-n", "kret-apply").exitCode())
        .isEqualTo(ExitCodes.NOT_FOUND);
  }

  @Test
  void promoteApprovesManualRunsOnly(QuarkusMainLauncher launcher) {
    LaunchResult auto = kret(launcher, "crud", "promote", "promoted");
    assertThat(auto.exitCode()).isEqualTo(ExitCodes.FAILED);
    assertThat(auto.getErrorOutput()).contains("policy Auto");
    assertThat(kret(launcher, "crud", "promote", "pending").exitCode())
        .isEqualTo(ExitCodes.INVALID_CONFIG);

    LaunchResult ok = kret(launcher, "crud", "promote", "manual");
    assertThat(ok.exitCode()).as(ok.getErrorOutput()).isZero();
    assertThat(ok.getOutput()).contains("approved for klue-re");
    FineTuneRun r = client.resources(FineTuneRun.class).inNamespace(NS).withName("manual").get();
    assertThat(r.getSpec().promotion().approved()).isTrue();
    assertThat(r.getSpec().promotion().policy()).isEqualTo("Manual");
    assertThat(kret(launcher, "crud", "promote", "manual").getOutput())
        .contains("already approved");
  }

  @Test
  void rollbackSwapsTheModelsOfTheServingDeployment(QuarkusMainLauncher launcher) {
    Deployment d =
        new DeploymentBuilder()
            .withNewMetadata()
            .withName("rb")
            .withNamespace(NS)
            .addToAnnotations(Annotations.MODEL_PATH, NS + "/new/epoch-2")
            .addToAnnotations(Annotations.PREVIOUS_MODEL_PATH, NS + "/old/epoch-1")
            .endMetadata()
            .withNewSpec()
            .withNewTemplate()
            .withNewMetadata()
            .addToAnnotations(Annotations.MODEL_PATH, NS + "/new/epoch-2")
            .endMetadata()
            .withNewSpec()
            .addNewContainer()
            .withName(PredictorDeployment.CONTAINER)
            .withArgs("serve", "--model", "/models/" + NS + "/new/epoch-2")
            .endContainer()
            .endSpec()
            .endTemplate()
            .endSpec()
            .build();
    client.apps().deployments().inNamespace(NS).resource(d).create();
    LaunchResult r = kret(launcher, "crud", "rollback", "rb");
    assertThat(r.exitCode()).as(r.getErrorOutput()).isZero();
    assertThat(r.getOutput())
        .contains("serving " + NS + "/old/epoch-1 (was " + NS + "/new/epoch-2)");
    Deployment now = client.apps().deployments().inNamespace(NS).withName("rb").get();
    assertThat(now.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs())
        .containsExactly("serve", "--model", "/models/" + NS + "/old/epoch-1", "--port", "8080");
    assertThat(kret(launcher, "crud", "rollback", "nope").exitCode())
        .isEqualTo(ExitCodes.NOT_FOUND);
  }

  @Test
  void logsWithoutAPodSaysSo(QuarkusMainLauncher launcher) {
    LaunchResult r = kret(launcher, "crud", "logs", "pending");
    assertThat(r.exitCode()).isEqualTo(ExitCodes.NOT_FOUND);
    assertThat(r.getErrorOutput()).contains("has no training pod");
  }

  @Test
  void completionPrintsABashScript(QuarkusMainLauncher launcher) {
    LaunchResult r = launcher.launch("completion");
    assertThat(r.exitCode()).isZero();
    assertThat(r.getOutput()).contains("complete -F", "kretctl", "status", "rollback");
  }

  @Test
  void logsPrintsTheTrainersLog(QuarkusMainLauncher launcher) {
    server
        .expect()
        .get()
        .withPath(
            "/api/v1/namespaces/"
                + NS
                + "/pods/training-train-abcde/log?pretty=false&container=trainer")
        .andReturn(200, "epoch 1 micro_f1=55.50\nepoch 2 micro_f1=61.25\n")
        .always();
    LaunchResult r = kret(launcher, "crud", "logs", "training");
    assertThat(r.exitCode()).as(r.getErrorOutput()).isZero();
    assertThat(r.getOutput()).contains("epoch 2 micro_f1=61.25");
  }
}
