package dev.kret.data;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a KLUE-RE file holds, for {@code kretctl data validate} and logs.
 *
 * @param source the URI as given (or the normalized {@code builtin:} name)
 * @param sha256 hex digest of the bytes read
 * @param rows valid rows
 * @param skipped invalid rows skipped
 * @param perLabel rows per label in the official order, every label listed (unlabelled rows under
 *     {@code "<none>"})
 * @param perSource rows per {@code source} field (missing source under {@code "<none>"})
 * @param problems the first problem messages
 */
public record DatasetReport(
    String source,
    String sha256,
    int rows,
    int skipped,
    Map<String, Integer> perLabel,
    Map<String, Integer> perSource,
    List<String> problems) {

  public DatasetReport {
    perLabel = Collections.unmodifiableMap(new LinkedHashMap<>(perLabel));
    perSource = Collections.unmodifiableMap(new LinkedHashMap<>(perSource));
    problems = List.copyOf(problems);
  }

  /** True when no row was skipped. */
  public boolean valid() {
    return skipped == 0;
  }
}
