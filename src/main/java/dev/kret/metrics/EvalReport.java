package dev.kret.metrics;

import dev.kret.api.v1alpha1.Metric;
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
    int[][] confusion)
    implements Metric.Scores {

  public static final String ACCURACY = Metric.ACCURACY.specName();
  public static final String MICRO_F1 = Metric.MICRO_F1.specName();
  public static final String AUPRC = Metric.AUPRC.specName();
  public static final String EVAL_LOSS = Metric.EVAL_LOSS.specName();

  /** Names accepted by {@link #metric(String)}, e.g. to select the best checkpoint. */
  public static final List<String> METRICS = Metric.NAMES;

  public EvalReport {
    perClass = List.copyOf(perClass);
  }

  /** The value of a named metric; see {@link #METRICS}. */
  public double metric(String name) {
    return Metric.named(name).of(this);
  }

  /** Whether a larger value of the named metric is better (all but {@code eval_loss}). */
  public static boolean higherIsBetter(String metric) {
    return Metric.named(metric).higherIsBetter();
  }
}
