package dev.kret.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.kret.api.v1alpha1.FineTuneRunSpec;
import dev.kret.data.KlueReDataset;
import dev.kret.data.Labels;
import dev.kret.data.LoadOptions;
import dev.kret.data.RelationExample;
import dev.kret.hub.Hub;
import dev.kret.hub.HubConfig;
import dev.kret.model.Djl;
import dev.kret.model.ModelDirectory;
import dev.kret.model.RelationClassifier;
import dev.kret.train.FineTuner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The endpoint serving a model directory with kret.json (typed-punct markers, entity-start head).
 */
class TrainedModelServeTest {

  @TempDir static Path tmp;
  static Path model;
  static PredictionServer server;
  static ServeClient client;
  static List<RelationExample> dev;
  static float[][] offline;

  @BeforeAll
  static void trainAndServe() throws Exception {
    Djl.offline();
    ObjectMapper json = new ObjectMapper();
    Path train = tmp.resolve("train.json");
    Path valid = tmp.resolve("validation.json");
    json.writeValue(
        train.toFile(),
        KlueReDataset.load("builtin:klue-re-sample", LoadOptions.defaults())
            .examples()
            .subList(0, 64));
    dev =
        KlueReDataset.load("builtin:klue-re-sample/validation", LoadOptions.defaults())
            .examples()
            .subList(0, 32);
    json.writeValue(valid.toFile(), dev);
    String yaml =
        """
        model:
          init: random
          tokenizer: builtin:klue-roberta-base
          config: {hiddenSize: 32, numLayers: 1, numHeads: 2, intermediateSize: 64}
        dataset: {train: %s, validation: %s}
        input: {maxLength: 64, entityMarkers: typed-punct, head: entity-start}
        training: {epochs: 1, batchSize: 16, learningRate: 3.0e-3, seed: 7}
        objective: {metric: micro_f1}
        """
            .formatted(train, valid);
    FineTuneRunSpec spec =
        new ObjectMapper(new YAMLFactory()).readValue(yaml, FineTuneRunSpec.class);
    Path out = tmp.resolve("run");
    Hub hub = new Hub(HubConfig.defaults().withCacheDir(out.resolve("cache")));
    model =
        Path.of(
            new FineTuner(spec, new FineTuner.Options("serve-test", out, false, hub), List.of())
                .run()
                .modelPath());
    assertThat(Files.isRegularFile(model.resolve(ModelDirectory.KRET_JSON))).isTrue();
    try (ModelDirectory.Opened o = ModelDirectory.open(model, Djl.device(false))) {
      offline = RelationClassifier.exp(new RelationClassifier(o).logProbabilities(dev, 16));
    }
    server =
        PredictionServer.start(
            ServeConfig.loopback("klue-re"), () -> ModelDirectory.open(model, Djl.device(false)));
    server.loaded().get(60, TimeUnit.SECONDS);
    client = new ServeClient(server.baseUrl());
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void v1ProbabilitiesOfATrainedModelEqualTheOfflineClassifier() {
    ServeClient.Reply r = client.post("/v1/models/klue-re:predict", PredictionServerTest.v1(dev));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    JsonNode preds = r.json().get("predictions");
    List<String> labels = Labels.RELATIONS;
    for (int i = 0; i < dev.size(); i++) {
      for (int j = 0; j < labels.size(); j++) {
        assertThat(preds.get(i).get("probabilities").get(labels.get(j)).asDouble())
            .isCloseTo(offline[i][j], within(1e-5));
      }
    }
  }

  @Test
  void v2ProbabilitiesOfATrainedModelEqualTheOfflineClassifier() {
    ServeClient.Reply r =
        client.post("/v2/models/klue-re/infer", PredictionServerTest.v2(dev, "abc"));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    JsonNode probs = r.json().get("outputs").get(2).get("data");
    for (int i = 0; i < dev.size(); i++) {
      for (int j = 0; j < 30; j++) {
        assertThat(probs.get(i * 30 + j).asDouble()).isCloseTo(offline[i][j], within(1e-5));
      }
    }
  }

  @Test
  void concurrentSingleInstanceRequestsMatchTheOfflineClassifier() throws Exception {
    var pool = java.util.concurrent.Executors.newFixedThreadPool(8);
    try {
      List<java.util.concurrent.Future<ServeClient.Reply>> replies = new java.util.ArrayList<>();
      for (RelationExample ex : dev) {
        replies.add(
            pool.submit(
                () ->
                    client.post(
                        "/v1/models/klue-re:predict", PredictionServerTest.v1(List.of(ex)))));
      }
      for (int i = 0; i < dev.size(); i++) {
        JsonNode p = replies.get(i).get().json().get("predictions").get(0).get("probabilities");
        assertThat(p.get("no_relation").asDouble()).isCloseTo(offline[i][0], within(1e-5));
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
