package dev.kret.serve;

import dev.kret.model.RelationClassifier;
import java.time.Duration;

/**
 * Settings of one served model.
 *
 * @param name the model name in URLs ({@code /v1/models/{name}}, {@code /v2/models/{name}})
 * @param host address to bind
 * @param port port to bind; 0 picks a free one
 * @param maxBatch instances per forward pass at most
 * @param maxBatchTokens padded tokens (instances × longest) per forward pass at most: a batch past
 *     it runs in several passes, which bounds the predictor's memory (RelationClassifier#passes)
 * @param maxWait how long a worker waits for more instances before running a partial batch
 * @param workers threads running forward passes
 * @param httpThreads threads reading, validating and encoding request bodies
 * @param maxBodyBytes larger request bodies get 413
 * @param lenient accept an entity {@code word} that does not match its span (the span wins)
 * @param drain how long shutdown waits for in-flight requests
 * @param limits admission control and connection timeouts
 */
public record ServeConfig(
    String name,
    String host,
    int port,
    int maxBatch,
    int maxBatchTokens,
    Duration maxWait,
    int workers,
    int httpThreads,
    long maxBodyBytes,
    boolean lenient,
    Duration drain,
    Limits limits) {

  public static final String DEFAULT_NAME = "kret";
  public static final int DEFAULT_PORT = 8080;
  public static final int DEFAULT_MAX_BATCH = 32;
  public static final int DEFAULT_MAX_WAIT_MS = 5;
  public static final int DEFAULT_WORKERS = 1;
  public static final int DEFAULT_HTTP_THREADS = 4;
  public static final long DEFAULT_MAX_BODY_BYTES = 1 << 20;
  public static final int DEFAULT_DRAIN_SECONDS = 20;

  /**
   * Admission control and timeouts: what keeps a slow client or an overload from taking the server
   * down.
   *
   * @param maxInstances instances in one request at most; more get 413
   * @param maxQueue instances waiting for a forward pass at most; a request that would go past it
   *     gets 503 with Retry-After
   * @param queueTimeout how long a request may wait for its forward passes; then 503 with
   *     Retry-After, and its instances still queued are dropped
   * @param headerTimeout how long a connection may take to send a request's line and headers
   * @param bodyTimeout how long a request may take to send its body once its headers are in
   * @param idleTimeout a keep-alive connection with no request for this long after its last
   *     response is closed (never while a request is in progress)
   * @param maxBufferedBytes request body bytes held at once, over all connections, from the first
   *     byte read until the body is parsed and encoded; a request past it gets 503 with Retry-After
   * @param shutdownDelay after SIGTERM: readiness is false but requests are still served, so that
   *     the endpoints controller and kube-proxy withdraw the pod before it stops listening
   */
  public record Limits(
      int maxInstances,
      int maxQueue,
      Duration queueTimeout,
      Duration headerTimeout,
      Duration bodyTimeout,
      Duration idleTimeout,
      Duration shutdownDelay,
      long maxBufferedBytes) {

    public static final int DEFAULT_MAX_INSTANCES = 256;
    public static final int DEFAULT_MAX_QUEUE = 1024;
    public static final int DEFAULT_QUEUE_TIMEOUT_SECONDS = 30;
    public static final int DEFAULT_HEADER_TIMEOUT_SECONDS = 10;
    public static final int DEFAULT_BODY_TIMEOUT_SECONDS = 30;
    public static final int DEFAULT_IDLE_TIMEOUT_SECONDS = 60;
    public static final int DEFAULT_SHUTDOWN_DELAY_SECONDS = 5;

    /** A quarter of the predictor's 256 MB heap: parsed trees and encodings come on top. */
    public static final long DEFAULT_MAX_BUFFERED_BYTES = 64L << 20;

    /** Longer timeouts are refused: a day is already longer than any client waits. */
    static final Duration MAX_TIMEOUT = Duration.ofDays(1);

    public Limits {
      if (maxInstances < 1) {
        throw new IllegalArgumentException("max instances must be positive, got " + maxInstances);
      }
      if (maxQueue < maxInstances) {
        throw new IllegalArgumentException(
            "max queue ("
                + maxQueue
                + ") must be at least max instances ("
                + maxInstances
                + "): a full request must fit in the queue");
      }
      timeout("--queue-timeout-seconds", queueTimeout, false);
      timeout("--header-timeout-seconds", headerTimeout, false);
      timeout("--body-timeout-seconds", bodyTimeout, false);
      timeout("--idle-timeout-seconds", idleTimeout, false);
      timeout("--shutdown-delay-seconds", shutdownDelay, true);
      if (maxBufferedBytes < 1) {
        throw new IllegalArgumentException(
            "--max-buffered-bytes must be positive, got " + maxBufferedBytes);
      }
    }

    /** Positive (or zero) and at most a day, so that every timer's milliseconds fit an int. */
    static void timeout(String flag, Duration d, boolean zeroAllowed) {
      if (d.isNegative() || (d.isZero() && !zeroAllowed) || d.compareTo(MAX_TIMEOUT) > 0) {
        throw new IllegalArgumentException(
            flag
                + " must be "
                + (zeroAllowed ? "between 0" : "between 1 ms")
                + " and "
                + MAX_TIMEOUT.toSeconds()
                + " seconds, got "
                + (d.abs().getSeconds() > 0 ? d.getSeconds() + " s" : d.toMillis() + " ms"));
      }
    }

    public static Limits defaults() {
      return new Limits(
          DEFAULT_MAX_INSTANCES,
          DEFAULT_MAX_QUEUE,
          Duration.ofSeconds(DEFAULT_QUEUE_TIMEOUT_SECONDS),
          Duration.ofSeconds(DEFAULT_HEADER_TIMEOUT_SECONDS),
          Duration.ofSeconds(DEFAULT_BODY_TIMEOUT_SECONDS),
          Duration.ofSeconds(DEFAULT_IDLE_TIMEOUT_SECONDS),
          Duration.ofSeconds(DEFAULT_SHUTDOWN_DELAY_SECONDS),
          DEFAULT_MAX_BUFFERED_BYTES);
    }

    public Limits withAdmission(int maxInstances, int maxQueue, Duration queueTimeout) {
      return new Limits(
          maxInstances,
          maxQueue,
          queueTimeout,
          headerTimeout,
          bodyTimeout,
          idleTimeout,
          shutdownDelay,
          maxBufferedBytes);
    }

    public Limits withTimeouts(Duration header, Duration body, Duration idle) {
      return new Limits(
          maxInstances,
          maxQueue,
          queueTimeout,
          header,
          body,
          idle,
          shutdownDelay,
          maxBufferedBytes);
    }

    public Limits withShutdownDelay(Duration delay) {
      return new Limits(
          maxInstances,
          maxQueue,
          queueTimeout,
          headerTimeout,
          bodyTimeout,
          idleTimeout,
          delay,
          maxBufferedBytes);
    }

    public Limits withMaxBufferedBytes(long bytes) {
      return new Limits(
          maxInstances,
          maxQueue,
          queueTimeout,
          headerTimeout,
          bodyTimeout,
          idleTimeout,
          shutdownDelay,
          bytes);
    }
  }

  public ServeConfig {
    if (name == null || name.isBlank() || name.contains("/") || name.contains(":")) {
      throw new IllegalArgumentException("model name must be non-empty without '/' or ':'");
    }
    if (maxBatch < 1 || workers < 1 || httpThreads < 1 || maxBodyBytes < 1) {
      throw new IllegalArgumentException(
          "max batch, workers, http threads and max body must be positive");
    }
    if (maxBatchTokens < 1) {
      throw new IllegalArgumentException(
          "--max-batch-tokens must be positive, got " + maxBatchTokens);
    }
    Limits.timeout("--max-wait-ms", maxWait, true);
    Limits.timeout("--drain-seconds", drain, true);
  }

  /** Defaults on a free loopback port, for tests and the benchmark. */
  public static ServeConfig loopback(String name) {
    return new ServeConfig(
        name,
        "127.0.0.1",
        0,
        DEFAULT_MAX_BATCH,
        RelationClassifier.DEFAULT_MAX_BATCH_TOKENS,
        Duration.ofMillis(DEFAULT_MAX_WAIT_MS),
        DEFAULT_WORKERS,
        DEFAULT_HTTP_THREADS,
        DEFAULT_MAX_BODY_BYTES,
        false,
        Duration.ofSeconds(DEFAULT_DRAIN_SECONDS),
        Limits.defaults());
  }

  public ServeConfig withBatching(int maxBatch, Duration maxWait, int workers) {
    return new ServeConfig(
        name,
        host,
        port,
        maxBatch,
        maxBatchTokens,
        maxWait,
        workers,
        httpThreads,
        maxBodyBytes,
        lenient,
        drain,
        limits);
  }

  public ServeConfig withMaxBodyBytes(long bytes) {
    return new ServeConfig(
        name,
        host,
        port,
        maxBatch,
        maxBatchTokens,
        maxWait,
        workers,
        httpThreads,
        bytes,
        lenient,
        drain,
        limits);
  }

  public ServeConfig withLenient(boolean lenient) {
    return new ServeConfig(
        name,
        host,
        port,
        maxBatch,
        maxBatchTokens,
        maxWait,
        workers,
        httpThreads,
        maxBodyBytes,
        lenient,
        drain,
        limits);
  }

  public ServeConfig withLimits(Limits limits) {
    return new ServeConfig(
        name,
        host,
        port,
        maxBatch,
        maxBatchTokens,
        maxWait,
        workers,
        httpThreads,
        maxBodyBytes,
        lenient,
        drain,
        limits);
  }

  public ServeConfig withDrain(Duration drain) {
    return new ServeConfig(
        name,
        host,
        port,
        maxBatch,
        maxBatchTokens,
        maxWait,
        workers,
        httpThreads,
        maxBodyBytes,
        lenient,
        drain,
        limits);
  }
}
