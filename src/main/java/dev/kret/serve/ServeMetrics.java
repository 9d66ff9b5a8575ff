package dev.kret.serve;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.DoubleAdder;

/**
 * Prometheus counters and histograms of the endpoint, rendered in the text exposition format
 * (0.0.4). Hand-written because the set is small and a client library would be a dependency for
 * four metrics.
 */
public final class ServeMetrics {

  static final double[] LATENCY_BUCKETS = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
  };
  static final double[] BATCH_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128, 256};

  private final Map<String, AtomicLong> requests = new ConcurrentHashMap<>();
  private final Map<String, Histogram> latency = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> errors = new ConcurrentHashMap<>();
  private final Histogram batchSize = new Histogram(BATCH_BUCKETS);
  private final AtomicLong instances = new AtomicLong();

  /** A cumulative histogram with fixed upper bounds. */
  static final class Histogram {
    final double[] bounds;
    final AtomicLongArray counts;
    final DoubleAdder sum = new DoubleAdder();
    final AtomicLong count = new AtomicLong();

    Histogram(double[] bounds) {
      this.bounds = bounds;
      this.counts = new AtomicLongArray(bounds.length);
    }

    void observe(double v) {
      for (int i = 0; i < bounds.length; i++) {
        if (v <= bounds[i]) {
          counts.incrementAndGet(i);
        }
      }
      sum.add(v);
      count.incrementAndGet();
    }

    void render(StringBuilder out, String name, String labels) {
      String sep = labels.isEmpty() ? "" : labels + ",";
      for (int i = 0; i < bounds.length; i++) {
        out.append(name)
            .append("_bucket{")
            .append(sep)
            .append("le=\"")
            .append(number(bounds[i]))
            .append("\"} ")
            .append(counts.get(i))
            .append('\n');
      }
      out.append(name).append("_bucket{").append(sep).append("le=\"+Inf\"} ");
      out.append(count.get()).append('\n');
      String braces = labels.isEmpty() ? "" : "{" + labels + "}";
      out.append(name).append("_sum").append(braces).append(' ');
      out.append(number(sum.sum())).append('\n');
      out.append(name).append("_count").append(braces).append(' ');
      out.append(count.get()).append('\n');
    }
  }

  /** One finished HTTP request. */
  public void request(String endpoint, int status, double seconds) {
    requests.computeIfAbsent(endpoint + "\u0000" + status, k -> new AtomicLong()).incrementAndGet();
    latency.computeIfAbsent(endpoint, k -> new Histogram(LATENCY_BUCKETS)).observe(seconds);
  }

  public void error(ServeError.Kind kind) {
    errors.computeIfAbsent(kind.label(), k -> new AtomicLong()).incrementAndGet();
  }

  /** One forward pass over {@code size} instances. */
  public void batch(int size) {
    batchSize.observe(size);
    instances.addAndGet(size);
  }

  /** Forward passes that ran over more than one instance. */
  public long batchesLargerThanOne() {
    return batchSize.count.get() - batchSize.counts.get(0);
  }

  public long batches() {
    return batchSize.count.get();
  }

  /**
   * The text exposition.
   *
   * @param liveArrays native arrays held by the model's manager (flat unless something leaks)
   * @param residentBytes the process's resident set (0 where /proc is missing: not rendered)
   */
  public String render(long liveArrays, long residentBytes) {
    StringBuilder out = new StringBuilder(4096);
    out.append("# HELP kret_serve_native_arrays NDArrays held by the model's manager.\n");
    out.append("# TYPE kret_serve_native_arrays gauge\n");
    out.append("kret_serve_native_arrays ").append(liveArrays).append('\n');
    if (residentBytes > 0) {
      out.append("# HELP process_resident_memory_bytes Resident memory size in bytes.\n");
      out.append("# TYPE process_resident_memory_bytes gauge\n");
      out.append("process_resident_memory_bytes ").append(residentBytes).append('\n');
    }
    out.append("# HELP kret_serve_requests_total HTTP requests by endpoint and status code.\n");
    out.append("# TYPE kret_serve_requests_total counter\n");
    new TreeMap<>(requests)
        .forEach(
            (k, v) -> {
              int cut = k.indexOf('\u0000');
              out.append("kret_serve_requests_total{endpoint=\"")
                  .append(k, 0, cut)
                  .append("\",code=\"")
                  .append(k.substring(cut + 1))
                  .append("\"} ")
                  .append(v.get())
                  .append('\n');
            });
    out.append("# HELP kret_serve_request_duration_seconds Request latency by endpoint.\n");
    out.append("# TYPE kret_serve_request_duration_seconds histogram\n");
    new TreeMap<>(latency)
        .forEach(
            (k, h) ->
                h.render(out, "kret_serve_request_duration_seconds", "endpoint=\"" + k + "\""));
    out.append("# HELP kret_serve_batch_size Instances per forward pass.\n");
    out.append("# TYPE kret_serve_batch_size histogram\n");
    batchSize.render(out, "kret_serve_batch_size", "");
    out.append("# HELP kret_serve_instances_total Instances predicted.\n");
    out.append("# TYPE kret_serve_instances_total counter\n");
    out.append("kret_serve_instances_total ").append(instances.get()).append('\n');
    out.append("# HELP kret_serve_errors_total Refused or failed requests by kind.\n");
    out.append("# TYPE kret_serve_errors_total counter\n");
    new TreeMap<>(errors)
        .forEach(
            (k, v) ->
                out.append("kret_serve_errors_total{kind=\"")
                    .append(k)
                    .append("\"} ")
                    .append(v.get())
                    .append('\n'));
    return out.toString();
  }

  private static String number(double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return Long.toString((long) v) + ".0";
    }
    return String.format(Locale.ROOT, "%s", v);
  }
}
