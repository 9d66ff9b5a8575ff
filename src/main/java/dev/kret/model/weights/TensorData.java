package dev.kret.model.weights;

import java.util.Arrays;

/**
 * A named tensor held as float32 in Java, row-major. The arrays are shared, not copied: callers
 * must not mutate them while others hold the record.
 */
public record TensorData(String name, long[] shape, float[] data) {

  public TensorData {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("tensor name must not be empty");
    }
    if (shape == null || data == null) {
      throw new IllegalArgumentException("tensor " + name + ": shape and data must not be null");
    }
    long numel = numel(shape);
    if (numel != data.length) {
      throw new IllegalArgumentException(
          "tensor "
              + name
              + ": shape "
              + Arrays.toString(shape)
              + " holds "
              + numel
              + " elements but data has "
              + data.length);
    }
  }

  /** Number of elements: the product of the shape, 1 for a scalar. */
  public long numel() {
    return numel(shape);
  }

  static long numel(long[] shape) {
    long n = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
      }
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  @Override
  public String toString() {
    return "TensorData[" + name + " " + Arrays.toString(shape) + "]";
  }
}
