package dev.kret.serve;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kret.cli.ExitCodes;
import dev.kret.data.KlueReDataset;
import dev.kret.data.Labels;
import dev.kret.data.LoadOptions;
import dev.kret.data.RelationExample;
import dev.kret.model.Djl;
import dev.kret.model.HeadType;
import dev.kret.model.InputScheme;
import dev.kret.model.ModelDirectory;
import dev.kret.model.RelationClassifier;
import dev.kret.model.RelationModel;
import dev.kret.model.RobertaConfig;
import dev.kret.text.MarkerScheme;
import dev.kret.text.RelationEncoder.Encoded;
import dev.kret.text.TextTokenizer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Load test of the endpoint in one process: the batched forward pass alone (the ceiling), then
 * closed-loop clients at each concurrency sending one-instance KServe V1 requests over loopback
 * HTTP. Queries are the bundled KLUE-RE validation sample.
 */
public final class ServeBench {

  /** The forward pass alone: instances per second at the server's max batch size. */
  public record Forward(int batch, int instances, double seconds) {
    public double instancesPerSecond() {
      return instances / seconds;
    }
  }

  /** One concurrency level. */
  public record Level(
      int concurrency,
      int requests,
      int errors,
      double seconds,
      double p50Ms,
      double p99Ms,
      double meanBatch,
      long rssBeforeKb,
      long rssAfterKb) {
    public double requestsPerSecond() {
      return requests / seconds;
    }
  }

  private ServeBench() {}

  /**
   * Writes a random-weight model (typed-punct, entity-start) of the given size, for timing only.
   */
  public static Path randomModel(Path dir, int layers, int hidden, int heads, int maxLength)
      throws IOException {
    MarkerScheme markers = MarkerScheme.fromSpec("typed-punct");
    try (TextTokenizer tok =
        TextTokenizer.fromSpec("builtin:klue-roberta-base", markers.addedTokens())) {
      RobertaConfig cfg =
          RobertaConfig.small(tok.vocabSize(), hidden, layers, heads, 4 * hidden, Labels.RELATIONS)
              .withHead(HeadType.fromSpec("entity-start"));
      try (RelationModel m = RelationModel.random(cfg, Device.cpu(), 1)) {
        ObjectNode info = new ObjectMapper().createObjectNode().put("note", "random weights");
        ModelDirectory.save(
            dir, m, tok, new InputScheme(markers.spec(), "entity-start", maxLength), info);
      }
    }
    return dir;
  }

  /** The bundled validation sample, the queries of the benchmark. */
  public static List<RelationExample> queries() {
    return KlueReDataset.load("builtin:klue-re-sample/validation", LoadOptions.defaults())
        .examples();
  }

  /** Times forward passes of {@code batch} encoded queries until {@code instances} are done. */
  public static Forward forward(
      RelationClassifier clf, List<RelationExample> queries, int batch, int instances) {
    List<Encoded> enc = new ArrayList<>();
    for (RelationExample q : queries) {
      enc.add(clf.encoder().encode(q));
    }
    // Warm-up over exactly the batches timed below: the first pass of each new [batch, length]
    // shape is many times slower than the next ones (measured here: ~10x for the tiny model).
    for (int i = 0, done = 0; done < instances; i++) {
      done += batch;
      clf.forward(slice(enc, i * batch, batch));
    }
    int done = 0;
    long t0 = System.nanoTime();
    for (int i = 0; done < instances; i++) {
      List<Encoded> b = slice(enc, i * batch, batch);
      clf.forward(b);
      done += b.size();
    }
    return new Forward(batch, done, (System.nanoTime() - t0) / 1e9);
  }

  private static List<Encoded> slice(List<Encoded> enc, int from, int n) {
    List<Encoded> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(enc.get((from + i) % enc.size()));
    }
    return out;
  }

  /** Closed loop: {@code concurrency} clients, each sending its next request when one returns. */
  public static Level load(
      PredictionServer server, List<RelationExample> queries, int concurrency, int requests)
      throws Exception {
    ObjectMapper json = new ObjectMapper();
    List<String> bodies = new ArrayList<>();
    for (RelationExample q : queries) {
      ObjectNode n = json.createObjectNode();
      ArrayNode list = n.putArray("instances");
      ObjectNode i = json.valueToTree(q);
      i.remove("label");
      i.remove("source");
      list.add(i);
      bodies.add(json.writeValueAsString(n));
    }
    URI uri = URI.create(server.baseUrl() + "/v1/models/" + server.config().name() + ":predict");
    ExecutorService pool = Executors.newFixedThreadPool(concurrency);
    HttpClient http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .executor(Executors.newCachedThreadPool(daemon()))
            .build();
    try {
      run(http, pool, uri, bodies, concurrency, Math.max(concurrency * 2, requests / 20), null);
      long batchesBefore = server.metrics().batches();
      long rssBefore = rssKb();
      long[] latencies = new long[requests];
      long t0 = System.nanoTime();
      int errors = run(http, pool, uri, bodies, concurrency, requests, latencies);
      double seconds = (System.nanoTime() - t0) / 1e9;
      long batches = server.metrics().batches() - batchesBefore;
      Arrays.sort(latencies);
      return new Level(
          concurrency,
          requests,
          errors,
          seconds,
          latencies[(int) (0.50 * (requests - 1))] / 1e6,
          latencies[(int) (0.99 * (requests - 1))] / 1e6,
          batches == 0 ? 0 : (double) requests / batches,
          rssBefore,
          rssKb());
    } finally {
      pool.shutdownNow();
    }
  }

  private static int run(
      HttpClient http,
      ExecutorService pool,
      URI uri,
      List<String> bodies,
      int concurrency,
      int requests,
      long[] latencies)
      throws Exception {
    AtomicInteger next = new AtomicInteger();
    AtomicInteger errors = new AtomicInteger();
    List<Future<?>> clients = new ArrayList<>();
    for (int c = 0; c < concurrency; c++) {
      clients.add(
          pool.submit(
              () -> {
                for (int i = next.getAndIncrement(); i < requests; i = next.getAndIncrement()) {
                  HttpRequest req =
                      HttpRequest.newBuilder(uri)
                          .header("Content-Type", "application/json")
                          .timeout(Duration.ofMinutes(2))
                          .POST(HttpRequest.BodyPublishers.ofString(bodies.get(i % bodies.size())))
                          .build();
                  long t = System.nanoTime();
                  try {
                    HttpResponse<byte[]> r =
                        http.send(req, HttpResponse.BodyHandlers.ofByteArray());
                    if (r.statusCode() != 200) {
                      errors.incrementAndGet();
                    }
                  } catch (IOException e) {
                    errors.incrementAndGet();
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                  }
                  if (latencies != null) {
                    latencies[i] = System.nanoTime() - t;
                  }
                }
              }));
    }
    for (Future<?> f : clients) {
      f.get();
    }
    return errors.get();
  }

  private static java.util.concurrent.ThreadFactory daemon() {
    return r -> {
      Thread t = new Thread(r, "kret-bench-client");
      t.setDaemon(true);
      return t;
    };
  }

  /** Resident set size of this process, from /proc (0 where there is none). */
  static long rssKb() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | UncheckedIOException | NumberFormatException e) {
      return 0;
    }
    return 0;
  }

  /** The {@code kretctl bench serve} run with the command's options. */
  static int run(ServeBenchCommand cmd, PrintWriter out) throws Exception {
    Djl.offline();
    Path dir = cmd.model;
    Path tmp = null;
    if (dir == null) {
      tmp = Files.createTempDirectory("kret-bench-serve");
      dir =
          ServeBench.randomModel(
              tmp.resolve("model"),
              cmd.size.layers,
              cmd.size.hidden,
              cmd.size.heads,
              cmd.maxLength);
      out.printf(
          Locale.ROOT,
          "model       random %d layers x %d hidden, max length %d%n",
          cmd.size.layers,
          cmd.size.hidden,
          cmd.maxLength);
    } else {
      out.printf("model       %s%n", dir);
    }
    List<RelationExample> queries = ServeBench.queries();
    ModelDirectory.Opened opened = ModelDirectory.open(dir, Djl.device(false));
    RelationClassifier clf = new RelationClassifier(opened);
    ServeBench.Forward fwd = ServeBench.forward(clf, queries, cmd.maxBatch, cmd.forwardInstances);
    out.printf(
        Locale.ROOT,
        "forward     batch %d alone: %.1f instances/s%n",
        fwd.batch(),
        fwd.instancesPerSecond());
    out.printf(
        Locale.ROOT,
        "server      max batch %d, max wait %d ms, %d workers, %d requests per level%n",
        cmd.maxBatch,
        cmd.maxWaitMs,
        cmd.workers,
        cmd.requests);
    out.println("concurrency  req/s     p50 ms   p99 ms   p99/p50  mean batch  errors  RSS MB");
    out.flush();
    ServeConfig config =
        ServeConfig.loopback("bench")
            .withBatching(cmd.maxBatch, Duration.ofMillis(cmd.maxWaitMs), cmd.workers);
    List<ServeBench.Level> levels = new ArrayList<>();
    try (PredictionServer server = PredictionServer.start(config, () -> opened)) {
      server.loaded().get(10, TimeUnit.MINUTES);
      for (int c : cmd.concurrency) {
        ServeBench.Level l = ServeBench.load(server, queries, c, cmd.requests);
        out.printf(
            Locale.ROOT,
            "%11d  %7.1f  %7.1f  %7.1f  %7.2f  %10.1f  %6d  %d -> %d%n",
            c,
            l.requestsPerSecond(),
            l.p50Ms(),
            l.p99Ms(),
            l.p99Ms() / l.p50Ms(),
            l.meanBatch(),
            l.errors(),
            l.rssBeforeKb() / 1024,
            l.rssAfterKb() / 1024);
        out.flush();
        levels.add(l);
      }
      ServeBench.Forward again =
          ServeBench.forward(clf, queries, cmd.maxBatch, cmd.forwardInstances);
      out.printf(
          Locale.ROOT,
          "forward     batch %d alone, after the load: %.1f instances/s%n",
          again.batch(),
          again.instancesPerSecond());
      // The first figure is taken before the JIT has compiled DJL's op path; the one after the
      // load is the steady state the endpoint runs in, so the ratio uses the larger of the two.
      double ceiling = Math.max(fwd.instancesPerSecond(), again.instancesPerSecond());
      for (ServeBench.Level l : levels) {
        out.printf(
            Locale.ROOT,
            "concurrency %d: %.0f%% of the forward pass alone%n",
            l.concurrency(),
            100 * l.requestsPerSecond() / ceiling);
      }
      out.flush();
    } finally {
      if (tmp != null) {
        ModelDirectory.deleteRecursively(tmp);
      }
    }
    return ExitCodes.OK;
  }
}
