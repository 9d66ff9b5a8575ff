package dev.kret.model.weights;

/**
 * Widening of the 16-bit float formats found in checkpoints (Java 17 has no Float.float16ToFloat).
 */
final class Floats {

  private Floats() {}

  /** bfloat16 is the upper half of a float32, so widening is a shift. */
  static float bf16ToFloat(short bits) {
    return Float.intBitsToFloat((bits & 0xffff) << 16);
  }

  /** IEEE 754 binary16, including subnormals, infinities and NaN payloads. */
  static float f16ToFloat(short bits) {
    int h = bits & 0xffff;
    int sign = (h & 0x8000) << 16;
    int exponent = (h >>> 10) & 0x1f;
    int mantissa = h & 0x3ff;
    if (exponent == 0) {
      // Zero or subnormal: mantissa * 2^-24 is exact in float32.
      float magnitude = mantissa * 0x1p-24f;
      return sign == 0 ? magnitude : -magnitude;
    }
    if (exponent == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
    }
    return Float.intBitsToFloat(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
  }
}
