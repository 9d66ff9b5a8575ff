package dev.kret.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Toleration;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigValuesTest {

  /** OperatorConfig loaded from environment variables only, as in the operator's pod. */
  static OperatorConfig fromEnv(Map<String, String> env) {
    SmallRyeConfig config =
        new SmallRyeConfigBuilder()
            .withMapping(OperatorConfig.class)
            .withConverter(Duration.class, 200, new DurationConverter())
            .withSources(new EnvConfigSource(env, 300))
            .build();
    return config.getConfigMapping(OperatorConfig.class);
  }

  @Test
  void readsTheChartsEnvironmentVariables() {
    // Exactly what charts/kret/templates/deployment.yaml renders (toJson of the values).
    OperatorConfig c =
        fromEnv(
            Map.of(
                "KRET_OPERATOR_GPU_NODE_SELECTOR", "{\"nvidia.com/gpu.present\":\"true\"}",
                "KRET_OPERATOR_GPU_TOLERATIONS",
                    "[{\"effect\":\"NoSchedule\",\"key\":\"nvidia.com/gpu\",\"operator\":\"Exists\"}]",
                "KRET_OPERATOR_QUEUE_NAME", "gpu",
                "KRET_OPERATOR_MODEL_CLAIM", "shared-models"));
    assertThat(c.gpuNodeSelector().labels())
        .containsExactly(Map.entry("nvidia.com/gpu.present", "true"));
    assertThat(c.gpuTolerations().tolerations())
        .containsExactly(new Toleration("NoSchedule", "nvidia.com/gpu", "Exists", null, null));
    assertThat(c.queueName()).contains("gpu");
    assertThat(c.modelClaim()).isEqualTo("shared-models");
  }

  @Test
  void unsetMeansNoPlacementNoQueueAndTheDefaultClaim() {
    OperatorConfig c = fromEnv(Map.of());
    assertThat(c.gpuNodeSelector().labels()).isEmpty();
    assertThat(c.gpuTolerations().tolerations()).isEmpty();
    assertThat(c.queueName()).isEmpty();
    assertThat(c.modelClaim()).isEqualTo("kret-models");
    assertThat(RunDefaults.of(c)).isEqualTo(RunDefaults.NONE);
  }

  @Test
  void malformedNodeSelectorFailsNamingTheVariable() {
    assertThatThrownBy(() -> fromEnv(Map.of("KRET_OPERATOR_GPU_NODE_SELECTOR", "gpu=a100")))
        .hasStackTraceContaining("KRET_OPERATOR_GPU_NODE_SELECTOR")
        .hasStackTraceContaining("JSON object");
  }

  @Test
  void malformedTolerationsFailNamingTheVariable() {
    assertThatThrownBy(
            () -> fromEnv(Map.of("KRET_OPERATOR_GPU_TOLERATIONS", "[{\"key\":\"nvidia.com/gpu\"")))
        .hasStackTraceContaining("KRET_OPERATOR_GPU_TOLERATIONS");
  }

  @Test
  void invalidQueueAndClaimNamesFailNamingTheVariable() {
    assertThatThrownBy(() -> fromEnv(Map.of("KRET_OPERATOR_QUEUE_NAME", "GPU queue")))
        .hasStackTraceContaining("KRET_OPERATOR_QUEUE_NAME");
    assertThatThrownBy(() -> fromEnv(Map.of("KRET_OPERATOR_MODEL_CLAIM", "Models_PVC")))
        .hasStackTraceContaining("KRET_OPERATOR_MODEL_CLAIM");
  }

  @Test
  void nodeSelectorTakesUnquotedYamlScalarsAsText() {
    var labels =
        new ConfigValues.NodeSelectorConverter()
            .convert("{\"gpu.present\":true,\"gpu.count\":8}")
            .labels();
    assertThat(labels).containsEntry("gpu.present", "true").containsEntry("gpu.count", "8");
  }

  @Test
  void nodeSelectorRejectsNestedValuesAndArrays() {
    var converter = new ConfigValues.NodeSelectorConverter();
    assertThatThrownBy(() -> converter.convert("{\"gpu\":{\"a\":\"b\"}}"))
        .hasMessageContaining("label \"gpu\"");
    assertThatThrownBy(() -> converter.convert("[\"gpu\"]")).hasMessageContaining("got array");
    assertThatThrownBy(() -> converter.convert("{} {}")).hasMessageContaining("JSON object");
  }

  @Test
  void helmNullIsNoDefault() {
    assertThat(new ConfigValues.NodeSelectorConverter().convert("null").labels()).isEmpty();
    assertThat(new ConfigValues.TolerationsConverter().convert("null").tolerations()).isEmpty();
  }

  @Test
  void tolerationsRejectTyposAndImpossibleCombinations() {
    var converter = new ConfigValues.TolerationsConverter();
    assertThatThrownBy(() -> converter.convert("[{\"key\":\"gpu\",\"efect\":\"NoSchedule\"}]"))
        .hasMessageContaining("element 0 has an unknown field \"efect\"");
    assertThatThrownBy(() -> converter.convert("[{\"key\":\"gpu\",\"operator\":\"In\"}]"))
        .hasMessageContaining("operator must be Exists or Equal");
    assertThatThrownBy(() -> converter.convert("[{\"key\":\"gpu\",\"effect\":\"NoExec\"}]"))
        .hasMessageContaining("effect must be");
    assertThatThrownBy(
            () -> converter.convert("[{\"key\":\"gpu\",\"operator\":\"Exists\",\"value\":\"x\"}]"))
        .hasMessageContaining("Exists takes no value");
    assertThatThrownBy(() -> converter.convert("[\"gpu\"]"))
        .hasMessageContaining("element 0 is not an object");
  }

  @Test
  void tolerationKeepsTolerationSeconds() {
    Toleration t =
        new ConfigValues.TolerationsConverter()
            .convert(
                "[{\"key\":\"node.kubernetes.io/not-ready\",\"operator\":\"Exists\","
                    + "\"effect\":\"NoExecute\",\"tolerationSeconds\":300}]")
            .tolerations()
            .get(0);
    assertThat(t.getTolerationSeconds()).isEqualTo(300L);
    assertThat(t.getAdditionalProperties()).isEmpty();
  }
}
