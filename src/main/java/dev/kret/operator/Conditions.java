package dev.kret.operator;

import dev.kret.api.v1alpha1.Condition;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** metav1.Condition bookkeeping: lastTransitionTime moves only when status flips. */
public final class Conditions {
  public static final String RUNNING = "Running";
  public static final String SUCCEEDED = "Succeeded";
  public static final String FAILED = "Failed";
  public static final String PROMOTED = "Promoted";

  static final int MAX_MESSAGE = 1024;
  private static final Pattern UPPER_CAMEL = Pattern.compile("^[A-Z][A-Za-z0-9]*$");
  private static final List<String> STATUSES =
      List.of(Condition.TRUE, Condition.FALSE, Condition.UNKNOWN);

  private Conditions() {}

  /**
   * The conditions with {@code type} set; other conditions and their order are kept, a new type is
   * appended.
   */
  public static List<Condition> set(
      List<Condition> prior,
      String type,
      String status,
      String reason,
      String message,
      long generation,
      Instant now) {
    if (!STATUSES.contains(status)) {
      throw new IllegalArgumentException("condition status must be True, False or Unknown");
    }
    if (reason == null || !UPPER_CAMEL.matcher(reason).matches()) {
      throw new IllegalArgumentException("condition reason must be UpperCamelCase: " + reason);
    }
    List<Condition> out = new ArrayList<>(prior == null ? List.of() : prior);
    int i = indexOf(out, type);
    Condition old = i < 0 ? null : out.get(i);
    String transition =
        old != null && status.equals(old.status()) && old.lastTransitionTime() != null
            ? old.lastTransitionTime()
            : timestamp(now);
    Condition next = new Condition(type, status, reason, truncate(message), transition, generation);
    if (i < 0) {
      out.add(next);
    } else {
      out.set(i, next);
    }
    return List.copyOf(out);
  }

  /** RFC 3339 in seconds, as the API server writes it. */
  public static String timestamp(Instant instant) {
    return instant.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  private static int indexOf(List<Condition> conditions, String type) {
    for (int i = 0; i < conditions.size(); i++) {
      if (type.equals(conditions.get(i).type())) {
        return i;
      }
    }
    return -1;
  }

  private static String truncate(String message) {
    if (message == null || message.length() <= MAX_MESSAGE) {
      return message;
    }
    return message.substring(0, MAX_MESSAGE - 1) + "…";
  }
}
