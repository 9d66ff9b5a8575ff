package dev.kret.train;

import dev.kret.api.v1alpha1.Metric;

/**
 * Best-epoch and early-stop tracking, as a value replaced after each epoch: the best epoch so far
 * on the objective and its value, the epochs since it last improved, and whether patience has run
 * out. The first epoch is always the best so far; later ones must be strictly better.
 */
record BestEpoch(int epoch, double value, int epochsWithoutImprovement, boolean stopped) {

  /** Before any epoch. */
  static final BestEpoch NONE = new BestEpoch(0, Double.NaN, 0, false);

  /**
   * After {@code epoch} of {@code epochs} scored {@code value} on {@code objective}: training stops
   * early after {@code patience} epochs without improvement ({@code 0} never), but never after the
   * last epoch.
   */
  BestEpoch after(int epoch, double value, Metric objective, int patience, int epochs) {
    boolean improved = this.epoch == 0 || objective.better(value, this.value);
    int bad = improved ? 0 : epochsWithoutImprovement + 1;
    return new BestEpoch(
        improved ? epoch : this.epoch,
        improved ? value : this.value,
        bad,
        patience > 0 && bad >= patience && epoch < epochs);
  }

  /** True when {@code epoch} is the best so far (it improved). */
  boolean is(int epoch) {
    return this.epoch == epoch;
  }
}
