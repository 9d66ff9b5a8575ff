package dev.kret.operator;

import dev.kret.api.v1alpha1.ModelShape;
import dev.kret.api.v1alpha1.PredictorResourcesSpec;
import dev.kret.model.RelationClassifier;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import java.math.BigDecimal;
import java.util.Map;

/**
 * CPU and memory of a predictor pod: {@code spec.promotion.resources} where set, otherwise derived
 * from the served model's size as the trainer reported it ({@code status.best.model}).
 *
 * <p>Memory is what {@code kretctl serve} holds at its peak, measured with {@code
 * bench/predictor-memory}: the float32 weights, the activations of one layer of one forward pass
 * (inference frees each layer's activations as the next consumes them, and a batch runs in passes
 * of at most {@link RelationClassifier#DEFAULT_MAX_BATCH_TOKENS} padded tokens), and the runtime (a
 * 256 MB heap, the JVM's own memory, libtorch, the tokenizer, what glibc's arenas keep), plus half
 * again: roberta-base at 256 tokens peaked at 1,346 MiB under load and gets 2112Mi. Request and
 * limit are equal: a predictor that outgrows its estimate is OOM-killed where it can be seen, not
 * throttled into timeouts. CPU: a core per 150 M parameters (half a core for small models), the
 * limit twice the request.
 */
public final class PredictorSizing {

  /** The JVM heap of a predictor: request bodies and responses; the weights live off-heap. */
  public static final long HEAP_BYTES = 256L << 20;

  /**
   * The JVM beside its heap (code, metaspace, threads, GC), libtorch and the tokenizer, and what
   * glibc's arenas keep of freed activations for reuse.
   */
  static final long RUNTIME_BYTES = 640L << 20;

  /** Instances per forward pass: {@code kretctl serve}'s default {@code --max-batch}. */
  static final int MAX_BATCH = 32;

  /** Memory when the summary says nothing usable about the model (an older trainer). */
  static final String FALLBACK_MEMORY = "2Gi";

  static final String FALLBACK_CPU = "1";

  private PredictorSizing() {}

  /** The pod's CPU and memory request and limit. */
  public static ResourceRequirements of(PredictorResourcesSpec override, ModelShape model) {
    boolean known = model != null && model.plausible();
    String memory =
        override != null && override.memory() != null
            ? override.memory()
            : known ? mebibytes(memoryBytes(model)) : FALLBACK_MEMORY;
    String cpu =
        override != null && override.cpu() != null
            ? override.cpu()
            : known ? cpu(model.parameters()) : FALLBACK_CPU;
    Quantity cpuRequest = new Quantity(cpu);
    Quantity cpuLimit =
        new Quantity(
            Quantity.getAmountInBytes(cpuRequest)
                .multiply(BigDecimal.valueOf(2))
                .stripTrailingZeros()
                .toPlainString());
    return new ResourceRequirementsBuilder()
        .withRequests(Map.of("cpu", cpuRequest, "memory", new Quantity(memory)))
        .withLimits(Map.of("cpu", cpuLimit, "memory", new Quantity(memory)))
        .build();
  }

  /**
   * Peak resident memory of a predictor serving {@code m} with batches of {@link #MAX_BATCH}, each
   * in passes of at most {@link RelationClassifier#DEFAULT_MAX_BATCH_TOKENS} padded tokens.
   */
  static long memoryBytes(ModelShape m) {
    long t = Math.max(1, m.maxLength());
    // A batch runs in passes of at most DEFAULT_MAX_BATCH_TOKENS padded tokens (one row at least).
    long b = Math.min(MAX_BATCH, Math.max(1, RelationClassifier.DEFAULT_MAX_BATCH_TOKENS / t));
    long weights = 4 * m.parameters();
    // Attention holds the scores and their softmax at once; the feed-forward part its expansion
    // and the activation of it; around either, a few [B, T, H] states.
    long attention = 2 * b * m.heads() * t * t * 4;
    long feedForward = 2 * b * t * m.intermediateSize() * 4;
    long states = 6 * b * t * m.hiddenSize() * 4;
    long layer = Math.max(attention, feedForward) + states;
    long total = weights + layer + HEAP_BYTES + RUNTIME_BYTES;
    return total + total / 2;
  }

  /** Whole mebibytes, rounded up to 64 Mi. */
  static String mebibytes(long bytes) {
    long mi = (bytes + (1L << 20) - 1) >> 20;
    return ((mi + 63) / 64 * 64) + "Mi";
  }

  /** Half a core below 20 M parameters, else a core per 150 M, at most 8. */
  static String cpu(long parameters) {
    if (parameters < 20_000_000L) {
      return "500m";
    }
    return String.valueOf(Math.min(8, (parameters + 149_999_999L) / 150_000_000L));
  }

  /**
   * The JVM flags of a predictor with that memory limit: a small heap, and room off-heap for the
   * weights, which DJL keeps in direct buffers (by default capped at the heap's size, so a
   * roberta-base model would not load under a 256 MB heap).
   */
  public static String javaOptions(ResourceRequirements r) {
    Quantity limit = r.getLimits() == null ? null : r.getLimits().get("memory");
    long direct = limit == null ? 0 : Quantity.getAmountInBytes(limit).longValue();
    return "-Xmx"
        + (HEAP_BYTES >> 20)
        + "m"
        + (direct > 0 ? " -XX:MaxDirectMemorySize=" + direct : "");
  }
}
