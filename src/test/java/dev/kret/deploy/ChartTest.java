package dev.kret.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import dev.kret.operator.ConfigValues;
import io.fabric8.kubernetes.api.model.Toleration;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** charts/kret: lints strictly, renders what k8s/operator/ holds, carries the committed CRD. */
class ChartTest {
  static final Path CHART = Path.of("charts/kret");
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  @Test
  void lintsStrictly() {
    LintResult r = new Helm(CHART).lint().strict().call();
    assertThat(r.isFailed()).as(String.join("\n", r.getMessages())).isFalse();
  }

  @Test
  void chartCrdIsTheCommittedCrd() throws IOException {
    assertThat(Files.readString(CHART.resolve("crds/finetuneruns.kret.dev-v1.yml")))
        .as("cp k8s/crd/finetuneruns.kret.dev-v1.yml charts/kret/crds/")
        .isEqualTo(Files.readString(Path.of("k8s/crd/finetuneruns.kret.dev-v1.yml")));
  }

  @Test
  void defaultsRenderTheOperatorAsInK8s() throws IOException {
    Map<String, JsonNode> objects =
        render(new Helm(CHART).template().withName("kret").withNamespace("kret-system").call());
    assertThat(objects.keySet())
        .containsExactlyInAnyOrder(
            "ServiceAccount/kret-operator",
            "ClusterRole/kret-operator",
            "ClusterRoleBinding/kret-operator",
            "Deployment/kret-operator");
    Map<String, JsonNode> k8s = new HashMap<>();
    for (String f : List.of("k8s/operator/rbac.yaml", "k8s/operator/deployment.yaml")) {
      k8s.putAll(render(Files.readString(Path.of(f))));
    }
    assertThat(objects.get("ClusterRole/kret-operator").get("rules"))
        .isEqualTo(k8s.get("ClusterRole/kret-operator").get("rules"));
    assertThat(objects.get("ClusterRoleBinding/kret-operator").at("/subjects/0/namespace").asText())
        .isEqualTo("kret-system");

    JsonNode pod = objects.get("Deployment/kret-operator").at("/spec/template/spec");
    JsonNode want = k8s.get("Deployment/kret-operator").at("/spec/template/spec");
    assertThat(pod.get("securityContext")).isEqualTo(want.get("securityContext"));
    assertThat(pod.get("serviceAccountName")).isEqualTo(want.get("serviceAccountName"));
    assertThat(pod.get("volumes")).isEqualTo(want.get("volumes"));
    JsonNode c = pod.at("/containers/0");
    JsonNode wc = want.at("/containers/0");
    for (String f : List.of("image", "args", "resources", "securityContext", "volumeMounts")) {
      assertThat(c.get(f)).as(f).isEqualTo(wc.get(f));
    }
    Map<String, String> env = env(c);
    assertThat(env)
        .containsEntry("KRET_OPERATOR_IMAGE", "ghcr.io/kret-dev/kret:0.1.0")
        .containsEntry("OPT_OUT_TRACKING", "true")
        .containsEntry("DJL_OFFLINE", "true")
        .containsEntry("KRET_OPERATOR_MODEL_CLAIM", "kret-models");
    assertThat(YAML.readTree(env.get("KRET_OPERATOR_GPU_TOLERATIONS")).at("/0/key").asText())
        .isEqualTo("nvidia.com/gpu");
    Map<String, String> k8sEnv = env(wc);
    for (String v :
        List.of(
            "KRET_OPERATOR_GPU_NODE_SELECTOR",
            "KRET_OPERATOR_GPU_TOLERATIONS",
            "KRET_OPERATOR_MODEL_CLAIM")) {
      assertThat(env.get(v)).as(v).isEqualTo(k8sEnv.get(v));
    }
  }

  @Test
  void renderedOperatorDefaultsAreWhatTheOperatorParses() throws IOException {
    JsonNode c =
        render(
                new Helm(CHART)
                    .template()
                    .withName("kret")
                    .set("gpu.nodeSelector.nvidia\\.com/gpu\\.present", "true")
                    .set("kueue.queueName", "gpu")
                    .set("imagePullSecrets[0].name", "regcred")
                    .set("imagePullSecrets[1].name", "mirror")
                    .call())
            .get("Deployment/kret-operator")
            .at("/spec/template/spec/containers/0");
    Map<String, String> env = env(c);
    // SmallRye reads a list property as comma-separated values.
    assertThat(env.get("KRET_OPERATOR_IMAGE_PULL_SECRETS")).isEqualTo("regcred,mirror");
    assertThat(
            new ConfigValues.NodeSelectorConverter()
                .convert(env.get("KRET_OPERATOR_GPU_NODE_SELECTOR"))
                .labels())
        .containsExactly(Map.entry("nvidia.com/gpu.present", "true"));
    assertThat(
            new ConfigValues.TolerationsConverter()
                .convert(env.get("KRET_OPERATOR_GPU_TOLERATIONS"))
                .tolerations())
        .containsExactly(new Toleration("NoSchedule", "nvidia.com/gpu", "Exists", null, null));
    assertThat(new ConfigValues.QueueNameConverter().convert(env.get("KRET_OPERATOR_QUEUE_NAME")))
        .isEqualTo("gpu");
    assertThat(new ConfigValues.ClaimNameConverter().convert(env.get("KRET_OPERATOR_MODEL_CLAIM")))
        .isEqualTo("kret-models");
  }

  @Test
  void valuesCreateTheModelVolumeAndTheKueueQueue() throws IOException {
    Map<String, JsonNode> objects =
        render(
            new Helm(CHART)
                .template()
                .withName("kret")
                .withNamespace("kret-system")
                .set("image.tag", "dev")
                .set("modelVolume.create", "true")
                .set("modelVolume.namespace", "ml")
                .set("modelVolume.size", "20Gi")
                .set("kueue.queueName", "gpu")
                .set("kueue.localQueue.create", "true")
                .set("kueue.localQueue.namespace", "ml")
                .set("kueue.localQueue.clusterQueue", "cluster-gpu")
                .call());
    JsonNode pvc = objects.get("PersistentVolumeClaim/kret-models");
    assertThat(pvc.at("/metadata/namespace").asText()).isEqualTo("ml");
    assertThat(pvc.at("/spec/resources/requests/storage").asText()).isEqualTo("20Gi");
    assertThat(pvc.at("/metadata/annotations/helm.sh~1resource-policy").asText()).isEqualTo("keep");
    assertThat(objects.get("LocalQueue/gpu").at("/spec/clusterQueue").asText())
        .isEqualTo("cluster-gpu");
    JsonNode c = objects.get("Deployment/kret-operator").at("/spec/template/spec/containers/0");
    assertThat(c.get("image").asText()).isEqualTo("ghcr.io/kret-dev/kret:dev");
    assertThat(env(c)).containsEntry("KRET_OPERATOR_QUEUE_NAME", "gpu");

    Map<String, JsonNode> existing =
        render(
            new Helm(CHART)
                .template()
                .withName("kret")
                .set("modelVolume.create", "true")
                .set("modelVolume.existingClaim", "shared-models")
                .call());
    assertThat(existing.keySet()).noneMatch(k -> k.startsWith("PersistentVolumeClaim/"));
    assertThat(env(existing.get("Deployment/kret-operator").at("/spec/template/spec/containers/0")))
        .containsEntry("KRET_OPERATOR_MODEL_CLAIM", "shared-models");
  }

  static Map<String, String> env(JsonNode container) {
    Map<String, String> env = new HashMap<>();
    container.get("env").forEach(e -> env.put(e.get("name").asText(), e.path("value").asText()));
    return env;
  }

  /** kind/name of every document; Namespace objects are skipped (the chart installs into one). */
  static Map<String, JsonNode> render(String yaml) throws IOException {
    Map<String, JsonNode> out = new HashMap<>();
    try (YAMLParser p = new YAMLFactory().createParser(yaml)) {
      List<JsonNode> docs = new ArrayList<>();
      YAML.readValues(p, JsonNode.class).forEachRemaining(docs::add);
      for (JsonNode d : docs) {
        if (d == null
            || d.isNull()
            || d.isMissingNode()
            || "Namespace".equals(d.path("kind").asText())) {
          continue;
        }
        out.put(d.get("kind").asText() + "/" + d.at("/metadata/name").asText(), d);
      }
    }
    return out;
  }
}
