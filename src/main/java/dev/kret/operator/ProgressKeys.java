package dev.kret.operator;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kret.api.v1alpha1.EpochStatus;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The trainer's side of the progress ConfigMap: one key per finished epoch and a final summary.
 *
 * <p>{@code epoch-0003.json} = {@link EpochReport}; {@code summary.json} = {@link Summary}.
 */
public final class ProgressKeys {
  public static final String SUMMARY = "summary.json";
  private static final Pattern EPOCH_KEY = Pattern.compile("^epoch-(\\d{4,})\\.json$");
  private static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private ProgressKeys() {}

  /** The key the trainer writes for an epoch, e.g. {@code epoch-0003.json}. */
  public static String epochKey(int epoch) {
    return String.format(Locale.ROOT, "epoch-%04d.json", epoch);
  }

  /** The epoch number of an epoch key, if it is one. */
  public static Optional<Integer> epochOf(String key) {
    Matcher m = EPOCH_KEY.matcher(key);
    return m.matches() ? Optional.of(Integer.parseInt(m.group(1))) : Optional.empty();
  }

  /** What the trainer writes after each epoch (metrics ×100 like the official scorer). */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record EpochReport(
      Integer epoch,
      Double trainLoss,
      Double evalLoss,
      Double accuracy,
      Double microF1,
      Double auprc,
      Double samplesPerSecond,
      String modelPath,
      String finishedAt) {

    public EpochStatus toStatus() {
      return new EpochStatus(
          epoch,
          trainLoss,
          evalLoss,
          accuracy,
          microF1,
          auprc,
          samplesPerSecond,
          modelPath,
          finishedAt);
    }
  }

  /** What the trainer writes when it stops, and also as its container termination message. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Summary(
      Integer bestEpoch,
      String metric,
      Double value,
      String modelPath,
      Integer epochsRun,
      Boolean earlyStopped,
      String finishedAt) {}

  /** Parses an epoch key's value; empty when it is not valid JSON or lacks the epoch number. */
  public static Optional<EpochReport> parseEpoch(String json) {
    try {
      EpochReport r = JSON.readValue(json, EpochReport.class);
      return r == null || r.epoch() == null ? Optional.empty() : Optional.of(r);
    } catch (Exception e) {
      return Optional.empty();
    }
  }

  /** Parses a summary; empty when it is not valid JSON or names no best epoch. */
  public static Optional<Summary> parseSummary(String json) {
    if (json == null || json.isBlank()) {
      return Optional.empty();
    }
    try {
      Summary s = JSON.readValue(json, Summary.class);
      return s == null || s.bestEpoch() == null ? Optional.empty() : Optional.of(s);
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
