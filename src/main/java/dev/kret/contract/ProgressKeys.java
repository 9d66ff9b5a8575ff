package dev.kret.contract;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kret.api.v1alpha1.TrainingProgress;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Lenient reading of the progress ConfigMap: a malformed key is skipped, never fatal. */
public final class ProgressKeys {
  public static final String SUMMARY = TrainingProgress.SUMMARY_KEY;
  private static final Pattern EPOCH_KEY = Pattern.compile("^epoch-(\\d{4,})\\.json$");
  private static final Pattern MLM_EPOCH_KEY = Pattern.compile("^mlm-epoch-(\\d{4,})\\.json$");
  static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private ProgressKeys() {}

  /**
   * The epoch number of an epoch key, if it is one: from 1, within {@code int} (the trainer writes
   * the keys, and a key such as {@code epoch-99999999999.json} must be skipped, not crash every
   * reconcile).
   */
  public static Optional<Integer> epochOf(String key) {
    Matcher m = EPOCH_KEY.matcher(key);
    if (!m.matches()) {
      return Optional.empty();
    }
    try {
      int n = Integer.parseInt(m.group(1));
      return n >= 1 ? Optional.of(n) : Optional.empty();
    } catch (NumberFormatException tooLarge) {
      return Optional.empty();
    }
  }

  /** True for a masked-LM epoch key ({@code mlm-epoch-0002.json}). */
  public static boolean isMlmEpoch(String key) {
    return MLM_EPOCH_KEY.matcher(key).matches();
  }

  /** Parses a masked-LM epoch key's value; empty when it is not valid JSON or lacks the epoch. */
  public static Optional<TrainingProgress.MlmEpoch> parseMlmEpoch(String json) {
    return parse(json, TrainingProgress.MlmEpoch.class, r -> r.epoch() != null);
  }

  /** Parses an epoch key's value; empty when it is not valid JSON or lacks the epoch number. */
  public static Optional<TrainingProgress.Epoch> parseEpoch(String json) {
    return parse(json, TrainingProgress.Epoch.class, r -> r.epoch() != null);
  }

  /** Parses the trainer's device record; empty when it is not valid JSON or names no device. */
  public static Optional<TrainingProgress.Device> parseDevice(String json) {
    return parse(json, TrainingProgress.Device.class, d -> d.device() != null);
  }

  /** Parses a summary; empty when it is not valid JSON or names no best epoch. */
  public static Optional<TrainingProgress.Summary> parseSummary(String json) {
    return parse(json, TrainingProgress.Summary.class, s -> s.bestEpoch() != null);
  }

  /** The value read as {@code type}, if it is JSON of that shape and {@code complete}. */
  private static <T> Optional<T> parse(String json, Class<T> type, Predicate<T> complete) {
    if (json == null || json.isBlank()) {
      return Optional.empty();
    }
    try {
      T value = JSON.readValue(json, type);
      return value != null && complete.test(value) ? Optional.of(value) : Optional.empty();
    } catch (Exception e) {
      return Optional.empty();
    }
  }

  static String write(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
