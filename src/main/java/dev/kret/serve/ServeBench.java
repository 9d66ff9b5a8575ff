package dev.kret.serve;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kret.contract.ExitCodes;
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
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Load test of the endpoint in one process: the batched forward pass alone (the ceiling), then
 * closed-loop clients at each concurrency sending one-instance KServe V1 requests over loopback
 * HTTP/1.1 keep-alive connections. Queries are the bundled KLUE-RE validation sample.
 */
public final class ServeBench {

  /** The forward pass alone: instances per second at the server's max batch size. */
  public record Forward(int batch, int instances, double seconds, long cpuNanos) {
    public double instancesPerSecond() {
      return instances / seconds;
    }

    /** Process CPU per instance, milliseconds (every core libtorch used). */
    public double cpuMsPerInstance() {
      return cpuNanos / 1e6 / instances;
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
      long rssAfterKb,
      CpuTime cpu,
      Forward forward,
      int arraysBefore,
      int arraysAfter,
      long heapCommittedMb) {
    public double requestsPerSecond() {
      return requests / seconds;
    }

    /** Throughput over the forward pass alone timed just before this level. */
    public double ofForward() {
      return forward == null ? Double.NaN : requestsPerSecond() / forward.instancesPerSecond();
    }
  }

  /**
   * CPU time of the process by thread group, in nanoseconds. Load on a shared machine changes
   * wall-clock figures but hardly CPU time per request, so this says where the time goes.
   */
  public record CpuTime(Map<String, Long> nanos) {
    static final String NATIVE = "native+gc";

    /** A snapshot: per Java thread group, and the rest of the process (libtorch's pool, GC). */
    static CpuTime now() {
      ThreadMXBean threads = ManagementFactory.getThreadMXBean();
      Map<String, Long> by = new TreeMap<>();
      long java = 0;
      for (ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
        if (t == null) {
          continue;
        }
        long ns = threads.getThreadCpuTime(t.getThreadId());
        if (ns > 0) {
          by.merge(group(t.getThreadName()), ns, Long::sum);
          java += ns;
        }
      }
      if (ManagementFactory.getOperatingSystemMXBean()
          instanceof com.sun.management.OperatingSystemMXBean os) {
        by.put(NATIVE, Math.max(0, os.getProcessCpuTime() - java));
      }
      return new CpuTime(by);
    }

    static String group(String thread) {
      if (thread.startsWith("kret-http-")) {
        return "http";
      }
      if (thread.startsWith("vert.x-eventloop")) {
        return "http-io";
      }
      if (thread.equals("kret-batcher-gather")) {
        return "gather";
      }
      if (thread.startsWith("kret-batcher-")) {
        return "forward";
      }
      if (thread.startsWith("kret-bench-") || thread.startsWith("HttpClient-")) {
        return "client";
      }
      return "other-java";
    }

    CpuTime minus(CpuTime before) {
      Map<String, Long> d = new TreeMap<>();
      nanos.forEach((k, v) -> d.put(k, v - before.nanos.getOrDefault(k, 0L)));
      return new CpuTime(d);
    }

    /** "http 0.21 forward 0.15 …": milliseconds of CPU per request, largest first. */
    String perRequest(int requests) {
      StringBuilder b = new StringBuilder();
      long total = 0;
      List<Map.Entry<String, Long>> list = new ArrayList<>(nanos.entrySet());
      list.sort(Map.Entry.<String, Long>comparingByValue().reversed());
      for (Map.Entry<String, Long> e : list) {
        total += e.getValue();
        b.append(String.format(Locale.ROOT, " %s %.3f", e.getKey(), e.getValue() / 1e6 / requests));
      }
      return String.format(Locale.ROOT, "total %.3f:", total / 1e6 / requests) + b;
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
    long cpu0 = processCpuNanos();
    long t0 = System.nanoTime();
    for (int i = 0; done < instances; i++) {
      List<Encoded> b = slice(enc, i * batch, batch);
      clf.forward(b);
      done += b.size();
    }
    return new Forward(batch, done, (System.nanoTime() - t0) / 1e9, processCpuNanos() - cpu0);
  }

  private static List<Encoded> slice(List<Encoded> enc, int from, int n) {
    List<Encoded> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(enc.get((from + i) % enc.size()));
    }
    return out;
  }

  /**
   * Closed loop: {@code concurrency} clients, each sending its next request when one returns. After
   * {@code warmup} untimed requests, {@code alone} (if any) times the forward pass alone, so that
   * the two figures compared are taken seconds apart under the same machine load.
   */
  public static Level load(
      PredictionServer server,
      List<RelationExample> queries,
      int concurrency,
      int requests,
      int warmup,
      java.util.function.Supplier<Forward> alone)
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
    List<byte[]> payloads = new ArrayList<>();
    for (String body : bodies) {
      payloads.add(body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    ExecutorService pool = Executors.newFixedThreadPool(concurrency, daemon());
    List<BenchConnection> connections = new ArrayList<>();
    for (int c = 0; c < concurrency; c++) {
      connections.add(new BenchConnection(uri));
    }
    try {
      run(connections, pool, payloads, Math.max(concurrency * 2, warmup), null);
      Forward forward = alone == null ? null : alone.get();
      long batchesBefore = server.metrics().batches();
      long rssBefore = rssKb();
      int arraysBefore = server.liveArrays();
      long[] latencies = new long[requests];
      CpuTime cpuBefore = CpuTime.now();
      long t0 = System.nanoTime();
      int errors = run(connections, pool, payloads, requests, latencies);
      double seconds = (System.nanoTime() - t0) / 1e9;
      CpuTime cpu = CpuTime.now().minus(cpuBefore);
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
          rssKb(),
          cpu,
          forward,
          arraysBefore,
          server.liveArrays(),
          ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted() >> 20);
    } finally {
      pool.shutdownNow();
      connections.forEach(BenchConnection::close);
    }
  }

  /** Each connection is one closed-loop client; requests are taken from a shared counter. */
  private static int run(
      List<BenchConnection> connections,
      ExecutorService pool,
      List<byte[]> payloads,
      int requests,
      long[] latencies)
      throws Exception {
    AtomicInteger next = new AtomicInteger();
    AtomicInteger errors = new AtomicInteger();
    List<Future<?>> clients = new ArrayList<>();
    for (BenchConnection connection : connections) {
      clients.add(
          pool.submit(
              () -> {
                for (int i = next.getAndIncrement(); i < requests; i = next.getAndIncrement()) {
                  long t = System.nanoTime();
                  try {
                    if (connection.post(payloads.get(i % payloads.size())) != 200) {
                      errors.incrementAndGet();
                    }
                  } catch (IOException | RuntimeException e) {
                    errors.incrementAndGet();
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

  static long processCpuNanos() {
    return ManagementFactory.getOperatingSystemMXBean()
            instanceof com.sun.management.OperatingSystemMXBean os
        ? os.getProcessCpuTime()
        : 0;
  }

  /** Resident set size of this process, from /proc (0 where there is none). */
  static long rssKb() {
    return statusKb("self", "VmRSS:");
  }

  /**
   * A field of {@code /proc/<pid>/status} in kB ({@code VmRSS:} now, {@code VmHWM:} the peak); 0
   * where there is none.
   */
  static long statusKb(String pid, String field) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", pid, "status"))) {
        if (line.startsWith(field)) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | UncheckedIOException | NumberFormatException e) {
      return 0;
    }
    return 0;
  }

  /**
   * Probe latency while {@code slow} connections are open that each sent one byte and stalled (what
   * took the JDK server down): milliseconds of {@code probes} GETs alternating readiness and
   * liveness, each on a new connection as the kubelet's are, sorted.
   */
  static long[] probesUnderSlowConnections(PredictionServer server, int slow, int probes)
      throws IOException {
    List<java.net.Socket> stalled = new ArrayList<>();
    try {
      for (int i = 0; i < slow; i++) {
        java.net.Socket socket = new java.net.Socket();
        socket.connect(
            new java.net.InetSocketAddress(server.config().host(), server.port()), 5_000);
        socket.getOutputStream().write('P');
        socket.getOutputStream().flush();
        stalled.add(socket);
      }
      long[] millis = new long[probes];
      byte[] buf = new byte[12];
      for (int i = 0; i < probes; i++) {
        String path = i % 2 == 0 ? "/v2/health/ready" : "/v2/health/live";
        long t0 = System.nanoTime();
        try (java.net.Socket socket = new java.net.Socket()) {
          socket.connect(
              new java.net.InetSocketAddress(server.config().host(), server.port()), 5_000);
          socket.setSoTimeout(5_000);
          socket
              .getOutputStream()
              .write(
                  ("GET " + path + " HTTP/1.1\r\nHost: bench\r\n\r\n")
                      .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
          int n = socket.getInputStream().readNBytes(buf, 0, buf.length);
          String status = new String(buf, 0, n, java.nio.charset.StandardCharsets.US_ASCII);
          if (!status.startsWith("HTTP/1.1 200")) {
            throw new IOException(path + " answered " + status);
          }
        } catch (java.net.SocketTimeoutException e) {
          millis[i] = 5_000;
          continue;
        }
        millis[i] = (System.nanoTime() - t0) / 1_000_000;
      }
      Arrays.sort(millis);
      return millis;
    } finally {
      for (java.net.Socket socket : stalled) {
        socket.close();
      }
    }
  }

  /**
   * What {@code kretctl bench serve} was asked for; without a model directory a random model of
   * {@code layers}, {@code hidden}, {@code heads} and {@code maxLength} is written.
   */
  public record Options(
      Path model,
      int layers,
      int hidden,
      int heads,
      int maxLength,
      List<Integer> concurrency,
      int requests,
      int warmup,
      int forwardInstances,
      int maxBatch,
      long maxWaitMs,
      int workers,
      int slowConnections) {}

  /** The {@code kretctl bench serve} run with the command's options. */
  public static int run(Options options, PrintWriter out) throws Exception {
    Djl.offline();
    Path dir = options.model();
    Path tmp = null;
    if (dir == null) {
      tmp = Files.createTempDirectory("kret-bench-serve");
      dir =
          ServeBench.randomModel(
              tmp.resolve("model"),
              options.layers(),
              options.hidden(),
              options.heads(),
              options.maxLength());
      out.printf(
          Locale.ROOT,
          "model       random %d layers x %d hidden, max length %d%n",
          options.layers(),
          options.hidden(),
          options.maxLength());
    } else {
      out.printf("model       %s%n", dir);
    }
    List<RelationExample> queries = ServeBench.queries();
    ModelDirectory.Opened opened = ModelDirectory.open(dir, Djl.device(false));
    RelationClassifier clf = new RelationClassifier(opened);
    // Untimed here: the first passes run before the JIT has compiled DJL's op path.
    ServeBench.forward(clf, queries, options.maxBatch(), options.forwardInstances());
    out.printf(
        Locale.ROOT,
        "server      max batch %d, max wait %d ms, %d workers, %d requests per level after %d"
            + " untimed%n",
        options.maxBatch(),
        options.maxWaitMs(),
        options.workers(),
        options.requests(),
        options.warmup());
    out.println(
        "(forward alone: batches of the max batch, timed between each level's warm-up and the"
            + " level)");
    out.println(
        "concurrency  req/s     p50 ms   p99 ms   p99/p50  mean batch  errors  RSS MB       "
            + "forward alone  ratio");
    out.flush();
    ServeConfig config =
        ServeConfig.loopback("bench")
            .withBatching(
                options.maxBatch(), Duration.ofMillis(options.maxWaitMs()), options.workers());
    try (PredictionServer server = PredictionServer.start(config, () -> opened)) {
      server.loaded().get(10, TimeUnit.MINUTES);
      for (int c : options.concurrency()) {
        ServeBench.Level l =
            ServeBench.load(
                server,
                queries,
                c,
                options.requests(),
                options.warmup(),
                () ->
                    ServeBench.forward(
                        clf, queries, options.maxBatch(), options.forwardInstances()));
        out.printf(
            Locale.ROOT,
            "%11d  %7.1f  %7.1f  %7.1f  %7.2f  %10.1f  %6d  %5d -> %5d  %13.1f  %4.0f%%%n",
            c,
            l.requestsPerSecond(),
            l.p50Ms(),
            l.p99Ms(),
            l.p99Ms() / l.p50Ms(),
            l.meanBatch(),
            l.errors(),
            l.rssBeforeKb() / 1024,
            l.rssAfterKb() / 1024,
            l.forward().instancesPerSecond(),
            100 * l.ofForward());
        out.printf(
            Locale.ROOT,
            "             CPU ms per request: %s; forward alone: %.3f per instance; model"
                + " NDArrays %d -> %d; Java heap committed %d MB%n",
            l.cpu().perRequest(l.requests()),
            l.forward().cpuMsPerInstance(),
            l.arraysBefore(),
            l.arraysAfter(),
            l.heapCommittedMb());
        out.flush();
      }
      long[] probes = probesUnderSlowConnections(server, options.slowConnections(), 40);
      out.printf(
          Locale.ROOT,
          "probes      ready/live under %d slow connections (1 byte sent, then stalled), 40 probes:"
              + " p50 %d ms, p90 %d ms, max %d ms (target: within 100 ms)%n",
          options.slowConnections(),
          probes[probes.length / 2],
          probes[(int) (0.9 * (probes.length - 1))],
          probes[probes.length - 1]);
      // The server runs in this process (with the load generator): its /proc/self/status.
      out.printf(
          Locale.ROOT,
          "memory      server process (this one, with the load generator): peak RSS (VmHWM) %d MB,"
              + " steady RSS after the load (VmRSS) %d MB%n",
          statusKb("self", "VmHWM:") / 1024,
          statusKb("self", "VmRSS:") / 1024);
      out.flush();
    } finally {
      if (tmp != null) {
        ModelDirectory.deleteRecursively(tmp);
      }
    }
    return ExitCodes.OK;
  }
}
