package dev.kret.data;

/**
 * How strictly {@link KlueReDataset#load} reads a file.
 *
 * @param requireLabels every row must carry a known label (training and evaluation data); when
 *     false, unlabelled rows are accepted and get label id -1, but a label that is present must
 *     still be known
 * @param skipInvalid skip and count invalid rows instead of failing on the first one (malformed
 *     JSON still fails: the rest of the file cannot be trusted)
 * @param maxMessages how many problem messages to keep for a warning when skipping
 */
public record LoadOptions(boolean requireLabels, boolean skipInvalid, int maxMessages) {

  public static final LoadOptions DEFAULT = new LoadOptions(true, false, 10);

  public LoadOptions {
    maxMessages = Math.max(0, maxMessages);
  }

  /** Labels required, first invalid row fails. */
  public static LoadOptions defaults() {
    return DEFAULT;
  }

  public LoadOptions withRequireLabels(boolean value) {
    return new LoadOptions(value, skipInvalid, maxMessages);
  }

  public LoadOptions withSkipInvalid(boolean value) {
    return new LoadOptions(requireLabels, value, maxMessages);
  }

  public LoadOptions withMaxMessages(int value) {
    return new LoadOptions(requireLabels, skipInvalid, value);
  }
}
