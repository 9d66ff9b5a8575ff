package dev.kret.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.kret.api.v1alpha1.FineTuneRun;
import dev.kret.api.v1alpha1.FineTuneRunSpec;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trainer's side of the operator contract, against the fabric8 mock API server. */
@Tag("mock-server")
@EnableKubernetesMockClient(crud = true)
class ClusterRunTest {

  static KubernetesClient client;

  static FineTuneRun resource(String name, String training) throws Exception {
    FineTuneRunTestData.ensure();
    String yaml =
        """
        model:
          init: random
          tokenizer: builtin:klue-roberta-base
          config: {hiddenSize: 32, numLayers: 1, numHeads: 2, intermediateSize: 64}
        dataset: {train: %s, validation: %s}
        input: {maxLength: 64}
        training: {%s}
        """
            .formatted(FineTuneRunTestData.train, FineTuneRunTestData.valid, training);
    FineTuneRun r = new FineTuneRun();
    r.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("team-a").build());
    r.setSpec(new ObjectMapper(new YAMLFactory()).readValue(yaml, FineTuneRunSpec.class));
    return r;
  }

  /** What the operator creates before it starts the trainer. */
  static void createProgressConfigMap(String run) {
    client
        .resource(
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName(run + "-progress")
                .withNamespace("team-a")
                .endMetadata()
                .build())
        .create();
  }

  @Test
  void reportsEveryEpochAndTheSummaryToTheProgressConfigMap(@TempDir Path volume) throws Exception {
    client.resource(resource("ftr-a", "epochs: 2, batchSize: 32, seed: 3")).create();
    createProgressConfigMap("ftr-a");
    Path term = volume.resolve("termination-log");
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    new ClusterRun(client, "team-a", "ftr-a", volume, term, new PrintStream(log, true))
        .run("cpu", false);

    ConfigMap cm = client.configMaps().inNamespace("team-a").withName("ftr-a-progress").get();
    Map<String, String> data = cm.getData();
    assertThat(data).containsKeys("epoch-0001.json", "epoch-0002.json", "summary.json");
    ObjectMapper json = new ObjectMapper();
    JsonNode e2 = json.readTree(data.get("epoch-0002.json"));
    assertThat(e2.get("epoch").asInt()).isEqualTo(2);
    assertThat(e2.get("modelPath").asText()).isEqualTo("team-a/ftr-a/epoch-2");
    for (String k : new String[] {"trainLoss", "evalLoss", "accuracy", "microF1", "auprc"}) {
      assertThat(e2.get(k).isNumber()).as(k).isTrue();
    }
    JsonNode summary = json.readTree(data.get("summary.json"));
    assertThat(summary.get("epochsRun").asInt()).isEqualTo(2);
    assertThat(summary.get("modelPath").asText()).startsWith("team-a/ftr-a/epoch-");
    assertThat(json.readTree(Files.readString(term))).isEqualTo(summary);
    assertThat(volume.resolve("team-a/ftr-a/checkpoint/state.json")).isRegularFile();
    assertThat(volume.resolve(summary.get("modelPath").asText()).resolve("kret.json"))
        .isRegularFile();
  }

  @Test
  void reportsMaskedLmEpochsToTheProgressConfigMap(@TempDir Path volume) throws Exception {
    client.resource(resource("ftr-m", "epochs: 1, mlmEpochs: 2, batchSize: 32, seed: 3")).create();
    createProgressConfigMap("ftr-m");
    new ClusterRun(
            client,
            "team-a",
            "ftr-m",
            volume,
            volume.resolve("termination-log"),
            new PrintStream(new ByteArrayOutputStream(), true))
        .run("cpu", false);

    Map<String, String> data =
        client.configMaps().inNamespace("team-a").withName("ftr-m-progress").get().getData();
    assertThat(data)
        .containsKeys(
            "mlm-epoch-0001.json", "mlm-epoch-0002.json", "epoch-0001.json", "summary.json");
    ObjectMapper json = new ObjectMapper();
    JsonNode m1 = json.readTree(data.get("mlm-epoch-0001.json"));
    JsonNode m2 = json.readTree(data.get("mlm-epoch-0002.json"));
    assertThat(m2.get("epoch").asInt()).isEqualTo(2);
    assertThat(m2.get("epochs").asInt()).isEqualTo(2);
    assertThat(m1.get("epoch").asInt()).isEqualTo(1);
    assertThat(m2.get("loss").asDouble()).isPositive().isNotEqualTo(m1.get("loss").asDouble());
    assertThat(m2.get("samplesPerSecond").asDouble()).isPositive();
    assertThat(m2.get("finishedAt").asText()).isNotBlank();
  }

  /** The Job's trainer (--device auto) of a run with GPUs, on this GPU-less CPU build. */
  @Test
  void aRunWithGpusStopsAtOnceWhenLibtorchSeesNone(@TempDir Path volume) throws Exception {
    client.resource(resource("ftr-gpu", "epochs: 1")).create(); // resources.gpus defaults to 1
    createProgressConfigMap("ftr-gpu");

    Path term = volume.resolve("termination-log");
    assertThatThrownBy(
            () ->
                new ClusterRun(client, "team-a", "ftr-gpu", volume, term, System.err)
                    .run("auto", false))
        .isInstanceOf(FineTuner.InvalidRunException.class)
        .hasMessageStartingWith(
            "spec.resources.gpus is 1: a GPU is required, but libtorch 2.7.1 (flavor cpu) sees 0"
                + " GPUs");
    assertThat(Files.readString(term))
        .as("the reason, for the operator to show with the exit code")
        .startsWith("spec.resources.gpus is 1: a GPU is required");
    assertThat(volume.resolve("team-a/ftr-gpu/checkpoint")).doesNotExist();
    assertThat(
            client.configMaps().inNamespace("team-a").withName("ftr-gpu-progress").get().getData())
        .isNullOrEmpty();
  }

  @Test
  void rejectsAnInvalidSpecAsAConfigurationError(@TempDir Path volume) throws Exception {
    client.resource(resource("ftr-bad", "epochs: 0")).create();
    assertThatThrownBy(
            () ->
                new ClusterRun(client, "team-a", "ftr-bad", volume, null, System.err)
                    .run("cpu", false))
        .isInstanceOf(ClusterRun.InvalidRunResource.class)
        .hasMessageContaining("spec.training.epochs");
  }

  @Test
  void rejectsAMissingRunNamingIt(@TempDir Path volume) {
    assertThatThrownBy(
            () ->
                new ClusterRun(client, "team-a", "nope", volume, null, System.err)
                    .run("cpu", false))
        .isInstanceOf(ClusterRun.InvalidRunResource.class)
        .hasMessageContaining("team-a/nope not found");
  }
}
