package dev.kret.api.v1alpha1;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The validation metrics a run can be judged by ({@code spec.objective.metric}, {@code
 * spec.promotion.minimum.metric}): each knows its name, whether higher is better, and how to read
 * it from an epoch's record. The one place that knows {@code eval_loss} is lower-is-better.
 */
public enum Metric {
  ACCURACY("accuracy", true),
  MICRO_F1("micro_f1", true),
  AUPRC("auprc", true),
  EVAL_LOSS("eval_loss", false);

  /**
   * An epoch's scores as the trainer computes them (metrics ×100, like the official scorer), which
   * {@link #of(Scores)} reads.
   */
  public interface Scores {
    double accuracy();

    double microF1();

    double auprc();

    double evalLoss();
  }

  private final String specName;
  private final boolean higherIsBetter;

  Metric(String specName, boolean higherIsBetter) {
    this.specName = specName;
    this.higherIsBetter = higherIsBetter;
  }

  /** The names, as the spec writes them. */
  public static final List<String> NAMES = Arrays.stream(values()).map(Metric::specName).toList();

  /** The metric of a spec name, if it is one. */
  public static Optional<Metric> find(String name) {
    return Arrays.stream(values()).filter(m -> m.specName.equals(name)).findFirst();
  }

  /** The metric of a spec name; an unknown name is an {@link IllegalArgumentException}. */
  public static Metric named(String name) {
    return find(name)
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "Unknown metric '" + name + "'; expected one of " + String.join(", ", NAMES)));
  }

  /** True for the metrics where lower is better, under a known name ({@code eval_loss}). */
  public static boolean lowerIsBetter(String name) {
    return find(name).map(m -> !m.higherIsBetter).orElse(false);
  }

  /** The name as the spec, the status and the annotations write it ({@code micro_f1}). */
  public String specName() {
    return specName;
  }

  public boolean higherIsBetter() {
    return higherIsBetter;
  }

  /** Strictly better: a tie is not. */
  public boolean better(double value, double than) {
    return higherIsBetter ? value > than : value < than;
  }

  /** Good enough: at least {@code threshold}, or at most it where lower is better. */
  public boolean reaches(double value, double threshold) {
    return higherIsBetter ? value >= threshold : value <= threshold;
  }

  /** This metric of a trainer's scores. */
  public double of(Scores s) {
    return switch (this) {
      case ACCURACY -> s.accuracy();
      case MICRO_F1 -> s.microF1();
      case AUPRC -> s.auprc();
      case EVAL_LOSS -> s.evalLoss();
    };
  }

  /** This metric of an epoch in the status; null when the epoch lacks it. */
  public Double of(EpochStatus e) {
    return switch (this) {
      case ACCURACY -> e.accuracy();
      case MICRO_F1 -> e.microF1();
      case AUPRC -> e.auprc();
      case EVAL_LOSS -> e.evalLoss();
    };
  }
}
