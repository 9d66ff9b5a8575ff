package dev.kret.data;

/**
 * Code-point arithmetic on sentences: KLUE-RE offsets count code points, end inclusive, as Python
 * slices strings, while Java strings index UTF-16 units. The one place a span is cut out.
 */
public final class CodePoints {
  private CodePoints() {}

  /** The sentence's length in code points. */
  public static int length(String sentence) {
    return sentence.codePointCount(0, sentence.length());
  }

  /**
   * {@code sentence[start..end]}, end inclusive, indices in code points (checked by the caller).
   */
  public static String slice(String sentence, int start, int end) {
    int from = sentence.offsetByCodePoints(0, start);
    return sentence.substring(from, sentence.offsetByCodePoints(from, end + 1 - start));
  }
}
