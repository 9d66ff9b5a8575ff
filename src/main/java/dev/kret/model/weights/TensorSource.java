package dev.kret.model.weights;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The tensors of a checkpoint, read one at a time: their names and shapes are known up front, their
 * values are read only when asked for. A model loads from a source tensor by tensor, so loading
 * holds one tensor's float32 copy in Java at a time instead of the whole checkpoint's (426 MB for
 * roberta-base).
 */
public interface TensorSource extends AutoCloseable {

  /** Every tensor's name and shape, in the checkpoint's order. */
  Map<String, long[]> shapes();

  /** The values of one tensor as float32; {@code name} must be one of {@link #shapes()}. */
  TensorData read(String name) throws IOException;

  /**
   * The values of one tensor as float32 in a direct buffer of the platform's byte order, the form a
   * tensor is created from without a copy on the Java heap. This default copies {@link #read}; a
   * file-backed source reads straight into the buffer.
   */
  default ByteBuffer readDirect(String name) throws IOException {
    float[] data = read(name).data();
    ByteBuffer out =
        ByteBuffer.allocateDirect(data.length * Float.BYTES).order(ByteOrder.nativeOrder());
    out.asFloatBuffer().put(data);
    return out;
  }

  @Override
  default void close() throws IOException {}

  /** Tensors already in memory, as a source. */
  static TensorSource of(Map<String, TensorData> tensors) {
    LinkedHashMap<String, long[]> shapes = new LinkedHashMap<>();
    tensors.forEach((name, t) -> shapes.put(name, t.shape()));
    Map<String, long[]> view = Collections.unmodifiableMap(shapes);
    return new TensorSource() {
      @Override
      public Map<String, long[]> shapes() {
        return view;
      }

      @Override
      public TensorData read(String name) {
        TensorData t = tensors.get(name);
        if (t == null) {
          throw new IllegalArgumentException("no tensor " + name);
        }
        return t;
      }
    };
  }

  /** Reads every tensor, in order. */
  static LinkedHashMap<String, TensorData> readAll(TensorSource source) throws IOException {
    LinkedHashMap<String, TensorData> out = new LinkedHashMap<>();
    for (String name : source.shapes().keySet()) {
      out.put(name, source.read(name));
    }
    return out;
  }
}
