package dev.kret.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.kret.data.Labels;
import dev.kret.data.RelationExample;
import dev.kret.model.ModelDirectory;
import dev.kret.model.RelationClassifier;
import dev.kret.serve.ServeError.Kind;
import dev.kret.text.RelationEncoder.Encoded;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * The HTTP endpoint of one model: binds first, loads the model in the background (readiness flips
 * once it is loaded), then answers KServe V1 and Open Inference Protocol requests through a {@link
 * MicroBatcher}. {@link #close()} stops accepting, drains in-flight requests, then frees the model.
 */
public final class PredictionServer implements AutoCloseable {

  /** Loads the model; called once, off the request path. */
  @FunctionalInterface
  public interface Loader {
    ModelDirectory.Opened load() throws Exception;

    /**
     * Loads a model directory. A factory here rather than a lambda in the command keeps the model
     * classes out of picocli's start-up, which loads every command class.
     */
    static Loader directory(java.nio.file.Path dir, boolean wantGpu) {
      return () -> ModelDirectory.open(dir, dev.kret.model.Djl.device(wantGpu));
    }
  }

  private static final Logger LOG = Logger.getLogger(PredictionServer.class);

  static {
    // The JDK server writes headers and body in separate segments; with Nagle on, the body waits
    // for the client's delayed ACK (~40 ms per request). Read once, when the server class loads.
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  private static final long RESULT_TIMEOUT_SECONDS = 120;

  private final ServeConfig config;
  private final ServeMetrics metrics = new ServeMetrics();
  private final HttpServer http;
  private final ExecutorService handlers;
  private final CompletableFuture<Void> loaded = new CompletableFuture<>();
  private volatile ModelDirectory.Opened opened;
  private volatile RelationClassifier classifier;
  private volatile MicroBatcher batcher;
  private volatile boolean closing;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final WarmupListener warmupListener;

  /** Told each warm-up pass (rows, longest row), before readiness flips; for tests. */
  @FunctionalInterface
  interface WarmupListener {
    void pass(PredictionServer server, int rows, int length);
  }

  private PredictionServer(ServeConfig config, WarmupListener warmupListener) throws IOException {
    this.config = config;
    this.warmupListener = warmupListener;
    this.http = HttpServer.create(new InetSocketAddress(config.host(), config.port()), 256);
    AtomicInteger n = new AtomicInteger();
    this.handlers =
        new ThreadPoolExecutor(
            config.httpThreads(),
            config.httpThreads(),
            60,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            r -> {
              Thread t = new Thread(r, "kret-http-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    http.setExecutor(handlers);
    http.createContext("/", this::handle);
  }

  /** Binds the port, then loads the model in the background. */
  public static PredictionServer start(ServeConfig config, Loader loader) throws IOException {
    return start(config, loader, (server, rows, length) -> {});
  }

  static PredictionServer start(ServeConfig config, Loader loader, WarmupListener warmup)
      throws IOException {
    PredictionServer s = new PredictionServer(config, warmup);
    s.http.start();
    Thread t = new Thread(() -> s.load(loader), "kret-model-load");
    t.setDaemon(true);
    t.start();
    return s;
  }

  private void load(Loader loader) {
    try {
      ModelDirectory.Opened o = loader.load();
      if (closing) {
        o.close();
        loaded.completeExceptionally(new IllegalStateException("closed while loading"));
        return;
      }
      RelationClassifier c = new RelationClassifier(o);
      opened = o;
      MicroBatcher b =
          new MicroBatcher(
              c::forward, config.maxBatch(), config.maxWait(), config.workers(), metrics::batch);
      batcher = b;
      long t0 = System.nanoTime();
      List<List<Encoded>> passes = Warmup.batches(c, config.maxBatch());
      b.warmUp(
          passes,
          batch -> {
            int longest = 0;
            for (Encoded e : batch) {
              longest = Math.max(longest, e.ids().length);
            }
            warmupListener.pass(this, batch.size(), longest);
          });
      // Readiness flips only now, after the warm-up.
      classifier = c;
      loaded.complete(null);
      LOG.infof(
          "model %s loaded: %d labels; %d warm-up passes in %d ms",
          config.name(), c.labels().size(), passes.size(), (System.nanoTime() - t0) / 1_000_000);
    } catch (Throwable e) {
      LOG.errorf(e, "model %s failed to load", config.name());
      loaded.completeExceptionally(e);
    }
  }

  /** Completes when the model is loaded (exceptionally if loading failed). */
  public CompletableFuture<Void> loaded() {
    return loaded;
  }

  public boolean ready() {
    return loaded.isDone() && !loaded.isCompletedExceptionally() && !closing;
  }

  public int port() {
    return http.getAddress().getPort();
  }

  public String baseUrl() {
    return "http://" + config.host() + ":" + port();
  }

  public ServeMetrics metrics() {
    return metrics;
  }

  /** NDArrays held by the model's manager and its sub-managers; 0 before the model is loaded. */
  public int liveArrays() {
    RelationClassifier c = classifier;
    return c == null ? 0 : c.model().manager().getManagedArrays().size();
  }

  public ServeConfig config() {
    return config;
  }

  /** Stops accepting, waits up to the drain time for in-flight requests, frees the model. */
  @Override
  public synchronized void close() {
    if (closing && opened == null) {
      return;
    }
    closing = true;
    // Wait for in-flight exchanges ourselves: JDK 17's HttpServer.stop(delay) waits the whole delay
    // when nothing is in flight; new requests meanwhile get 503.
    long deadline = System.nanoTime() + config.drain().toNanos();
    while (inFlight.get() > 0 && System.nanoTime() < deadline) {
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    http.stop(0);
    handlers.shutdown();
    try {
      handlers.awaitTermination(config.drain().toSeconds() + 1, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (batcher != null) {
      batcher.close();
    }
    if (opened != null) {
      opened.close();
      opened = null;
    }
  }

  // ---- routing ----

  private void handle(HttpExchange ex) {
    long t0 = System.nanoTime();
    inFlight.incrementAndGet();
    String endpoint = "unknown";
    int status;
    try {
      String path = ex.getRequestURI().getRawPath();
      String method = ex.getRequestMethod();
      if (path.equals("/v2/health/live")) {
        endpoint = "v2_live";
        get(method);
        status = json(ex, 200, obj().put("live", true));
      } else if (path.equals("/v2/health/ready")) {
        endpoint = "v2_ready";
        get(method);
        status = json(ex, ready() ? 200 : 503, obj().put("ready", ready()));
      } else if (path.equals("/v2") || path.equals("/v2/")) {
        endpoint = "v2_server";
        get(method);
        ObjectNode n = obj().put("name", "kret").put("version", "0.1.0");
        n.putArray("extensions");
        status = json(ex, 200, n);
      } else if (path.equals("/metrics")) {
        endpoint = "metrics";
        get(method);
        status = text(ex, 200, metrics.render(liveArrays(), ServeBench.rssKb() * 1024));
      } else if (path.startsWith("/v2/models/")) {
        String rest = path.substring("/v2/models/".length());
        if (rest.endsWith("/infer")) {
          endpoint = "v2_infer";
          model(rest.substring(0, rest.length() - "/infer".length()));
          post(method);
          status = v2Infer(ex);
        } else if (rest.endsWith("/ready")) {
          endpoint = "v2_model_ready";
          model(rest.substring(0, rest.length() - "/ready".length()));
          get(method);
          status =
              json(ex, ready() ? 200 : 503, obj().put("name", config.name()).put("ready", ready()));
        } else {
          endpoint = "v2_metadata";
          model(rest);
          get(method);
          status = json(ex, 200, v2Metadata());
        }
      } else if (path.startsWith("/v1/models/")) {
        String rest = path.substring("/v1/models/".length());
        if (rest.endsWith(":predict")) {
          endpoint = "v1_predict";
          model(rest.substring(0, rest.length() - ":predict".length()));
          post(method);
          status = v1Predict(ex);
        } else {
          endpoint = "v1_metadata";
          model(rest);
          get(method);
          ObjectNode n = obj().put("name", config.name()).put("ready", ready());
          labels(n.putArray("labels"));
          status = json(ex, 200, n);
        }
      } else {
        throw new ServeError(Kind.NOT_FOUND, "no endpoint at " + path);
      }
    } catch (ServeError e) {
      metrics.error(e.kind());
      status = error(ex, e.status(), e.getMessage());
    } catch (RuntimeException e) {
      LOG.errorf(e, "request %s failed", ex.getRequestURI());
      metrics.error(Kind.INTERNAL);
      status = error(ex, 500, "internal error: " + e);
    } finally {
      ex.close();
      inFlight.decrementAndGet();
    }
    metrics.request(endpoint, status, (System.nanoTime() - t0) / 1e9);
  }

  private void model(String name) {
    if (!name.equals(config.name())) {
      throw new ServeError(
          Kind.UNKNOWN_MODEL,
          "model \"" + name + "\" is not served here; this is \"" + config.name() + "\"");
    }
  }

  private static void get(String method) {
    if (!method.equals("GET") && !method.equals("HEAD")) {
      throw new ServeError(Kind.METHOD_NOT_ALLOWED, method + " not allowed; use GET");
    }
  }

  private static void post(String method) {
    if (!method.equals("POST")) {
      throw new ServeError(Kind.METHOD_NOT_ALLOWED, method + " not allowed; use POST");
    }
  }

  // ---- prediction ----

  private int v1Predict(HttpExchange ex) throws ServeError {
    List<RelationExample> examples = Requests.v1(Requests.tree(body(ex)), config.lenient());
    float[][] p = predict(examples, "instances");
    List<String> labels = classifier.labels();
    ObjectNode out = obj();
    ArrayNode preds = out.putArray("predictions");
    for (float[] row : p) {
      int best = argmax(row);
      ObjectNode pred = preds.addObject();
      pred.put("label", labels.get(best));
      pred.put("score", row[best]);
      ObjectNode probs = pred.putObject("probabilities");
      for (int j = 0; j < row.length; j++) {
        probs.put(labels.get(j), row[j]);
      }
    }
    return json(ex, 200, out);
  }

  private int v2Infer(HttpExchange ex) {
    Requests.V2Request req = Requests.v2(Requests.tree(body(ex)));
    float[][] p = predict(req.examples(), "sentence");
    List<String> labels = classifier.labels();
    ObjectNode out = obj().put("model_name", config.name());
    if (req.id() != null) {
      out.put("id", req.id());
    }
    ArrayNode outputs = out.putArray("outputs");
    ArrayNode label = tensor(outputs, "label", "BYTES", p.length);
    ArrayNode labelId = tensor(outputs, "label_id", "INT64", p.length);
    ArrayNode probs = tensor(outputs, "probabilities", "FP32", p.length, labels.size());
    for (float[] row : p) {
      int best = argmax(row);
      label.add(labels.get(best));
      labelId.add(best);
      for (float v : row) {
        probs.add(v);
      }
    }
    return json(ex, 200, out);
  }

  /** Encodes on this thread, waits for the batched forward pass, returns probabilities. */
  private float[][] predict(List<RelationExample> examples, String where) {
    if (!ready()) {
      throw new ServeError(
          closing ? Kind.SHUTTING_DOWN : Kind.NOT_READY,
          closing ? "the server is shutting down" : "model " + config.name() + " is still loading");
    }
    List<Encoded> encoded = new ArrayList<>(examples.size());
    for (int i = 0; i < examples.size(); i++) {
      try {
        encoded.add(classifier.encoder().encode(examples.get(i)));
      } catch (IllegalArgumentException e) {
        throw new ServeError(Kind.TOO_LONG, where + "[" + i + "]: " + e.getMessage());
      }
    }
    try {
      return RelationClassifier.exp(
          batcher.submit(encoded).get(RESULT_TIMEOUT_SECONDS, TimeUnit.SECONDS));
    } catch (ExecutionException e) {
      if (e.getCause() instanceof ServeError se) {
        throw se;
      }
      throw new IllegalStateException("forward pass failed: " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("no result within " + RESULT_TIMEOUT_SECONDS + " s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ServeError(Kind.SHUTTING_DOWN, "interrupted while waiting for the model");
    }
  }

  private byte[] body(HttpExchange ex) {
    String type = ex.getRequestHeaders().getFirst("Content-Type");
    if (type != null) {
      String media = type.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
      if (!media.equals("application/json") && !media.endsWith("+json")) {
        throw new ServeError(
            Kind.UNSUPPORTED_MEDIA_TYPE,
            "Content-Type " + type + " is not supported; send application/json");
      }
    }
    long limit = config.maxBodyBytes();
    String length = ex.getRequestHeaders().getFirst("Content-Length");
    if (length != null) {
      try {
        if (Long.parseLong(length.strip()) > limit) {
          throw tooLarge(limit);
        }
      } catch (NumberFormatException e) {
        throw new ServeError(Kind.INVALID_JSON, "Content-Length " + length + " is not a number");
      }
    }
    try (InputStream in = ex.getRequestBody()) {
      byte[] b = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
      if (b.length > limit) {
        throw tooLarge(limit);
      }
      return b;
    } catch (IOException e) {
      throw new ServeError(Kind.INVALID_JSON, "cannot read the body: " + e.getMessage());
    }
  }

  private static ServeError tooLarge(long limit) {
    return new ServeError(
        Kind.BODY_TOO_LARGE, "body is larger than " + limit + " bytes; send fewer instances");
  }

  // ---- responses ----

  private ObjectNode v2Metadata() {
    ObjectNode n = obj().put("name", config.name()).put("platform", "kret_djl_pytorch");
    n.putArray("versions").add("1");
    ArrayNode in = n.putArray("inputs");
    meta(in, "sentence", "BYTES", -1);
    meta(in, "subject_span", "INT32", -1, 2);
    meta(in, "object_span", "INT32", -1, 2);
    meta(in, "subject_type", "BYTES", -1);
    meta(in, "object_type", "BYTES", -1);
    ArrayNode out = n.putArray("outputs");
    meta(out, "label", "BYTES", -1);
    meta(out, "label_id", "INT64", -1);
    meta(out, "probabilities", "FP32", -1, classifier == null ? 30 : classifier.labels().size());
    labels(n.putObject("parameters").putArray("labels"));
    return n;
  }

  private void labels(ArrayNode into) {
    RelationClassifier c = classifier;
    (c == null ? Labels.RELATIONS : c.labels()).forEach(into::add);
  }

  private static void meta(ArrayNode list, String name, String datatype, int... shape) {
    ObjectNode t = list.addObject().put("name", name).put("datatype", datatype);
    ArrayNode s = t.putArray("shape");
    for (int d : shape) {
      s.add(d);
    }
  }

  private static ArrayNode tensor(ArrayNode list, String name, String datatype, int... shape) {
    ObjectNode t = list.addObject().put("name", name).put("datatype", datatype);
    ArrayNode s = t.putArray("shape");
    for (int d : shape) {
      s.add(d);
    }
    return t.putArray("data");
  }

  static int argmax(float[] row) {
    int best = 0;
    for (int j = 1; j < row.length; j++) {
      if (row[j] > row[best]) {
        best = j;
      }
    }
    return best;
  }

  private static ObjectNode obj() {
    return Requests.JSON.createObjectNode();
  }

  private int error(HttpExchange ex, int status, String message) {
    return json(ex, status, obj().put("error", message));
  }

  private int json(HttpExchange ex, int status, JsonNode body) {
    try {
      return send(ex, status, "application/json", Requests.JSON.writeValueAsBytes(body));
    } catch (IOException e) {
      return status;
    }
  }

  private int text(HttpExchange ex, int status, String body) {
    return send(
        ex,
        status,
        "text/plain; version=0.0.4; charset=utf-8",
        body.getBytes(StandardCharsets.UTF_8));
  }

  private static int send(HttpExchange ex, int status, String type, byte[] bytes) {
    try {
      ex.getResponseHeaders().set("Content-Type", type);
      boolean head = ex.getRequestMethod().equals("HEAD");
      ex.sendResponseHeaders(status, head ? -1 : bytes.length == 0 ? -1 : bytes.length);
      if (!head && bytes.length > 0) {
        try (OutputStream out = ex.getResponseBody()) {
          out.write(bytes);
        }
      }
    } catch (IOException e) {
      LOG.debugf("client went away: %s", e.getMessage());
    }
    return status;
  }
}
