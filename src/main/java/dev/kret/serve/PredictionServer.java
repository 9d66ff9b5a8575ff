package dev.kret.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kret.data.Labels;
import dev.kret.data.RelationExample;
import dev.kret.model.ModelDirectory;
import dev.kret.model.RelationClassifier;
import dev.kret.serve.ServeError.Kind;
import dev.kret.text.RelationEncoder.Encoded;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * The HTTP endpoint of one model: binds first, loads the model in the background (readiness flips
 * once it is loaded and warmed up), then answers KServe V1 and Open Inference Protocol requests
 * through a {@link MicroBatcher}. {@link #shutdown()} (SIGTERM) withdraws readiness, keeps serving
 * for the shutdown delay, then {@link #close()}s: in-flight requests drain, the model is freed.
 *
 * <p>I/O is Vert.x's (non-blocking accept and parsing on one event loop): a connection that stalls
 * costs a socket, not a thread, so probes are answered whatever clients do. Health, readiness and
 * metrics are answered on the event loop; prediction bodies are validated and encoded on the {@code
 * kret-http-N} threads, and answered when the batcher completes them, with no thread waiting.
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

  /** Told each warm-up pass (rows, longest row), before readiness flips; for tests. */
  @FunctionalInterface
  interface WarmupListener {
    void pass(PredictionServer server, int rows, int length);
  }

  /** What tests may put around the model's forward pass (a failing engine, a slow one). */
  interface ForwardWrapper extends UnaryOperator<Function<List<Encoded>, float[][]>> {}

  private static final Logger LOG = Logger.getLogger(PredictionServer.class);

  /** A client's own X-Request-Id is echoed when it looks like an id; otherwise one is made. */
  private static final Pattern CLIENT_ID = Pattern.compile("[A-Za-z0-9._:-]{1,64}");

  private final ServeConfig config;
  private final ServeConfig.Limits limits;
  private final ServeMetrics metrics = new ServeMetrics();
  private final Vertx vertx;
  private final HttpServer http;
  private final ExecutorService handlers;
  private final AtomicInteger waitingForHandler = new AtomicInteger();
  private final Map<HttpConnection, Long> requestTimers = new ConcurrentHashMap<>();
  private final java.util.Set<HttpConnection> keptAlive = ConcurrentHashMap.newKeySet();

  /** The last request dispatched on each connection. */
  private final Map<HttpConnection, Exchange> latest = new ConcurrentHashMap<>();

  private final CompletableFuture<Void> loaded = new CompletableFuture<>();
  private volatile ModelDirectory.Opened opened;
  private volatile RelationClassifier classifier;
  private volatile MicroBatcher batcher;
  private volatile boolean stopping;
  private volatile boolean closed;

  /**
   * Guards the hand-over of the model between the load thread and {@link #close()}: {@code closed},
   * the publication of {@code opened}/{@code batcher} and {@code settingUp} change only under it.
   * Whoever holds the model when the other side arrives frees it: never both, never under a pass.
   */
  private final Object lifecycle = new Object();

  /** The loader has returned a model the load thread still owns (it builds and warms up). */
  private boolean settingUp;

  private final CountDownLatch loadStopped = new CountDownLatch(1);
  private final AtomicInteger inFlight = new AtomicInteger();
  private final java.util.concurrent.atomic.AtomicLong bufferedBytes =
      new java.util.concurrent.atomic.AtomicLong();
  private volatile Throwable fatal;
  private final WarmupListener warmupListener;
  private final ForwardWrapper forwardWrapper;

  private PredictionServer(
      ServeConfig config, WarmupListener warmupListener, ForwardWrapper forwardWrapper) {
    this.config = config;
    this.limits = config.limits();
    this.warmupListener = warmupListener;
    this.forwardWrapper = forwardWrapper;
    this.vertx =
        Vertx.vertx(
            new VertxOptions()
                // One server instance uses one event loop; it only parses and routes.
                .setEventLoopPoolSize(1)
                .setWorkerPoolSize(1)
                .setInternalBlockingPoolSize(1)
                .setFileSystemOptions(
                    new FileSystemOptions()
                        .setFileCachingEnabled(false)
                        .setClassPathResolvingEnabled(false)));
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
    this.http =
        vertx.createHttpServer(
            new HttpServerOptions()
                .setHost(config.host())
                .setPort(config.port())
                .setTcpNoDelay(true)
                .setAcceptBacklog(1024)
                // No Netty idle handler: it would close a connection whose request waits in the
                // queue or for a long forward pass. The keep-alive idle timer runs only between
                // requests (armRequestTimer); a stalled reader is bounded by a write timer (send).
                .setIdleTimeout(0)
                .setMaxInitialLineLength(8192)
                .setMaxHeaderSize(16 * 1024)
                // 100 Continue only once the headers pass the checks (readBody): an automatic
                // one would invite a body that is then refused.
                .setHandle100ContinueAutomatically(false)
                // HTTP/1.1 only: no waiting for enough bytes to tell an h2c preface apart.
                .setHttp2ClearTextEnabled(false));
    vertx.exceptionHandler(
        e -> {
          noteFatal(e);
          LOG.errorf(e, "uncaught on the event loop");
        });
    http.connectionHandler(this::connected);
    http.requestHandler(this::handle);
  }

  /** Binds the port, then loads the model in the background. */
  public static PredictionServer start(ServeConfig config, Loader loader) throws IOException {
    return start(config, loader, (server, rows, length) -> {}, forward -> forward);
  }

  static PredictionServer start(ServeConfig config, Loader loader, WarmupListener warmup)
      throws IOException {
    return start(config, loader, warmup, forward -> forward);
  }

  static PredictionServer start(
      ServeConfig config, Loader loader, WarmupListener warmup, ForwardWrapper forward)
      throws IOException {
    PredictionServer s = new PredictionServer(config, warmup, forward);
    try {
      s.http.listen().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      s.vertx.close();
      s.handlers.shutdownNow();
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      throw new IOException(
          "cannot listen on " + config.host() + ":" + config.port() + ": " + cause, cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      s.vertx.close();
      throw new IOException("interrupted while binding", e);
    }
    Thread t = new Thread(() -> s.load(loader), "kret-model-load");
    t.setDaemon(true);
    t.start();
    return s;
  }

  /**
   * Runs on the load thread. The model stays this thread's until it is published, together with its
   * batcher, under {@link #lifecycle}; if {@link #close()} came first, this thread frees what it
   * built, after its own last forward pass, and close() never touches it.
   */
  private void load(Loader loader) {
    ModelDirectory.Opened o = null;
    MicroBatcher b = null;
    try {
      o = loader.load();
      synchronized (lifecycle) {
        if (closed) {
          throw new IllegalStateException("closed while loading");
        }
        settingUp = true;
      }
      RelationClassifier c = new RelationClassifier(o, config.maxBatchTokens());
      b =
          MicroBatcher.bounded(
              forwardWrapper.apply(c::forward),
              config.maxBatch(),
              config.maxWait(),
              config.workers(),
              limits.maxQueue(),
              metrics::batch);
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
            if (closed) {
              throw new IllegalStateException("closed while warming up");
            }
          });
      synchronized (lifecycle) {
        if (closed) {
          throw new IllegalStateException("closed while warming up");
        }
        opened = o;
        batcher = b;
        // Readiness flips only now, after the warm-up.
        classifier = c;
        settingUp = false;
      }
      metrics.watchQueue(b);
      loaded.complete(null);
      LOG.infof(
          "model %s loaded: %d labels; %d warm-up passes in %d ms",
          config.name(), c.labels().size(), passes.size(), (System.nanoTime() - t0) / 1_000_000);
    } catch (Throwable e) {
      if (closed) {
        LOG.infof("model %s: %s", config.name(), e.getMessage());
      } else {
        LOG.errorf(e, "model %s failed to load", config.name());
      }
      // Nothing was published: this thread still owns what it built.
      boolean idle = b == null || b.closeAndWait();
      if (o != null && idle) {
        o.close();
      }
      loaded.completeExceptionally(e);
    } finally {
      loadStopped.countDown();
    }
  }

  /** Completes when the model is loaded (exceptionally if loading failed). */
  public CompletableFuture<Void> loaded() {
    return loaded;
  }

  /** Loaded, warmed up, and not shutting down: what the readiness probe says. */
  public boolean ready() {
    return loaded.isDone() && !loaded.isCompletedExceptionally() && !stopping;
  }

  /**
   * False once the batching thread has stopped, or any thread of the server ran out of memory (a
   * heap that overflowed once is likely to again, and a thread may have died mid-update): what the
   * liveness probe says.
   */
  public boolean live() {
    MicroBatcher b = batcher;
    return fatal == null && (b == null || b.alive());
  }

  private void noteFatal(Throwable e) {
    if (e instanceof VirtualMachineError && fatal == null) {
      fatal = e;
      LOG.errorf("%s: liveness fails from now on", e);
    }
  }

  /** Instances waiting for a forward pass. */
  public int queuedInstances() {
    MicroBatcher b = batcher;
    return b == null ? 0 : b.queued();
  }

  /** Instances the batcher has taken off its queue (into a batch, or dropped); for tests. */
  long takenInstances() {
    MicroBatcher b = batcher;
    return b == null ? 0 : b.taken();
  }

  /** Instances dropped unseen by the model: their client went away or their request timed out. */
  public int droppedInstances() {
    MicroBatcher b = batcher;
    return b == null ? 0 : b.dropped();
  }

  public int port() {
    return http.actualPort();
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

  /**
   * What SIGTERM does: readiness goes false at once and every response asks its client to reconnect
   * ({@code Connection: close}), so that keep-alive clients move to the pods still in the Service;
   * requests are still served for the shutdown delay while the endpoints are withdrawn; then {@link
   * #close()}.
   */
  public void shutdown() {
    stopping = true;
    LOG.infof(
        "shutting down: not ready; serving %d ms more, then draining for up to %d ms",
        limits.shutdownDelay().toMillis(), config.drain().toMillis());
    try {
      Thread.sleep(limits.shutdownDelay().toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    close();
  }

  /**
   * Closes idle connections, waits up to the drain time for in-flight requests (still serving the
   * ones that arrive meanwhile, each on a connection then closed), closes the listener and every
   * connection, then frees the model once no forward pass can run on it. Uninterruptible (an
   * interrupt would otherwise cut the drain short and free the model under a running pass); the
   * interrupt is restored on return.
   */
  @Override
  public synchronized void close() {
    boolean waitForLoad;
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      stopping = true;
      closed = true;
      waitForLoad = settingUp;
    }
    boolean interrupted = false;
    // A keep-alive connection between requests has nothing in flight: closing it loses nothing. A
    // new one that has not sent its first request yet stays: it may be sending it now, and gets a
    // reply (503 shutting_down for a prediction).
    requestTimers.keySet().stream().filter(keptAlive::contains).forEach(HttpConnection::close);
    long deadline = System.nanoTime() + config.drain().toNanos();
    while (inFlight.get() > 0 && System.nanoTime() < deadline) {
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (inFlight.get() > 0) {
      LOG.warnf("drain time is up with %d requests in flight; closing", inFlight.get());
    }
    interrupted |= await(http.close());
    handlers.shutdown();
    interrupted |= awaitTermination(handlers, CLOSE_WAIT);
    MicroBatcher b;
    ModelDirectory.Opened o;
    synchronized (lifecycle) {
      b = batcher;
      o = opened;
      opened = null;
    }
    boolean idle = b == null || b.closeAndWait();
    interrupted |= Thread.interrupted();
    if (o != null) {
      if (idle) {
        o.close();
      } else {
        LOG.warn("a forward pass is still running; the model is left to the process's exit");
      }
    }
    if (waitForLoad) {
      // The load thread owns the model it is warming up and frees it after its current pass.
      interrupted |= awaitLatch(loadStopped, LOAD_WAIT);
    }
    interrupted |= await(vertx.close());
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** How long close() waits for the handler threads and for Vert.x, each. */
  private static final java.time.Duration CLOSE_WAIT = java.time.Duration.ofSeconds(2);

  /** How long close() waits for a warm-up pass in progress (a full batch on a big model). */
  private static final java.time.Duration LOAD_WAIT = java.time.Duration.ofSeconds(10);

  /** Waits, uninterruptibly; true if the thread was interrupted meanwhile. */
  private static boolean await(io.vertx.core.Future<?> f) {
    boolean interrupted = false;
    CompletableFuture<?> done = f.toCompletionStage().toCompletableFuture();
    long deadline = System.nanoTime() + CLOSE_WAIT.toNanos();
    while (true) {
      try {
        done.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        return interrupted;
      } catch (ExecutionException | TimeoutException e) {
        LOG.debugf("while closing: %s", e);
        return interrupted;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
  }

  private static boolean awaitTermination(ExecutorService pool, java.time.Duration limit) {
    boolean interrupted = false;
    long deadline = System.nanoTime() + limit.toNanos();
    while (!pool.isTerminated() && System.nanoTime() < deadline) {
      try {
        pool.awaitTermination(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    return interrupted;
  }

  private static boolean awaitLatch(CountDownLatch latch, java.time.Duration limit) {
    boolean interrupted = false;
    long deadline = System.nanoTime() + limit.toNanos();
    while (latch.getCount() > 0 && System.nanoTime() < deadline) {
      try {
        latch.await(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    return interrupted;
  }

  // ---- connections ----

  /**
   * A new connection must send its first request line and headers within the header timeout; after
   * each response the next request must arrive within the idle timeout (keep-alive). A client that
   * dribbles bytes keeps Vert.x's idle timer alive but not this one.
   */
  private void connected(HttpConnection conn) {
    armRequestTimer(conn, limits.headerTimeout().toMillis());
    conn.closeHandler(
        v -> {
          disarmRequestTimer(conn);
          keptAlive.remove(conn);
          latest.remove(conn);
        });
  }

  private void armRequestTimer(HttpConnection conn, long millis) {
    long[] id = new long[1];
    id[0] =
        vertx.setTimer(
            millis,
            t -> {
              if (requestTimers.remove(conn, id[0])) {
                LOG.debugf("closing %s: no complete request within %d ms", conn, millis);
                conn.close();
              }
            });
    Long old = requestTimers.put(conn, id[0]);
    if (old != null) {
      vertx.cancelTimer(old);
    }
  }

  private void disarmRequestTimer(HttpConnection conn) {
    Long id = requestTimers.remove(conn);
    if (id != null) {
      vertx.cancelTimer(id);
    }
  }

  /**
   * Closes a connection once its request has been read: closing while the client still uploads a
   * refused body makes Linux answer its data with a reset, which can destroy the reply (a 413)
   * before the client reads it. The rest of the body is read and dropped, for at most {@link
   * #REFUSAL_GRACE}.
   */
  private void closeAfterRequest(HttpServerRequest req, HttpConnection conn) {
    if (req.isEnded()) {
      conn.close();
      return;
    }
    long grace = vertx.setTimer(REFUSAL_GRACE.toMillis(), t -> conn.close());
    req.handler(chunk -> {});
    req.exceptionHandler(e -> {});
    req.endHandler(
        v -> {
          vertx.cancelTimer(grace);
          conn.close();
        });
  }

  /** How long a refused body may keep arriving before its connection is closed anyway. */
  static final java.time.Duration REFUSAL_GRACE = java.time.Duration.ofSeconds(2);

  /** True once the drain has begun: prediction requests get 503 {@code shutting_down}. */
  boolean draining() {
    return closed;
  }

  // ---- routing ----

  private void handle(HttpServerRequest req) {
    disarmRequestTimer(req.connection());
    Exchange x = new Exchange(req);
    latest.put(req.connection(), x);
    inFlight.incrementAndGet();
    req.response().closeHandler(v -> x.clientGone());
    try {
      route(x);
    } catch (ServeError e) {
      x.fail(e);
    } catch (Throwable e) {
      x.internal(e);
    }
  }

  private void route(Exchange x) {
    String path = x.req.path();
    String method = x.req.method().name();
    if (path.equals("/v2/health/live")) {
      x.endpoint = "v2_live";
      get(x, method);
      boolean live = live();
      x.json(live ? 200 : 503, obj().put("live", live));
    } else if (path.equals("/v2/health/ready")) {
      x.endpoint = "v2_ready";
      get(x, method);
      boolean ready = ready();
      x.json(ready ? 200 : 503, obj().put("ready", ready));
    } else if (path.equals("/v2") || path.equals("/v2/")) {
      x.endpoint = "v2_server";
      get(x, method);
      ObjectNode n = obj().put("name", "kret").put("version", "0.1.0");
      n.putArray("extensions");
      x.json(200, n);
    } else if (path.equals("/metrics")) {
      x.endpoint = "metrics";
      get(x, method);
      x.text(200, metrics.render(liveArrays(), ServeBench.rssKb() * 1024));
    } else if (path.startsWith("/v2/models/")) {
      String rest = path.substring("/v2/models/".length());
      if (rest.endsWith("/infer")) {
        x.endpoint = "v2_infer";
        model(rest.substring(0, rest.length() - "/infer".length()));
        post(x, method);
        readBody(x, body -> v2Infer(x, body));
      } else if (rest.endsWith("/ready")) {
        x.endpoint = "v2_model_ready";
        model(rest.substring(0, rest.length() - "/ready".length()));
        get(x, method);
        boolean ready = ready();
        x.json(ready ? 200 : 503, obj().put("name", config.name()).put("ready", ready));
      } else {
        x.endpoint = "v2_metadata";
        model(rest);
        get(x, method);
        x.json(200, v2Metadata());
      }
    } else if (path.startsWith("/v1/models/")) {
      String rest = path.substring("/v1/models/".length());
      if (rest.endsWith(":predict")) {
        x.endpoint = "v1_predict";
        model(rest.substring(0, rest.length() - ":predict".length()));
        post(x, method);
        readBody(x, body -> v1Predict(x, body));
      } else {
        x.endpoint = "v1_metadata";
        model(rest);
        get(x, method);
        ObjectNode n = obj().put("name", config.name()).put("ready", ready());
        labels(n.putArray("labels"));
        x.json(200, n);
      }
    } else {
      throw new ServeError(Kind.NOT_FOUND, "no endpoint at " + path);
    }
  }

  private void model(String name) {
    if (!name.equals(config.name())) {
      throw new ServeError(
          Kind.UNKNOWN_MODEL,
          "model \"" + name + "\" is not served here; this is \"" + config.name() + "\"");
    }
  }

  private static void get(Exchange x, String method) {
    x.allow = "GET, HEAD";
    if (!method.equals("GET") && !method.equals("HEAD")) {
      throw new ServeError(Kind.METHOD_NOT_ALLOWED, method + " not allowed; use GET");
    }
  }

  private static void post(Exchange x, String method) {
    x.allow = "POST";
    if (!method.equals("POST")) {
      throw new ServeError(Kind.METHOD_NOT_ALLOWED, method + " not allowed; use POST");
    }
  }

  // ---- bodies ----

  /**
   * Checks the headers, then collects the body on the event loop, at most {@code --max-body-bytes}
   * and within the body timeout, and hands it to a handler thread.
   */
  private void readBody(Exchange x, Consumer<byte[]> then) {
    if (closed) {
      // A client that ignores readiness (or a connection opened just before the endpoints were
      // withdrawn) still gets a reply it can act on; the drain waits only for what was admitted.
      throw new ServeError(
          Kind.SHUTTING_DOWN, "the server is shutting down; retry, another replica will answer");
    }
    String type = x.req.getHeader("Content-Type");
    if (type != null) {
      String media = type.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
      if (!media.equals("application/json") && !media.endsWith("+json")) {
        throw new ServeError(
            Kind.UNSUPPORTED_MEDIA_TYPE,
            "Content-Type " + type + " is not supported; send application/json");
      }
    }
    long limit = config.maxBodyBytes();
    String length = x.req.getHeader("Content-Length");
    long announced = -1;
    if (length != null) {
      try {
        announced = Long.parseLong(length.strip());
      } catch (NumberFormatException e) {
        throw new ServeError(Kind.INVALID_JSON, "Content-Length " + length + " is not a number");
      }
      if (announced > limit) {
        throw tooLarge(limit);
      }
      // The whole body is reserved before a byte of it is read.
      if (!x.reserveBody(announced)) {
        throw overloaded();
      }
    }
    boolean reserved = announced >= 0;
    if ("100-continue".equalsIgnoreCase(x.req.getHeader("Expect"))) {
      x.req.response().writeContinue();
    }
    long timeout = limits.bodyTimeout().toMillis();
    long timer =
        vertx.setTimer(
            timeout,
            t ->
                x.fail(
                    new ServeError(
                        Kind.REQUEST_TIMEOUT,
                        "the body did not arrive within "
                            + timeout
                            + " ms (--body-timeout-seconds)")));
    Buffer body = Buffer.buffer(reserved ? (int) announced : 1024);
    x.req.handler(
        chunk -> {
          if (x.finished.get()) {
            return;
          }
          if (body.length() + chunk.length() > limit) {
            vertx.cancelTimer(timer);
            x.fail(tooLarge(limit));
            return;
          }
          if (!reserved && !x.reserveBody(chunk.length())) {
            vertx.cancelTimer(timer);
            x.fail(overloaded());
            return;
          }
          body.appendBuffer(chunk);
        });
    x.req.exceptionHandler(e -> vertx.cancelTimer(timer));
    x.req.endHandler(
        v -> {
          vertx.cancelTimer(timer);
          if (!x.finished.get()) {
            onHandlerThread(x, () -> then.accept(body.getBytes()));
          }
        });
  }

  private ServeError overloaded() {
    return new ServeError(
        Kind.OVERLOADED,
        "more than "
            + limits.maxBufferedBytes()
            + " bytes of request bodies are held (--max-buffered-bytes); retry later");
  }

  private static ServeError tooLarge(long limit) {
    return new ServeError(
        Kind.BODY_TOO_LARGE, "body is larger than " + limit + " bytes; send fewer instances");
  }

  /**
   * Runs JSON reading, validation and encoding off the event loop; refuses past the queue bound.
   */
  private void onHandlerThread(Exchange x, Runnable work) {
    if (waitingForHandler.incrementAndGet() > limits.maxQueue()) {
      waitingForHandler.decrementAndGet();
      x.fail(
          new ServeError(
              Kind.QUEUE_FULL,
              "more than "
                  + limits.maxQueue()
                  + " requests are waiting to be read (--max-queue); retry later"));
      return;
    }
    handlers.execute(
        () -> {
          waitingForHandler.decrementAndGet();
          if (x.finished.get()) {
            return; // the client went away while the request waited
          }
          try {
            work.run();
          } catch (ServeError e) {
            x.fail(e);
          } catch (Throwable e) {
            x.internal(e);
          } finally {
            // The body and its tree are garbage now; the encodings are bounded by --max-queue.
            x.releaseBody();
          }
        });
  }

  // ---- prediction ----

  private void v1Predict(Exchange x, byte[] body) {
    List<RelationExample> examples =
        Requests.v1(Requests.tree(body), config.lenient(), limits.maxInstances());
    predict(
        x,
        examples,
        "instances",
        p -> {
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
          return out;
        });
  }

  private void v2Infer(Exchange x, byte[] body) {
    Requests.V2Request req = Requests.v2(Requests.tree(body), limits.maxInstances());
    predict(
        x,
        req.examples(),
        "sentence",
        p -> {
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
          return out;
        });
  }

  /**
   * Encodes on this thread and queues the instances; the reply is written when the batcher
   * completes them, by a handler thread. A request that waits past the queue timeout gets 503, and
   * its instances still queued are dropped; so are those of a client that went away.
   */
  private void predict(
      Exchange x,
      List<RelationExample> examples,
      String where,
      Function<float[][], ObjectNode> render) {
    if (!loaded.isDone() || loaded.isCompletedExceptionally() || classifier == null) {
      throw new ServeError(Kind.NOT_READY, "model " + config.name() + " is still loading");
    }
    MicroBatcher b = batcher;
    List<Encoded> encoded = new ArrayList<>(examples.size());
    for (int i = 0; i < examples.size(); i++) {
      try {
        encoded.add(classifier.encoder().encode(examples.get(i)));
      } catch (IllegalArgumentException e) {
        throw new ServeError(Kind.TOO_LONG, where + "[" + i + "]: " + e.getMessage());
      }
    }
    CompletableFuture<float[][]> result = b.submit(encoded);
    x.pending = result;
    if (x.finished.get()) {
      result.cancel(false);
      return;
    }
    long timeout = limits.queueTimeout().toMillis();
    result
        .orTimeout(timeout, TimeUnit.MILLISECONDS)
        .whenCompleteAsync(
            (logp, err) -> {
              try {
                if (err == null) {
                  x.json(200, render.apply(RelationClassifier.exp(logp)));
                } else {
                  x.failed(unwrap(err), timeout);
                }
              } catch (ServeError e) {
                x.fail(e);
              } catch (Throwable e) {
                x.internal(e);
              }
            },
            handlers);
  }

  private static Throwable unwrap(Throwable e) {
    return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
  }

  // ---- exchanges ----

  /** One request and its single reply: whichever of reply, error or disconnect comes first wins. */
  private final class Exchange {
    final HttpServerRequest req;
    final String id;
    final long t0 = System.nanoTime();
    final AtomicBoolean finished = new AtomicBoolean();
    volatile String endpoint = "unknown";
    volatile String allow;
    volatile CompletableFuture<?> pending;
    private final java.util.concurrent.atomic.AtomicLong bodyBytes =
        new java.util.concurrent.atomic.AtomicLong();

    /** Takes n bytes of the server's body budget; false, taking nothing, past it. */
    boolean reserveBody(long n) {
      if (bufferedBytes.addAndGet(n) > limits.maxBufferedBytes()) {
        bufferedBytes.addAndGet(-n);
        return false;
      }
      bodyBytes.addAndGet(n);
      return true;
    }

    /** Gives this request's body bytes back to the budget; idempotent. */
    void releaseBody() {
      long n = bodyBytes.getAndSet(0);
      if (n > 0) {
        bufferedBytes.addAndGet(-n);
      }
    }

    Exchange(HttpServerRequest req) {
      this.req = req;
      String client = req.getHeader("X-Request-Id");
      this.id =
          client != null && CLIENT_ID.matcher(client).matches()
              ? client
              : Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE);
    }

    void json(int status, JsonNode body) {
      byte[] bytes;
      try {
        bytes = Requests.JSON.writeValueAsBytes(body);
      } catch (JsonProcessingException e) {
        internal(new IllegalStateException("cannot write the response", e));
        return;
      }
      send(status, "application/json", bytes);
    }

    void text(int status, String body) {
      send(
          status,
          "text/plain; version=0.0.4; charset=utf-8",
          body.getBytes(StandardCharsets.UTF_8));
    }

    /** A refusal: the status of its kind and a message naming the field. */
    void fail(ServeError e) {
      if (finished.get()) {
        return;
      }
      metrics.error(e.kind());
      json(e.status(), obj().put("error", e.getMessage()).put("request_id", id));
    }

    /**
     * A failure of ours: logged with the request id; the body says only that, never the exception
     * or the engine's message (they may carry internals the client has no use for).
     */
    void internal(Throwable e) {
      if (finished.get()) {
        return;
      }
      noteFatal(e);
      LOG.errorf(e, "request %s (%s %s) failed", id, req.method(), req.path());
      metrics.error(Kind.INTERNAL);
      json(
          500,
          obj()
              .put("error", "internal error; the server log has the details under request id " + id)
              .put("request_id", id));
    }

    /** The batcher's outcome when it is not rows. */
    void failed(Throwable e, long timeoutMillis) {
      if (e instanceof ServeError se) {
        fail(se);
      } else if (e instanceof TimeoutException) {
        fail(
            new ServeError(
                Kind.QUEUE_TIMEOUT,
                "no result within "
                    + timeoutMillis
                    + " ms (--queue-timeout-seconds): the server is overloaded; retry later"));
      } else if (!(e instanceof CancellationException)) {
        internal(e);
      }
    }

    /** The connection closed before the reply: queued instances are dropped, nothing is sent. */
    void clientGone() {
      // The CAS first: once it is won, predict() cancels a future it publishes later itself.
      if (finished.compareAndSet(false, true)) {
        CompletableFuture<?> p = pending;
        if (p != null) {
          p.cancel(false);
        }
        metrics.error(Kind.CLIENT_CLOSED);
        finish(Kind.CLIENT_CLOSED.status());
      }
    }

    private void send(int status, String type, byte[] bytes) {
      if (!finished.compareAndSet(false, true)) {
        return;
      }
      HttpServerResponse resp = req.response();
      // Past shutdown, and after an early refusal whose body is still coming, the connection ends
      // with this reply; a keep-alive client then reconnects, to a pod still in the Service.
      boolean close = stopping || bodyUnread();
      try {
        resp.setStatusCode(status);
        resp.putHeader("Content-Type", type);
        resp.putHeader("X-Request-Id", id);
        if (status == 503) {
          resp.putHeader("Retry-After", "1");
        }
        if (status == 405 && allow != null) {
          resp.putHeader("Allow", allow);
        }
        if (close) {
          resp.putHeader("Connection", "close");
        }
        HttpConnection conn = req.connection();
        // A client that does not read its reply holds it in our buffers: bounded like an idle one.
        long writeTimer = vertx.setTimer(limits.idleTimeout().toMillis(), t -> conn.close());
        resp.end(Buffer.buffer(bytes))
            .onComplete(
                ar -> {
                  vertx.cancelTimer(writeTimer);
                  finish(status);
                  if (ar.failed()) {
                    conn.close();
                  } else if (close) {
                    closeAfterRequest(req, conn);
                  } else if (latest.get(conn) == this) {
                    // Not when a pipelined request was already dispatched: it is in progress.
                    keptAlive.add(conn);
                    armRequestTimer(conn, limits.idleTimeout().toMillis());
                  }
                });
      } catch (IllegalStateException e) {
        // The connection closed under us: the client is gone.
        finish(status);
      }
    }

    /** A body announced but not (yet) read: what follows on the connection is not a request. */
    private boolean bodyUnread() {
      if (req.isEnded()) {
        return false;
      }
      String length = req.getHeader("Content-Length");
      return (length != null && !length.strip().equals("0"))
          || req.headers().contains("Transfer-Encoding");
    }

    private void finish(int status) {
      releaseBody();
      inFlight.decrementAndGet();
      metrics.request(endpoint, status, (System.nanoTime() - t0) / 1e9);
    }
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
}
