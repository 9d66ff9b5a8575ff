package dev.kret.serve;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The endpoint's metrics in a Micrometer Prometheus registry, rendered in the text exposition
 * format: request counts and latency by endpoint, batch sizes, instances, refusals by kind, the
 * batch queue, the model's live NDArrays and the resident memory.
 */
public final class ServeMetrics {

  static final double[] LATENCY_BUCKETS = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
  };
  static final double[] BATCH_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128, 256};

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Map<String, Counter> requests = new ConcurrentHashMap<>();
  private final Map<String, Timer> latency = new ConcurrentHashMap<>();
  private final Map<ServeError.Kind, Counter> errors = new ConcurrentHashMap<>();
  private final DistributionSummary batchSize =
      DistributionSummary.builder("kret.serve.batch.size")
          .description("Instances per forward pass.")
          .serviceLevelObjectives(BATCH_BUCKETS)
          .register(registry);
  private final Counter instances =
      Counter.builder("kret.serve.instances")
          .description("Instances predicted.")
          .register(registry);
  private final AtomicLong batches = new AtomicLong();
  private final AtomicLong singleBatches = new AtomicLong();
  private final AtomicLong liveArrays = new AtomicLong();
  private final AtomicLong residentBytes = new AtomicLong();

  public ServeMetrics() {
    Gauge.builder("kret.serve.native.arrays", liveArrays, AtomicLong::get)
        .description("NDArrays held by the model's manager.")
        .register(registry);
    Gauge.builder("process.resident.memory", residentBytes, AtomicLong::get)
        .description("Resident memory size in bytes.")
        .baseUnit("bytes")
        .register(registry);
  }

  /** Watches the batch queue: instances waiting, and instances dropped unseen by the model. */
  public void watchQueue(MicroBatcher batcher) {
    // Micrometer holds a gauge's object weakly; the server holds the batcher.
    Gauge.builder("kret.serve.queued.instances", batcher, MicroBatcher::queued)
        .description("Instances waiting for a forward pass.")
        .register(registry);
    FunctionCounter.builder("kret.serve.dropped.instances", batcher, MicroBatcher::dropped)
        .description("Instances dropped uncomputed: their client went away or timed out.")
        .register(registry);
  }

  /** One finished HTTP request. */
  public void request(String endpoint, int status, double seconds) {
    requests
        .computeIfAbsent(
            endpoint + "\u0000" + status,
            k ->
                Counter.builder("kret.serve.requests")
                    .description("HTTP requests by endpoint and status code.")
                    .tag("endpoint", endpoint)
                    .tag("code", Integer.toString(status))
                    .register(registry))
        .increment();
    latency
        .computeIfAbsent(
            endpoint,
            k ->
                Timer.builder("kret.serve.request.duration")
                    .description("Request latency by endpoint.")
                    .tag("endpoint", endpoint)
                    .serviceLevelObjectives(durations(LATENCY_BUCKETS))
                    .register(registry))
        .record((long) (seconds * 1e9), TimeUnit.NANOSECONDS);
  }

  public void error(ServeError.Kind kind) {
    errors
        .computeIfAbsent(
            kind,
            k ->
                Counter.builder("kret.serve.errors")
                    .description("Refused or failed requests by kind.")
                    .tag("kind", kind.label())
                    .register(registry))
        .increment();
  }

  /** One forward pass over {@code size} instances. */
  public void batch(int size) {
    batchSize.record(size);
    instances.increment(size);
    batches.incrementAndGet();
    if (size <= 1) {
      singleBatches.incrementAndGet();
    }
  }

  /** Forward passes that ran over more than one instance. */
  public long batchesLargerThanOne() {
    return batches.get() - singleBatches.get();
  }

  public long batches() {
    return batches.get();
  }

  /**
   * The text exposition.
   *
   * @param liveArrays native arrays held by the model's manager (flat unless something leaks)
   * @param residentBytes the process's resident set (0 where /proc is missing)
   */
  public String render(long liveArrays, long residentBytes) {
    this.liveArrays.set(liveArrays);
    this.residentBytes.set(residentBytes);
    return registry.scrape();
  }

  private static Duration[] durations(double[] seconds) {
    Duration[] out = new Duration[seconds.length];
    for (int i = 0; i < seconds.length; i++) {
      out[i] = Duration.ofNanos((long) (seconds[i] * 1e9));
    }
    return out;
  }
}
