package dev.kret.train;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The AdamW update and the gradient norm as single passes over float buffers that alias libtorch's
 * CPU tensors. Work is cut into chunks and spread over the common fork-join pool (a parallel
 * stream); libtorch's own threads are idle while the optimizer runs.
 */
final class FusedAdamW {

  private static final int CHUNK = 1 << 16;
  private static final int TILE = 2048;

  private FusedAdamW() {}

  /** One parameter: its weight, gradient and moments, and its decoupled decay factor. */
  record Slot(FloatBuffer w, FloatBuffer g, FloatBuffer m, FloatBuffer v, float decay) {}

  private record Range(int slot, int from, int to) {}

  private static List<Range> ranges(List<FloatBuffer> sizes) {
    List<Range> out = new ArrayList<>();
    for (int s = 0; s < sizes.size(); s++) {
      int n = sizes.get(s).capacity();
      for (int from = 0; from < n; from += CHUNK) {
        out.add(new Range(s, from, Math.min(n, from + CHUNK)));
      }
    }
    return out;
  }

  static double sumOfSquares(List<FloatBuffer> grads) {
    List<Range> ranges = ranges(grads);
    return IntStream.range(0, ranges.size())
        .parallel()
        .mapToDouble(
            i -> {
              Range r = ranges.get(i);
              FloatBuffer g = grads.get(r.slot());
              double acc = 0;
              for (int k = r.from(); k < r.to(); k++) {
                float x = g.get(k);
                acc += x * x;
              }
              return acc;
            })
        .sum();
  }

  /**
   * w ← w·decay − stepSize · m̂ / (√v̂ + eps) with m, v the moment updates of scale·g and {@code
   * stepSize = lr / (1 − β1^t)}, {@code sqrtBc2 = √(1 − β2^t)}; g is zeroed.
   */
  static void update(
      List<Slot> slots,
      float scale,
      float beta1,
      float beta2,
      float stepSize,
      float sqrtBc2,
      float eps) {
    List<FloatBuffer> sizes = new ArrayList<>(slots.size());
    for (Slot s : slots) {
      sizes.add(s.w());
    }
    List<Range> ranges = ranges(sizes);
    float a1 = 1 - beta1;
    float a2 = 1 - beta2;
    IntStream.range(0, ranges.size())
        .parallel()
        .forEach(
            i -> {
              Range r = ranges.get(i);
              Slot s = slots.get(r.slot());
              float decay = s.decay();
              // Tiles copied in bulk into small arrays: the arithmetic then runs on plain arrays,
              // which the JIT vectorises (sqrt and divide included); the copies stay in cache.
              float[] w = new float[TILE];
              float[] g = new float[TILE];
              float[] m = new float[TILE];
              float[] v = new float[TILE];
              for (int off = r.from(); off < r.to(); off += TILE) {
                int n = Math.min(TILE, r.to() - off);
                s.w().get(off, w, 0, n);
                s.g().get(off, g, 0, n);
                s.m().get(off, m, 0, n);
                s.v().get(off, v, 0, n);
                for (int k = 0; k < n; k++) {
                  float grad = g[k] * scale;
                  float mk = beta1 * m[k] + a1 * grad;
                  float vk = beta2 * v[k] + a2 * grad * grad;
                  m[k] = mk;
                  v[k] = vk;
                  w[k] = w[k] * decay - stepSize * mk / ((float) Math.sqrt(vk) / sqrtBc2 + eps);
                  g[k] = 0f;
                }
                s.w().put(off, w, 0, n);
                s.g().put(off, g, 0, n);
                s.m().put(off, m, 0, n);
                s.v().put(off, v, 0, n);
              }
            });
  }
}
