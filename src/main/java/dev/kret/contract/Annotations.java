package dev.kret.contract;

/**
 * Annotations on the predictor Deployment that record what it serves, written by the operator's
 * promotion and read by {@code kretctl rollback}: the Deployment itself is the champion's record.
 */
public final class Annotations {
  public static final String MODEL_PATH = "kret.dev/model-path";
  public static final String PREVIOUS_MODEL_PATH = "kret.dev/previous-model-path";
  public static final String METRIC = "kret.dev/metric";
  public static final String VALUE = "kret.dev/value";
  public static final String FROM_RUN = "kret.dev/run";

  private Annotations() {}
}
