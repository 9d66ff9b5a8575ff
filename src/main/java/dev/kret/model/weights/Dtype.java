package dev.kret.model.weights;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.ReadableByteChannel;

/** The floating-point element types this package widens to float32, named as safetensors does. */
enum Dtype {
  F32(4),
  F16(2),
  BF16(2),
  F64(8);

  private static final int CHUNK_BYTES = 1 << 20;

  final int bytes;

  Dtype(int bytes) {
    this.bytes = bytes;
  }

  /** The safetensors name, or null when the dtype is not one we can widen to float32. */
  static Dtype fromSafetensors(String name) {
    for (Dtype d : values()) {
      if (d.name().equals(name)) {
        return d;
      }
    }
    return null;
  }

  /**
   * Reads {@code count} elements from the channel's current position into {@code dst}, one bounded
   * chunk at a time so no second copy of a large tensor is ever held.
   *
   * @throws EOFException when the channel ends first
   */
  void read(ReadableByteChannel src, float[] dst, int offset, int count) throws IOException {
    read(src, FloatBuffer.wrap(dst, offset, count), count);
  }

  /**
   * As {@link #read(ReadableByteChannel, float[], int, int)}, into {@code dst} from its position on
   * (a heap array's or a direct buffer's view).
   */
  void read(ReadableByteChannel src, FloatBuffer dst, int count) throws IOException {
    ByteBuffer buf =
        ByteBuffer.allocate((int) Math.min(CHUNK_BYTES, (long) count * bytes + bytes))
            .order(ByteOrder.LITTLE_ENDIAN);
    int done = 0;
    while (done < count) {
      // After compact() the buffer may already hold the first bytes of a split element.
      int want =
          (int)
              Math.min(
                  buf.capacity() - buf.position(), (long) (count - done) * bytes - buf.position());
      buf.limit(buf.position() + want);
      int n = src.read(buf);
      if (n < 0) {
        throw new EOFException("ended after " + done + " of " + count + " elements");
      }
      buf.flip();
      int whole = buf.remaining() / bytes;
      decode(buf, dst, whole);
      done += whole;
      buf.compact();
      buf.limit(buf.capacity());
    }
  }

  /** Decodes {@code count} little-endian elements from {@code src}, advancing both. */
  void decode(ByteBuffer src, FloatBuffer dst, int count) {
    switch (this) {
      case F32 -> {
        FloatBuffer floats = src.asFloatBuffer();
        floats.limit(count);
        dst.put(floats);
        src.position(src.position() + count * 4);
      }
      case F16 -> {
        for (int i = 0; i < count; i++) {
          dst.put(Floats.f16ToFloat(src.getShort()));
        }
      }
      case BF16 -> {
        for (int i = 0; i < count; i++) {
          dst.put(Floats.bf16ToFloat(src.getShort()));
        }
      }
      case F64 -> {
        for (int i = 0; i < count; i++) {
          dst.put((float) src.getDouble());
        }
      }
    }
  }
}
