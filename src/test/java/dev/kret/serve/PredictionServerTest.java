package dev.kret.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kret.Fixtures;
import dev.kret.data.KlueReDataset;
import dev.kret.data.LoadOptions;
import dev.kret.data.RelationExample;
import dev.kret.model.Djl;
import dev.kret.model.ModelDirectory;
import dev.kret.model.RelationClassifier;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The endpoint over HTTP against the tiny plain-HF fixture model. */
class PredictionServerTest {

  static final Path FIXTURE = Fixtures.TINY_ROBERTA;
  static final long BODY_LIMIT = 16 * 1024;

  static PredictionServer server;
  static ServeClient client;
  static List<RelationExample> dev;
  static float[][] offline;

  @BeforeAll
  static void start() throws Exception {
    Djl.offline();
    dev =
        KlueReDataset.load("builtin:klue-re-sample/validation", LoadOptions.defaults())
            .examples()
            .subList(0, 24);
    try (ModelDirectory.Opened o = ModelDirectory.open(FIXTURE, Djl.device(false))) {
      offline = RelationClassifier.exp(new RelationClassifier(o).logProbabilities(dev, 8));
    }
    server =
        PredictionServer.start(
            ServeConfig.loopback("tiny")
                .withBatching(16, Duration.ofMillis(20), 2)
                .withMaxBodyBytes(BODY_LIMIT),
            () -> ModelDirectory.open(FIXTURE, Djl.device(false)));
    server.loaded().get(60, TimeUnit.SECONDS);
    client = new ServeClient(server.baseUrl());
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  static ObjectNode instance(RelationExample ex) {
    ObjectNode n = ServeClient.JSON.valueToTree(ex);
    n.remove("label");
    n.remove("source");
    return n;
  }

  static ObjectNode v1(List<RelationExample> examples) {
    ObjectNode body = ServeClient.JSON.createObjectNode();
    ArrayNode list = body.putArray("instances");
    examples.forEach(e -> list.add(instance(e)));
    return body;
  }

  static ObjectNode v2(List<RelationExample> examples, String id) {
    ObjectNode body = ServeClient.JSON.createObjectNode();
    if (id != null) {
      body.put("id", id);
    }
    ArrayNode inputs = body.putArray("inputs");
    int n = examples.size();
    ArrayNode sentence = tensor(inputs, "sentence", "BYTES", n);
    ArrayNode sSpan = tensor(inputs, "subject_span", "INT32", n, 2);
    ArrayNode oSpan = tensor(inputs, "object_span", "INT32", n, 2);
    ArrayNode sType = tensor(inputs, "subject_type", "BYTES", n);
    ArrayNode oType = tensor(inputs, "object_type", "BYTES", n);
    for (RelationExample e : examples) {
      sentence.add(e.sentence());
      sSpan.addArray().add(e.subject().start()).add(e.subject().end());
      oSpan.addArray().add(e.object().start()).add(e.object().end());
      sType.add(e.subject().type());
      oType.add(e.object().type());
    }
    return body;
  }

  static ArrayNode tensor(ArrayNode inputs, String name, String datatype, int... shape) {
    ObjectNode t = inputs.addObject().put("name", name).put("datatype", datatype);
    ArrayNode s = t.putArray("shape");
    for (int d : shape) {
      s.add(d);
    }
    return t.putArray("data");
  }

  @Test
  void v1PredictReturnsLabelScoreAndProbabilitiesByLabel() {
    ServeClient.Reply r = client.post("/v1/models/tiny:predict", v1(dev.subList(0, 3)));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    JsonNode preds = r.json().get("predictions");
    assertThat(preds).hasSize(3);
    JsonNode p = preds.get(0);
    assertThat(p.get("probabilities")).hasSize(30);
    assertThat(p.get("probabilities").get(p.get("label").asText()).asDouble())
        .isEqualTo(p.get("score").asDouble());
  }

  @Test
  void v1ProbabilitiesEqualTheOfflineClassifier() {
    JsonNode preds = client.post("/v1/models/tiny:predict", v1(dev)).json().get("predictions");
    List<String> labels = labels();
    for (int i = 0; i < dev.size(); i++) {
      for (int j = 0; j < labels.size(); j++) {
        assertThat(preds.get(i).get("probabilities").get(labels.get(j)).asDouble())
            .as("instance %d label %s", i, labels.get(j))
            .isCloseTo(offline[i][j], within(1e-5));
      }
    }
  }

  @Test
  void v2InferReturnsTheThreeOutputTensorsAndEchoesTheId() {
    ServeClient.Reply r = client.post("/v2/models/tiny/infer", v2(dev, "req-7"));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    JsonNode n = r.json();
    assertThat(n.get("id").asText()).isEqualTo("req-7");
    assertThat(n.get("model_name").asText()).isEqualTo("tiny");
    JsonNode out = n.get("outputs");
    assertThat(out.get(0).get("name").asText()).isEqualTo("label");
    assertThat(out.get(0).get("datatype").asText()).isEqualTo("BYTES");
    assertThat(out.get(0).get("shape").toString()).isEqualTo("[" + dev.size() + "]");
    assertThat(out.get(1).get("name").asText()).isEqualTo("label_id");
    assertThat(out.get(1).get("datatype").asText()).isEqualTo("INT64");
    assertThat(out.get(2).get("name").asText()).isEqualTo("probabilities");
    assertThat(out.get(2).get("datatype").asText()).isEqualTo("FP32");
    assertThat(out.get(2).get("shape").toString()).isEqualTo("[" + dev.size() + ",30]");
    JsonNode probs = out.get(2).get("data");
    assertThat(probs).hasSize(dev.size() * 30);
    List<String> labels = labels();
    for (int i = 0; i < dev.size(); i++) {
      int id = out.get(1).get("data").get(i).asInt();
      assertThat(out.get(0).get("data").get(i).asText()).isEqualTo(labels.get(id));
      for (int j = 0; j < 30; j++) {
        assertThat(probs.get(i * 30 + j).asDouble()).isCloseTo(offline[i][j], within(1e-5));
      }
    }
  }

  @Test
  void v2MetadataListsInputsOutputsAndTheLabelOrder() {
    JsonNode n = client.get("/v2/models/tiny").json();
    assertThat(n.get("name").asText()).isEqualTo("tiny");
    assertThat(n.get("inputs")).hasSize(5);
    assertThat(n.get("outputs")).hasSize(3);
    assertThat(n.get("parameters").get("labels")).hasSize(30);
    assertThat(n.get("parameters").get("labels").get(0).asText()).isEqualTo("no_relation");
  }

  @Test
  void v1MetadataSaysReadyWithTheLabels() {
    JsonNode n = client.get("/v1/models/tiny").json();
    assertThat(n.get("ready").asBoolean()).isTrue();
    assertThat(n.get("labels")).hasSize(30);
  }

  @Test
  void healthEndpointsAnswerLiveAndReady() {
    assertThat(client.get("/v2/health/live").status()).isEqualTo(200);
    assertThat(client.get("/v2/health/ready").status()).isEqualTo(200);
    assertThat(client.get("/v2/models/tiny/ready").json().get("ready").asBoolean()).isTrue();
  }

  static Stream<Arguments> badRequests() {
    return Stream.of(
        bad("invalid JSON", 400, "not valid JSON", "{\"instances\": [", null),
        bad("body not an object", 400, "body must be a JSON object", "[1,2]", null),
        bad("instances missing", 400, "instances is missing", "{}", null),
        bad("instances empty", 400, "instances is empty", "{\"instances\": []}", null),
        bad(
            "instance not an object",
            400,
            "instances[0] must be an object",
            "{\"instances\": [3]}",
            null),
        v1bad(
            "start_idx a string",
            400,
            "instances[0].subject_entity.start_idx must be an integer",
            i -> ((ObjectNode) i.get("subject_entity")).put("start_idx", "0")),
        v1bad(
            "object_entity missing",
            400,
            "instances[0].object_entity is missing",
            i -> i.remove("object_entity")),
        v1bad(
            "sentence missing", 400, "instances[0].sentence is missing", i -> i.remove("sentence")),
        v1bad(
            "word missing",
            400,
            "instances[0].subject_entity.word is missing",
            i -> ((ObjectNode) i.get("subject_entity")).remove("word")),
        v1bad(
            "span outside",
            400,
            "instances[0].object_entity.end_idx 999 is outside the sentence",
            i -> ((ObjectNode) i.get("object_entity")).put("end_idx", 999)),
        v1bad(
            "negative start",
            400,
            "instances[0].object_entity.start_idx -1 is negative",
            i -> ((ObjectNode) i.get("object_entity")).put("start_idx", -1)),
        v1bad(
            "end before start",
            400,
            "instances[0].subject_entity.end_idx",
            i -> {
              ObjectNode s = (ObjectNode) i.get("subject_entity");
              s.put("end_idx", s.get("start_idx").asInt() - 1);
            }),
        v1bad(
            "word mismatch",
            400,
            "instances[0].subject_entity.word \"엉뚱\" does not match",
            i -> ((ObjectNode) i.get("subject_entity")).put("word", "엉뚱")),
        v1bad(
            "unknown type",
            400,
            "instances[0].object_entity.type \"XYZ\" is not one of",
            i -> ((ObjectNode) i.get("object_entity")).put("type", "XYZ")),
        v1bad(
            "blank sentence",
            400,
            "instances[0].sentence is blank",
            i -> i.put("sentence", "  \t ")),
        v1bad(
            "overlapping entities",
            400,
            "overlap",
            i -> i.set("object_entity", i.get("subject_entity").deepCopy())),
        v2bad(
            "v2 wrong datatype",
            400,
            "input subject_span.datatype must be INT32",
            b -> ((ObjectNode) b.get("inputs").get(1)).put("datatype", "FP32")),
        v2bad(
            "v2 input missing",
            400,
            "input object_type is missing",
            b -> ((ArrayNode) b.get("inputs")).remove(4)),
        v2bad(
            "v2 span outside",
            400,
            "object_span[0] end 999 is outside the sentence",
            b -> ((ArrayNode) b.get("inputs").get(2).get("data").get(0)).set(1, 999)),
        v2bad(
            "v2 unknown type",
            400,
            "subject_type[0] \"XYZ\" is not one of",
            b -> ((ArrayNode) b.get("inputs").get(3).get("data")).set(0, "XYZ")),
        v2bad(
            "v2 shape mismatch",
            400,
            "input object_type.data has 2 elements",
            b -> ((ArrayNode) b.get("inputs").get(4).get("data")).add("PER")));
  }

  static Arguments bad(String what, int status, String message, String body, String path) {
    return Arguments.of(
        what, path == null ? "/v1/models/tiny:predict" : path, body, status, message);
  }

  static Arguments v1bad(String what, int status, String message, Consumer<ObjectNode> edit) {
    ObjectNode body = v1(dev0());
    edit.accept((ObjectNode) body.get("instances").get(0));
    return Arguments.of(what, "/v1/models/tiny:predict", body.toString(), status, message);
  }

  static Arguments v2bad(String what, int status, String message, Consumer<ObjectNode> edit) {
    ObjectNode body = v2(dev0(), null);
    edit.accept(body);
    return Arguments.of(what, "/v2/models/tiny/infer", body.toString(), status, message);
  }

  static List<RelationExample> dev0() {
    return KlueReDataset.load("builtin:klue-re-sample/validation", LoadOptions.defaults())
        .examples()
        .subList(0, 1);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badRequests")
  void rejectsBadInputWithA4xxNamingTheFieldAndAnswersTheNextRequest(
      String what, String path, String body, int status, String message) {
    ServeClient.Reply r = client.post(path, body, "application/json");
    assertThat(r.status()).as(r.body()).isEqualTo(status);
    assertThat(r.json().get("error").asText()).contains(message);
    assertThat(client.post("/v1/models/tiny:predict", v1(dev.subList(0, 1))).status())
        .isEqualTo(200);
  }

  @Test
  void namesTheIndexOfTheBadInstance() {
    ObjectNode body = v1(dev.subList(0, 3));
    ((ObjectNode) body.get("instances").get(2).get("subject_entity")).put("end_idx", 5000);
    ServeClient.Reply r = client.post("/v1/models/tiny:predict", body);
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().get("error").asText()).startsWith("instances[2].subject_entity.end_idx");
  }

  @Test
  void rejectsOversizedBodyWith413() {
    String pad = " ".repeat((int) BODY_LIMIT + 10);
    ServeClient.Reply r =
        client.post("/v1/models/tiny:predict", v1(dev.subList(0, 1)) + pad, "application/json");
    assertThat(r.status()).isEqualTo(413);
    assertThat(r.json().get("error").asText()).contains("larger than");
    assertThat(client.post("/v1/models/tiny:predict", v1(dev.subList(0, 1))).status())
        .isEqualTo(200);
  }

  @Test
  void rejectsWrongContentTypeWith415() {
    ServeClient.Reply r =
        client.post("/v1/models/tiny:predict", v1(dev.subList(0, 1)).toString(), "text/plain");
    assertThat(r.status()).isEqualTo(415);
    assertThat(r.json().get("error").asText()).contains("Content-Type");
  }

  @Test
  void rejectsUnknownModelNameWith404() {
    ServeClient.Reply r = client.post("/v1/models/other:predict", v1(dev.subList(0, 1)));
    assertThat(r.status()).isEqualTo(404);
    assertThat(r.json().get("error").asText()).contains("\"other\"");
    assertThat(client.get("/v2/models/other").status()).isEqualTo(404);
  }

  @Test
  void concurrentRequestsShareForwardPasses() throws Exception {
    long before = server.metrics().batchesLargerThanOne();
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      List<Future<ServeClient.Reply>> replies = new ArrayList<>();
      for (int i = 0; i < 64; i++) {
        RelationExample ex = dev.get(i % dev.size());
        replies.add(pool.submit(() -> client.post("/v1/models/tiny:predict", v1(List.of(ex)))));
      }
      for (Future<ServeClient.Reply> f : replies) {
        assertThat(f.get().status()).isEqualTo(200);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(server.metrics().batchesLargerThanOne()).isGreaterThan(before);
  }

  @Test
  void metricsExposeRequestsLatencyBatchSizesAndErrors() {
    client.post("/v1/models/tiny:predict", v1(dev.subList(0, 2)));
    client.post("/v1/models/tiny:predict", "{", "application/json");
    ServeClient.Reply r = client.get("/metrics");
    assertThat(r.status()).isEqualTo(200);
    assertThat(
            series(
                r.body(), "kret_serve_requests_total", "endpoint=\"v1_predict\"", "code=\"200\""))
        .isPositive();
    assertThat(
            series(
                r.body(), "kret_serve_requests_total", "endpoint=\"v1_predict\"", "code=\"400\""))
        .isPositive();
    assertThat(
            series(
                r.body(),
                "kret_serve_request_duration_seconds_bucket",
                "endpoint=\"v1_predict\"",
                "le=\"0.005\""))
        .isNotNegative();
    assertThat(series(r.body(), "kret_serve_batch_size_bucket", "le=\"+Inf\"")).isPositive();
    assertThat(series(r.body(), "kret_serve_errors_total", "kind=\"invalid_json\"")).isPositive();
    assertThat(series(r.body(), "kret_serve_instances_total")).isPositive();
    assertThat(series(r.body(), "kret_serve_native_arrays")).isPositive();
    assertThat(series(r.body(), "kret_serve_queued_instances")).isZero();
    assertThat(series(r.body(), "kret_serve_dropped_instances_total")).isNotNegative();
    assertThat(series(r.body(), "process_resident_memory_bytes")).isGreaterThan(1e6);
    assertThat(r.body()).contains("# TYPE kret_serve_request_duration_seconds histogram");
  }

  /** The value of the one series with this name and these labels (in any order); -1 if none. */
  static double series(String exposition, String name, String... labels) {
    double found = -1;
    for (String line : exposition.split("\n")) {
      if (line.startsWith("#")) {
        continue;
      }
      int cut = line.lastIndexOf(' ');
      String key = line.substring(0, cut);
      String metric = key.contains("{") ? key.substring(0, key.indexOf('{')) : key;
      if (!metric.equals(name)) {
        continue;
      }
      boolean all = true;
      for (String l : labels) {
        all &= key.contains(l);
      }
      if (all) {
        assertThat(found).as("more than one series %s %s", name, List.of(labels)).isEqualTo(-1);
        found = Double.parseDouble(line.substring(cut + 1));
      }
    }
    return found;
  }

  @Test
  void readyFlipsOnlyAfterTheModelIsLoaded() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    try (PredictionServer s =
        PredictionServer.start(
            ServeConfig.loopback("tiny"),
            () -> {
              release.await();
              return ModelDirectory.open(FIXTURE, Djl.device(false));
            })) {
      ServeClient c = new ServeClient(s.baseUrl());
      assertThat(c.get("/v2/health/live").status()).isEqualTo(200);
      assertThat(c.get("/v2/health/ready").status()).isEqualTo(503);
      assertThat(c.get("/v2/models/tiny/ready").status()).isEqualTo(503);
      ServeClient.Reply early = c.post("/v1/models/tiny:predict", v1(dev.subList(0, 1)));
      assertThat(early.status()).isEqualTo(503);
      assertThat(early.json().get("error").asText()).contains("loading");
      release.countDown();
      s.loaded().get(60, TimeUnit.SECONDS);
      assertThat(c.get("/v2/health/ready").status()).isEqualTo(200);
      assertThat(c.post("/v1/models/tiny:predict", v1(dev.subList(0, 1))).status()).isEqualTo(200);
    }
  }

  @Test
  void readyFlipsOnlyAfterTheWarmUpPassesRanOnEveryWorker() throws Exception {
    List<String> passes = new java.util.concurrent.CopyOnWriteArrayList<>();
    List<Integer> probes = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (PredictionServer s =
        PredictionServer.start(
            ServeConfig.loopback("tiny").withBatching(4, Duration.ofMillis(5), 2),
            () -> ModelDirectory.open(FIXTURE, Djl.device(false)),
            (server, rows, length) -> {
              passes.add(rows + "x" + length);
              probes.add(new ServeClient(server.baseUrl()).get("/v2/health/ready").status());
              probes.add(
                  new ServeClient(server.baseUrl())
                      .post("/v1/models/tiny:predict", v1(dev.subList(0, 1)))
                      .status());
            })) {
      s.loaded().get(60, TimeUnit.SECONDS);
      assertThat(probes).hasSize(8).containsOnly(503);
      int maxLength;
      try (ModelDirectory.Opened o = ModelDirectory.open(FIXTURE, Djl.device(false))) {
        maxLength = new RelationClassifier(o).encoder().maxLength();
      }
      assertThat(passes).contains("1x" + maxLength, "4x" + maxLength);
      assertThat(passes.get(0)).startsWith("1x");
      assertThat(new ServeClient(s.baseUrl()).get("/v2/health/ready").status()).isEqualTo(200);
      // Warm-up passes are not requests: the batch-size histogram starts empty.
      assertThat(s.metrics().batches()).isZero();
    }
  }

  @Test
  void lenientServerAcceptsAWordThatDiffersFromItsSpan() throws Exception {
    try (PredictionServer s =
        PredictionServer.start(
            ServeConfig.loopback("tiny").withLenient(true),
            () -> ModelDirectory.open(FIXTURE, Djl.device(false)))) {
      s.loaded().get(60, TimeUnit.SECONDS);
      ObjectNode body = v1(dev.subList(0, 1));
      ((ObjectNode) body.get("instances").get(0).get("subject_entity")).put("word", "엉뚱");
      ServeClient.Reply r = new ServeClient(s.baseUrl()).post("/v1/models/tiny:predict", body);
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      assertThat(r.json().get("predictions").get(0).get("score").asDouble())
          .isCloseTo(offline[0][PredictionServer.argmax(offline[0])], within(1e-5));
    }
  }

  @Test
  void shutdownDrainsInFlightRequests() throws Exception {
    PredictionServer s =
        PredictionServer.start(
            ServeConfig.loopback("tiny").withBatching(64, Duration.ofMillis(700), 1),
            () -> ModelDirectory.open(FIXTURE, Djl.device(false)));
    s.loaded().get(60, TimeUnit.SECONDS);
    ServeClient c = new ServeClient(s.baseUrl());
    CompletableFuture<ServeClient.Reply> inFlight =
        CompletableFuture.supplyAsync(
            () -> c.post("/v1/models/tiny:predict", v1(dev.subList(0, 2))));
    Thread.sleep(300); // the request now waits in the batcher for more instances
    s.close();
    ServeClient.Reply r = inFlight.get(30, TimeUnit.SECONDS);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json().get("predictions")).hasSize(2);
  }

  static List<String> labels() {
    List<String> out = new ArrayList<>();
    client
        .get("/v2/models/tiny")
        .json()
        .get("parameters")
        .get("labels")
        .forEach(l -> out.add(l.asText()));
    return out;
  }
}
