package dev.kret.contract;

import dev.kret.api.v1alpha1.FineTuneRun;
import java.util.Map;

/** Labels on everything the operator creates; informers only watch objects carrying them. */
public final class Labels {
  public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
  public static final String OPERATOR = "kret-operator";
  public static final String RUN = "kret.dev/run";
  public static final String COMPONENT = "app.kubernetes.io/component";
  public static final String KUEUE_QUEUE = "kueue.x-k8s.io/queue-name";

  /** Selector of every object the operator manages. */
  public static final String MANAGED_SELECTOR = MANAGED_BY + "=" + OPERATOR;

  /** Selector of the training pods (labelled through the Job's pod template). */
  public static final String TRAINING_POD_SELECTOR = MANAGED_SELECTOR + "," + RUN;

  private Labels() {}

  public static Map<String, String> forRun(FineTuneRun run, String component) {
    return Map.of(MANAGED_BY, OPERATOR, RUN, run.getMetadata().getName(), COMPONENT, component);
  }
}
