package dev.kret.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kret.api.v1alpha1.FineTuneRun;
import dev.kret.api.v1alpha1.ModelShape;
import dev.kret.api.v1alpha1.PredictorResourcesSpec;
import dev.kret.api.v1alpha1.PromotionSpec;
import dev.kret.contract.Annotations;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import org.junit.jupiter.api.Test;

class PredictorDeploymentTest {
  static Deployment serving(String path, Deployment existing) {
    return PredictorDeployment.desired(
        Fixtures.run(1), "klue-re", path, "micro_f1", 65.0, null, existing, new TestConfig());
  }

  static String modelArg(Deployment d) {
    return d.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs().get(2);
  }

  @Test
  void servesTheModelFromTheVolumeWithReadinessAndNoDowntime() {
    Deployment d = serving("ml/klue/epoch-2", null);
    assertThat(modelArg(d)).isEqualTo("/models/ml/klue/epoch-2");
    var c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/v2/health/ready");
    assertThat(d.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable().getIntVal())
        .isZero();
    assertThat(d.getMetadata().getOwnerReferences()).isNullOrEmpty();
    assertThat(PredictorDeployment.champion(d).value()).isEqualTo(65.0);
  }

  @Test
  void capsGlibcArenasAndKeepsDjlOffline() {
    var env = serving("ml/klue/epoch-2", null).getSpec().getTemplate().getSpec().getContainers();
    assertThat(env.get(0).getEnv())
        .anySatisfy(
            e -> {
              assertThat(e.getName()).isEqualTo("MALLOC_ARENA_MAX");
              assertThat(e.getValue()).isEqualTo("2");
            })
        .anySatisfy(
            e -> {
              assertThat(e.getName()).isEqualTo("DJL_OFFLINE");
              assertThat(e.getValue()).isEqualTo("true");
            });
  }

  /**
   * On a real node the predictor died at start with "Address already in use": the Deployment also
   * turned Quarkus's HTTP server on (QUARKUS_HTTP_HOST_ENABLED) on the port kretctl serve binds.
   */
  @Test
  void servesOnOneHttpServerOnTheProbedPort() {
    Deployment d = serving("ml/klue/epoch-2", null);
    var c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(c.getArgs())
        .containsExactly("serve", "--model", "/models/ml/klue/epoch-2", "--port", "8080");
    assertThat(c.getEnv()).noneMatch(e -> e.getName().startsWith("QUARKUS_HTTP"));
    assertThat(c.getPorts())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.getName()).isEqualTo("http");
              assertThat(p.getContainerPort()).isEqualTo(8080);
            });
    assertThat(c.getReadinessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("http");
    Deployment back =
        PredictorDeployment.rolledBack(serving("ml/b/epoch-1", serving("ml/a/epoch-3", null)))
            .orElseThrow();
    assertThat(back.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs())
        .containsExactly("serve", "--model", "/models/ml/a/epoch-3", "--port", "8080");
  }

  @Test
  void acceptsAbsoluteModelPaths() {
    assertThat(PredictorDeployment.mountedPath("/models/a/b")).isEqualTo("/models/a/b");
  }

  @Test
  void recordsThePreviousModelAndRollsBackToIt() {
    Deployment second = serving("ml/b/epoch-1", serving("ml/a/epoch-3", null));
    assertThat(second.getMetadata().getAnnotations())
        .containsEntry(Annotations.PREVIOUS_MODEL_PATH, "ml/a/epoch-3");
    Deployment back = PredictorDeployment.rolledBack(second).orElseThrow();
    assertThat(modelArg(back)).isEqualTo("/models/ml/a/epoch-3");
    assertThat(back.getMetadata().getAnnotations())
        .containsEntry(Annotations.MODEL_PATH, "ml/a/epoch-3")
        .containsEntry(Annotations.PREVIOUS_MODEL_PATH, "ml/b/epoch-1")
        .doesNotContainKey(Annotations.VALUE);
  }

  @Test
  void noRollbackWithoutAPreviousModel() {
    assertThat(PredictorDeployment.rolledBack(serving("ml/a/epoch-3", null))).isEmpty();
  }

  static final ModelShape ROBERTA_BASE = new ModelShape(110_618_398L, 12, 768, 12, 3072, 256);

  @Test
  void sizesThePodFromTheModelAndHeapsItForOffHeapWeights() {
    Deployment d =
        PredictorDeployment.desired(
            Fixtures.run(1),
            "klue-re",
            "ml/klue/epoch-2",
            "micro_f1",
            65.0,
            ROBERTA_BASE,
            null,
            new TestConfig());
    var c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(c.getResources().getRequests().get("memory"))
        .isEqualTo(c.getResources().getLimits().get("memory"));
    long memory = Quantity.getAmountInBytes(c.getResources().getLimits().get("memory")).longValue();
    // Measured (bench/predictor-memory, roberta-base at 256 tokens, passes of 2,048 tokens): peak
    // 1,346 MiB under load. The estimate is 2112Mi: weights, one pass's layer, runtime, half again.
    assertThat(memory).isBetween(1_900_000_000L, 2_600_000_000L);
    assertThat(c.getResources().getRequests().get("cpu")).isEqualTo(new Quantity("1"));
    assertThat(c.getResources().getLimits().get("cpu")).isEqualTo(new Quantity("2"));
    assertThat(c.getEnv())
        .anySatisfy(
            e -> {
              assertThat(e.getName()).isEqualTo("JAVA_OPTS_APPEND");
              assertThat(e.getValue()).isEqualTo("-Xmx256m -XX:MaxDirectMemorySize=" + memory);
            });
  }

  @Test
  void theRunsResourcesOverrideTheEstimate() {
    FineTuneRun run = Fixtures.run(1);
    run.setSpec(
        run.getSpec()
            .withPromotion(
                new PromotionSpec(
                    "Auto", "klue-re", null, null, new PredictorResourcesSpec("500m", "3Gi"))));
    var c =
        PredictorDeployment.desired(
                run,
                "klue-re",
                "ml/klue/epoch-2",
                "micro_f1",
                65.0,
                ROBERTA_BASE,
                null,
                new TestConfig())
            .getSpec()
            .getTemplate()
            .getSpec()
            .getContainers()
            .get(0);
    assertThat(c.getResources().getLimits().get("memory")).isEqualTo(new Quantity("3Gi"));
    assertThat(c.getResources().getRequests().get("cpu")).isEqualTo(new Quantity("500m"));
    assertThat(c.getResources().getLimits().get("cpu")).isEqualTo(new Quantity("1"));
  }

  @Test
  void withoutAModelSizeTheFallbackApplies() {
    var c =
        serving("ml/klue/epoch-2", null).getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(c.getResources().getLimits().get("memory")).isEqualTo(new Quantity("2Gi"));
    // A report the operator cannot believe is no report.
    assertThat(
            PredictorSizing.of(null, new ModelShape(-1L, 12, 768, 12, 3072, 256))
                .getLimits()
                .get("memory"))
        .isEqualTo(new Quantity("2Gi"));
  }

  @Test
  void restrictedPodSecurityNoTokenPullSecretsAndAGracefulStop() {
    var pod = serving("ml/klue/epoch-2", null).getSpec().getTemplate().getSpec();
    assertThat(pod.getAutomountServiceAccountToken()).isFalse();
    assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getImagePullSecrets()).extracting("name").containsExactly("regcred");
    var c = pod.getContainers().get(0);
    assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(c.getLifecycle().getPreStop().getSleep().getSeconds()).isEqualTo(5L);
    assertThat(pod.getTerminationGracePeriodSeconds()).isEqualTo(40L);
  }
}
