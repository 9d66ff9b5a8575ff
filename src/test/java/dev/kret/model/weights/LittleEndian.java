package dev.kret.model.weights;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Raw little-endian element bytes for hand-built weight files. */
final class LittleEndian {

  private LittleEndian() {}

  static byte[] floats(float... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      b.putFloat(v);
    }
    return b.array();
  }

  /** 16-bit patterns, e.g. bf16 or IEEE half bits. */
  static byte[] shorts(int... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (int v : values) {
      b.putShort((short) v);
    }
    return b.array();
  }
}
