package dev.kret.serve;

import java.time.Duration;

/**
 * Settings of one served model.
 *
 * @param name the model name in URLs ({@code /v1/models/{name}}, {@code /v2/models/{name}})
 * @param host address to bind
 * @param port port to bind; 0 picks a free one
 * @param maxBatch instances per forward pass at most
 * @param maxWait how long a worker waits for more instances before running a partial batch
 * @param workers threads running forward passes
 * @param httpThreads threads handling requests (each waits for its instances' results)
 * @param maxBodyBytes larger request bodies get 413
 * @param lenient accept an entity {@code word} that does not match its span (the span wins)
 * @param drain how long shutdown waits for in-flight requests
 */
public record ServeConfig(
    String name,
    String host,
    int port,
    int maxBatch,
    Duration maxWait,
    int workers,
    int httpThreads,
    long maxBodyBytes,
    boolean lenient,
    Duration drain) {

  public static final String DEFAULT_NAME = "kret";
  public static final int DEFAULT_PORT = 8080;
  public static final int DEFAULT_MAX_BATCH = 32;
  public static final int DEFAULT_MAX_WAIT_MS = 5;
  public static final int DEFAULT_WORKERS = 1;
  public static final int DEFAULT_HTTP_THREADS = 64;
  public static final long DEFAULT_MAX_BODY_BYTES = 1 << 20;
  public static final int DEFAULT_DRAIN_SECONDS = 20;

  public ServeConfig {
    if (name == null || name.isBlank() || name.contains("/") || name.contains(":")) {
      throw new IllegalArgumentException("model name must be non-empty without '/' or ':'");
    }
    if (maxBatch < 1 || workers < 1 || httpThreads < 1 || maxBodyBytes < 1) {
      throw new IllegalArgumentException(
          "max batch, workers, http threads and max body must be positive");
    }
    if (maxWait.isNegative() || drain.isNegative()) {
      throw new IllegalArgumentException("max wait and drain must not be negative");
    }
  }

  /** Defaults on a free loopback port, for tests and the benchmark. */
  public static ServeConfig loopback(String name) {
    return new ServeConfig(
        name,
        "127.0.0.1",
        0,
        DEFAULT_MAX_BATCH,
        Duration.ofMillis(DEFAULT_MAX_WAIT_MS),
        DEFAULT_WORKERS,
        DEFAULT_HTTP_THREADS,
        DEFAULT_MAX_BODY_BYTES,
        false,
        Duration.ofSeconds(DEFAULT_DRAIN_SECONDS));
  }

  public ServeConfig withBatching(int maxBatch, Duration maxWait, int workers) {
    return new ServeConfig(
        name, host, port, maxBatch, maxWait, workers, httpThreads, maxBodyBytes, lenient, drain);
  }

  public ServeConfig withMaxBodyBytes(long bytes) {
    return new ServeConfig(
        name, host, port, maxBatch, maxWait, workers, httpThreads, bytes, lenient, drain);
  }

  public ServeConfig withLenient(boolean lenient) {
    return new ServeConfig(
        name, host, port, maxBatch, maxWait, workers, httpThreads, maxBodyBytes, lenient, drain);
  }
}
