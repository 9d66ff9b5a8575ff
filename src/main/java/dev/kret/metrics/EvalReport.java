package dev.kret.metrics;

import java.util.List;

/**
 * The result of one evaluation pass: KLUE-RE's headline metrics (x100, as KLUE reports them), the
 * eval loss, per-class scores and a confusion matrix indexed {@code [gold][pred]}.
 */
public record EvalReport(
    int examples,
    double accuracy,
    double microF1,
    double auprc,
    double evalLoss,
    List<ClassScore> perClass,
    int[][] confusion) {

  public static final String ACCURACY = "accuracy";
  public static final String MICRO_F1 = "micro_f1";
  public static final String AUPRC = "auprc";
  public static final String EVAL_LOSS = "eval_loss";

  /** Names accepted by {@link #metric(String)}, e.g. to select the best checkpoint. */
  public static final List<String> METRICS = List.of(ACCURACY, MICRO_F1, AUPRC, EVAL_LOSS);

  public EvalReport {
    perClass = List.copyOf(perClass);
  }

  /** The value of a named metric; see {@link #METRICS}. */
  public double metric(String name) {
    return switch (checkName(name)) {
      case ACCURACY -> accuracy;
      case MICRO_F1 -> microF1;
      case AUPRC -> auprc;
      default -> evalLoss;
    };
  }

  /** Whether a larger value of the named metric is better (all but {@code eval_loss}). */
  public static boolean higherIsBetter(String metric) {
    return !EVAL_LOSS.equals(checkName(metric));
  }

  private static String checkName(String name) {
    if (!METRICS.contains(name)) {
      throw new IllegalArgumentException(
          "Unknown metric '" + name + "'; expected one of " + String.join(", ", METRICS));
    }
    return name;
  }
}
