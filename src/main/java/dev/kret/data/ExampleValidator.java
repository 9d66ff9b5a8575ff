package dev.kret.data;

import java.util.Optional;

/**
 * The checks of a KLUE-RE example that the loader ({@link KlueReDataset}) and the endpoint's
 * request reader share: a blank sentence, an entity's type, its span within the sentence, its word
 * against the span, and the two entities' overlap. Each returns the first problem, typed, and the
 * callers turn it into their own error; the wording is the same for both.
 */
public final class ExampleValidator {

  /** What is wrong. */
  public enum Kind {
    MISSING,
    BLANK_SENTENCE,
    UNKNOWN_TYPE,
    /** The span starts below 0, ends before its start or past the sentence. */
    INVALID_SPAN,
    WORD_MISMATCH,
    OVERLAP
  }

  /** One problem: its kind, the field it is in (as the caller names it) and the message. */
  public record Problem(Kind kind, String field, String message) {}

  /**
   * How the caller names an entity's offsets after its path: {@code .start_idx} and {@code
   * .end_idx} in KLUE-RE rows, {@code " start"} and {@code " end"} for an Open Inference Protocol
   * span ({@code subject_span[3] end}).
   */
  public record OffsetNames(String start, String end) {
    public static final OffsetNames KLUE_RE = new OffsetNames(".start_idx", ".end_idx");
    public static final OffsetNames SPAN = new OffsetNames(" start", " end");

    /** The start's name as the end's message refers to it ({@code start_idx}, {@code start}). */
    String startWord() {
      return start.substring(1);
    }
  }

  private ExampleValidator() {}

  /** The field at {@code path} is missing. */
  public static Optional<Problem> missing(String path) {
    return problem(Kind.MISSING, path, path + " is missing");
  }

  /** A blank sentence at {@code path}. */
  public static Optional<Problem> sentence(String path, String sentence) {
    return sentence.isBlank()
        ? problem(Kind.BLANK_SENTENCE, path, path + " is blank")
        : Optional.empty();
  }

  /**
   * An entity at {@code path}: its type is a KLUE-RE entity type, {@code [start..end]} lies within
   * the sentence, and {@code word} (unless null, which skips the check) is the text there.
   */
  public static Optional<Problem> entity(
      String path,
      OffsetNames names,
      String word,
      int start,
      int end,
      String type,
      String sentence) {
    if (!Labels.ENTITY_TYPES.contains(type)) {
      return problem(
          Kind.UNKNOWN_TYPE,
          path + ".type",
          path + ".type \"" + type + "\" is not one of " + Labels.ENTITY_TYPES);
    }
    if (start < 0) {
      return problem(
          Kind.INVALID_SPAN,
          path + names.start(),
          path + names.start() + " " + start + " is negative");
    }
    if (end < start) {
      return problem(
          Kind.INVALID_SPAN,
          path + names.end(),
          path + names.end() + " " + end + " is before " + names.startWord() + " " + start);
    }
    int length = CodePoints.length(sentence);
    if (end >= length) {
      return problem(
          Kind.INVALID_SPAN,
          path + names.end(),
          path
              + names.end()
              + " "
              + end
              + " is outside the sentence ("
              + length
              + " code points, last index "
              + (length - 1)
              + ")");
    }
    if (word != null) {
      String span = CodePoints.slice(sentence, start, end);
      if (!span.equals(word)) {
        return problem(
            Kind.WORD_MISMATCH,
            path + ".word",
            path
                + ".word \""
                + word
                + "\" does not match sentence["
                + start
                + ".."
                + end
                + "] \""
                + span
                + "\"");
      }
    }
    return Optional.empty();
  }

  /** The subject at {@code subjectPath} and the object at {@code objectPath} share a code point. */
  public static Optional<Problem> overlap(
      String subjectPath, Entity subject, String objectPath, Entity object) {
    if (subject.start() <= object.end() && object.start() <= subject.end()) {
      return problem(
          Kind.OVERLAP,
          subjectPath,
          subjectPath
              + " ["
              + subject.start()
              + ".."
              + subject.end()
              + "] and "
              + objectPath
              + " ["
              + object.start()
              + ".."
              + object.end()
              + "] overlap");
    }
    return Optional.empty();
  }

  private static Optional<Problem> problem(Kind kind, String field, String message) {
    return Optional.of(new Problem(kind, field, message));
  }
}
