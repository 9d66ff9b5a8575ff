package dev.kret.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kret.api.v1alpha1.Metric;
import org.junit.jupiter.api.Test;

class BestEpochTest {

  @Test
  void theFirstEpochIsTheBestSoFarWhateverItScores() {
    BestEpoch b = BestEpoch.NONE.after(1, Double.NaN, Metric.MICRO_F1, 3, 10);
    assertThat(b.epoch()).isEqualTo(1);
    assertThat(b.is(1)).isTrue();
    assertThat(b.epochsWithoutImprovement()).isZero();
    assertThat(b.stopped()).isFalse();
  }

  @Test
  void laterEpochsMustBeStrictlyBetterInTheMetricsDirection() {
    BestEpoch b = BestEpoch.NONE.after(1, 50, Metric.MICRO_F1, 0, 10);
    b = b.after(2, 50, Metric.MICRO_F1, 0, 10);
    assertThat(b.epoch()).isEqualTo(1);
    assertThat(b.is(2)).isFalse();
    b = b.after(3, 51, Metric.MICRO_F1, 0, 10);
    assertThat(b.epoch()).isEqualTo(3);
    assertThat(b.value()).isEqualTo(51);

    BestEpoch loss = BestEpoch.NONE.after(1, 0.9, Metric.EVAL_LOSS, 0, 10);
    loss = loss.after(2, 0.8, Metric.EVAL_LOSS, 0, 10);
    assertThat(loss.epoch()).isEqualTo(2);
    loss = loss.after(3, 1.0, Metric.EVAL_LOSS, 0, 10);
    assertThat(loss.epoch()).isEqualTo(2);
  }

  @Test
  void patienceStopsAfterThatManyEpochsWithoutImprovementButNotAfterTheLast() {
    BestEpoch b = BestEpoch.NONE.after(1, 50, Metric.MICRO_F1, 2, 10);
    b = b.after(2, 40, Metric.MICRO_F1, 2, 10);
    assertThat(b.epochsWithoutImprovement()).isEqualTo(1);
    assertThat(b.stopped()).isFalse();
    b = b.after(3, 40, Metric.MICRO_F1, 2, 10);
    assertThat(b.epochsWithoutImprovement()).isEqualTo(2);
    assertThat(b.stopped()).isTrue();

    BestEpoch last = BestEpoch.NONE.after(1, 50, Metric.MICRO_F1, 1, 2);
    last = last.after(2, 40, Metric.MICRO_F1, 1, 2);
    assertThat(last.stopped()).as("the last epoch is no early stop").isFalse();

    BestEpoch never = BestEpoch.NONE;
    for (int e = 1; e <= 5; e++) {
      never = never.after(e, 50 - e, Metric.MICRO_F1, 0, 10);
    }
    assertThat(never.stopped()).as("patience 0 disables early stopping").isFalse();
  }

  @Test
  void anImprovementResetsTheCount() {
    BestEpoch b = BestEpoch.NONE.after(1, 50, Metric.MICRO_F1, 3, 10);
    b = b.after(2, 40, Metric.MICRO_F1, 3, 10);
    b = b.after(3, 60, Metric.MICRO_F1, 3, 10);
    assertThat(b.epochsWithoutImprovement()).isZero();
    assertThat(b.is(3)).isTrue();
  }
}
