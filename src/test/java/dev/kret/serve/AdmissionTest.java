package dev.kret.serve;

import static dev.kret.serve.PredictionServerTest.v1;
import static dev.kret.serve.PredictionServerTest.v2;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kret.data.KlueReDataset;
import dev.kret.data.LoadOptions;
import dev.kret.data.RelationExample;
import dev.kret.model.Djl;
import dev.kret.model.ModelDirectory;
import dev.kret.text.RelationEncoder.Encoded;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Admission control, failures of the engine, and shutdown, each against the tiny fixture model with
 * a forward pass the test controls.
 */
class AdmissionTest {

  static List<RelationExample> dev;

  @BeforeAll
  static void sample() {
    Djl.offline();
    dev =
        KlueReDataset.load("builtin:klue-re-sample/validation", LoadOptions.defaults())
            .examples()
            .subList(0, 4);
  }

  /** Wraps the forward pass once warm-up is over: counts rows, blocks on a gate, or fails. */
  static final class Engine implements PredictionServer.ForwardWrapper {
    final AtomicBoolean armed = new AtomicBoolean();
    final CountDownLatch started = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    final AtomicInteger rows = new AtomicInteger();
    volatile RuntimeException failure;
    volatile Error error;
    volatile boolean gated;

    @Override
    public Function<List<Encoded>, float[][]> apply(Function<List<Encoded>, float[][]> forward) {
      return batch -> {
        if (armed.get()) {
          rows.addAndGet(batch.size());
          started.countDown();
          if (failure != null) {
            throw failure;
          }
          if (error != null) {
            throw error;
          }
          if (gated) {
            try {
              release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
        }
        return forward.apply(batch);
      };
    }
  }

  static PredictionServer start(ServeConfig config, Engine engine) throws Exception {
    PredictionServer s =
        PredictionServer.start(
            config,
            () -> ModelDirectory.open(PredictionServerTest.FIXTURE, Djl.device(false)),
            (server, rows, length) -> {},
            engine);
    s.loaded().get(60, TimeUnit.SECONDS);
    engine.armed.set(true);
    return s;
  }

  static ServeConfig.Limits admission(int maxInstances, int maxQueue, Duration queueTimeout) {
    return ServeConfig.Limits.defaults().withAdmission(maxInstances, maxQueue, queueTimeout);
  }

  static void await(java.util.function.BooleanSupplier condition, String what)
      throws InterruptedException {
    for (int i = 0; i < 1000 && !condition.getAsBoolean(); i++) {
      Thread.sleep(10);
    }
    assertThat(condition.getAsBoolean()).as(what).isTrue();
  }

  @Test
  void refusesMoreInstancesThanTheCapWith413NamingTheLimit() throws Exception {
    Engine engine = new Engine();
    ServeConfig config =
        ServeConfig.loopback("tiny").withLimits(admission(3, 64, Duration.ofSeconds(30)));
    try (PredictionServer s = start(config, engine)) {
      ServeClient c = new ServeClient(s.baseUrl());
      ServeClient.Reply v1 = c.post("/v1/models/tiny:predict", v1(dev));
      assertThat(v1.status()).as(v1.body()).isEqualTo(413);
      assertThat(v1.json().get("error").asText())
          .contains("instances has 4 elements; at most 3 per request (--max-instances)");
      ServeClient.Reply v2 = c.post("/v2/models/tiny/infer", v2(dev, null));
      assertThat(v2.status()).isEqualTo(413);
      assertThat(v2.json().get("error").asText()).contains("sentence has 4 elements; at most 3");
      assertThat(engine.rows.get()).isZero();
      assertThat(c.post("/v1/models/tiny:predict", v1(dev.subList(0, 3))).status()).isEqualTo(200);
    }
  }

  @Test
  void aFullQueueGets503WithRetryAfter() throws Exception {
    Engine engine = new Engine();
    engine.gated = true;
    ServeConfig config =
        ServeConfig.loopback("tiny")
            .withBatching(1, Duration.ZERO, 1)
            .withLimits(admission(2, 2, Duration.ofSeconds(30)));
    try (PredictionServer s = start(config, engine)) {
      ServeClient c = new ServeClient(s.baseUrl());
      List<CompletableFuture<ServeClient.Reply>> admitted = new ArrayList<>();
      admitted.add(post(c, dev.subList(0, 1))); // computing
      assertThat(engine.started.await(10, TimeUnit.SECONDS)).isTrue();
      admitted.add(post(c, dev.subList(1, 2))); // held by the gatherer for the next pass
      await(() -> s.takenInstances() == 2, "the second instance taken by the gatherer");
      assertThat(s.metrics().batches()).isZero();
      admitted.add(post(c, dev.subList(2, 4))); // fills the queue
      await(() -> s.queuedInstances() == 2, "two instances queued");
      ServeClient.Reply full = c.post("/v1/models/tiny:predict", v1(dev.subList(0, 1)));
      assertThat(full.status()).as(full.body()).isEqualTo(503);
      assertThat(full.header("Retry-After")).isEqualTo("1");
      assertThat(full.json().get("error").asText()).contains("--max-queue");
      engine.release.countDown();
      for (CompletableFuture<ServeClient.Reply> r : admitted) {
        assertThat(r.get(30, TimeUnit.SECONDS).status()).isEqualTo(200);
      }
    }
  }

  static CompletableFuture<ServeClient.Reply> post(ServeClient c, List<RelationExample> ex) {
    return CompletableFuture.supplyAsync(() -> c.post("/v1/models/tiny:predict", v1(ex)));
  }

  @Test
  void aQueueTimeoutIsA503WithRetryAfterNeverA500() throws Exception {
    Engine engine = new Engine();
    engine.gated = true;
    ServeConfig config =
        ServeConfig.loopback("tiny").withLimits(admission(8, 64, Duration.ofMillis(300)));
    try (PredictionServer s = start(config, engine)) {
      ServeClient c = new ServeClient(s.baseUrl());
      ServeClient.Reply r = c.post("/v1/models/tiny:predict", v1(dev.subList(0, 1)));
      assertThat(r.status()).as(r.body()).isEqualTo(503);
      assertThat(r.header("Retry-After")).isEqualTo("1");
      assertThat(r.json().get("error").asText()).contains("--queue-timeout-seconds");
      engine.release.countDown();
      assertThat(c.post("/v1/models/tiny:predict", v1(dev.subList(0, 1))).status()).isEqualTo(200);
    }
  }

  @Test
  void aRequestWhoseClientDisconnectedIsDroppedNotComputed() throws Exception {
    Engine engine = new Engine();
    engine.gated = true;
    ServeConfig config = ServeConfig.loopback("tiny").withBatching(1, Duration.ZERO, 1);
    try (PredictionServer s = start(config, engine)) {
      ServeClient c = new ServeClient(s.baseUrl());
      CompletableFuture<ServeClient.Reply> first = post(c, dev.subList(0, 1));
      assertThat(engine.started.await(10, TimeUnit.SECONDS)).isTrue();
      // Two instances from a client that gives up and closes its connection.
      byte[] body = v1(dev.subList(1, 3)).toString().getBytes(StandardCharsets.UTF_8);
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", s.port()), 5_000);
        postPredict(socket, body);
        await(() -> s.queuedInstances() + engine.rows.get() >= 2, "the request is queued");
      }
      await(() -> s.droppedInstances() == 0 && clientClosed(s), "the server saw the disconnect");
      engine.release.countDown();
      assertThat(first.get(30, TimeUnit.SECONDS).status()).isEqualTo(200);
      await(() -> s.droppedInstances() == 2, "both instances dropped");
      assertThat(engine.rows.get()).isEqualTo(1);
    }
  }

  static boolean clientClosed(PredictionServer s) {
    return s.metrics().render(0, 0).contains("kind=\"client_closed\"");
  }

  @Test
  void a500BodyCarriesOnlyTheRequestIdAndTheLogHasTheCause() throws Exception {
    Engine engine = new Engine();
    engine.failure =
        new IllegalStateException("libtorch: CUDA error: device-side assert triggered at ai.djl");
    List<LogRecord> logged = Collections.synchronizedList(new ArrayList<>());
    Handler capture =
        new Handler() {
          @Override
          public void publish(LogRecord r) {
            logged.add(r);
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    Logger log = Logger.getLogger(PredictionServer.class.getName());
    log.addHandler(capture);
    try (PredictionServer s = start(ServeConfig.loopback("tiny"), engine)) {
      ServeClient c = new ServeClient(s.baseUrl());
      ServeClient.Reply r =
          c.post("/v1/models/tiny:predict", v1(dev.subList(0, 1)), "X-Request-Id", "req-42");
      assertThat(r.status()).isEqualTo(500);
      assertThat(r.body())
          .doesNotContain("IllegalStateException")
          .doesNotContain("libtorch")
          .doesNotContain("CUDA")
          .doesNotContain("ai.djl")
          .doesNotContain("Exception");
      assertThat(r.json().get("request_id").asText()).isEqualTo("req-42");
      assertThat(r.header("X-Request-Id")).isEqualTo("req-42");
      ServeClient.Reply other = c.post("/v2/models/tiny/infer", v2(dev.subList(0, 1), null));
      assertThat(other.status()).isEqualTo(500);
      String id = other.json().get("request_id").asText();
      assertThat(id).isNotBlank().isNotEqualTo("req-42");
      await(
          () ->
              logged.stream()
                  .anyMatch(
                      l ->
                          String.valueOf(l.getMessage()).contains(id)
                              || String.valueOf(formatted(l)).contains(id)),
          "the log names request " + id);
      assertThat(
              logged.stream()
                  .filter(l -> formatted(l).contains("req-42"))
                  .anyMatch(l -> l.getThrown() != null))
          .as("the log line of req-42 carries the exception")
          .isTrue();
    } finally {
      log.removeHandler(capture);
    }
  }

  static String formatted(LogRecord r) {
    return new java.util.logging.SimpleFormatter().formatMessage(r);
  }

  @Test
  void shutdownWithdrawsReadinessAtOnceServesThroughTheDelayThenStopsListening() throws Exception {
    Engine engine = new Engine();
    ServeConfig config =
        ServeConfig.loopback("tiny")
            .withLimits(ServeConfig.Limits.defaults().withShutdownDelay(Duration.ofSeconds(10)));
    PredictionServer s = start(config, engine);
    ServeClient c = new ServeClient(s.baseUrl());
    int port = s.port();
    CompletableFuture<Void> stopped = CompletableFuture.runAsync(s::shutdown);
    await(() -> !s.ready(), "not ready");
    assertThat(c.get("/v2/health/ready").status()).isEqualTo(503);
    assertThat(c.get("/v2/health/live").status()).isEqualTo(200);
    ServeClient.Reply during = c.post("/v1/models/tiny:predict", v1(dev.subList(0, 1)));
    assertThat(during.status()).as(during.body()).isEqualTo(200);
    assertThat(during.header("Connection")).isEqualTo("close");
    assertThat(stopped).isNotDone();
    stopped.get(30, TimeUnit.SECONDS);
    try (Socket socket = new Socket()) {
      assertThat(connects(socket, port)).isFalse();
    }
  }

  @Test
  void aRequestArrivingDuringTheDrainGets503ShuttingDownNotAReset() throws Exception {
    Engine engine = new Engine();
    engine.gated = true;
    ServeConfig config =
        ServeConfig.loopback("tiny")
            .withDrain(Duration.ofSeconds(20))
            .withLimits(ServeConfig.Limits.defaults().withShutdownDelay(Duration.ZERO));
    PredictionServer s = start(config, engine);
    ServeClient c = new ServeClient(s.baseUrl());
    CompletableFuture<ServeClient.Reply> admitted = post(c, dev.subList(0, 1));
    assertThat(engine.started.await(10, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<Void> stopped = CompletableFuture.runAsync(s::shutdown);
    await(s::draining, "draining");
    // A client that ignores readiness opens a new connection in the middle of the drain.
    byte[] body = v1(dev.subList(0, 1)).toString().getBytes(StandardCharsets.UTF_8);
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", s.port()), 5_000);
      socket.setSoTimeout(10_000);
      postPredict(socket, body);
      String reply =
          new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8); // to EOF
      assertThat(reply)
          .startsWith("HTTP/1.1 503")
          .containsIgnoringCase("retry-after: 1")
          .containsIgnoringCase("connection: close")
          .contains("shutting down");
    }
    assertThat(stopped).as("the drain waits for the admitted request").isNotDone();
    engine.release.countDown();
    assertThat(admitted.get(30, TimeUnit.SECONDS).status()).isEqualTo(200);
    stopped.get(30, TimeUnit.SECONDS);
  }

  @Test
  void anOutOfMemoryErrorIsA500AndFailsLiveness() throws Exception {
    Engine engine = new Engine();
    engine.error = new OutOfMemoryError("Java heap space (test)");
    try (PredictionServer s = start(ServeConfig.loopback("tiny"), engine)) {
      ServeClient c = new ServeClient(s.baseUrl());
      assertThat(c.get("/v2/health/live").status()).isEqualTo(200);
      ServeClient.Reply r = c.post("/v1/models/tiny:predict", v1(dev.subList(0, 1)));
      assertThat(r.status()).isEqualTo(500);
      assertThat(r.json().get("request_id").asText()).isNotBlank();
      assertThat(c.get("/v2/health/live").status()).isEqualTo(503);
    }
  }

  @Test
  void aForwardPassLongerThanTheIdleTimeoutStillGetsItsReply() throws Exception {
    Engine engine = new Engine();
    engine.gated = true;
    ServeConfig config =
        ServeConfig.loopback("tiny")
            .withLimits(
                ServeConfig.Limits.defaults()
                    .withTimeouts(
                        Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofMillis(300)));
    try (PredictionServer s = start(config, engine)) {
      ServeClient c = new ServeClient(s.baseUrl());
      CompletableFuture<ServeClient.Reply> r = post(c, dev.subList(0, 1));
      assertThat(engine.started.await(10, TimeUnit.SECONDS)).isTrue();
      Thread.sleep(1_000); // no traffic on the connection for three idle timeouts
      engine.release.countDown();
      assertThat(r.get(30, TimeUnit.SECONDS).status()).isEqualTo(200);
    }
  }

  static boolean connects(Socket socket, int port) throws IOException {
    try {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
      return true;
    } catch (ConnectException e) {
      return false;
    }
  }

  /** Writes a V1 predict request with {@code body} on a raw connection, without reading a reply. */
  private static void postPredict(Socket socket, byte[] body) throws IOException {
    OutputStream out = socket.getOutputStream();
    out.write(
        ("POST /v1/models/tiny:predict HTTP/1.1\r\nHost: x\r\nContent-Type:"
                + " application/json\r\nContent-Length: "
                + body.length
                + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    out.write(body);
    out.flush();
  }
}
