package dev.kret.api.v1alpha1;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class MetricTest {
  static final EpochStatus EPOCH =
      new EpochStatus(2, 1.5, 0.75, 80.0, 70.0, 60.0, 100.0, "/models/e2", null);

  @Test
  void theNamesAreTheSpecsAndOnlyEvalLossIsLowerIsBetter() {
    assertThat(Metric.NAMES).containsExactly("accuracy", "micro_f1", "auprc", "eval_loss");
    assertThat(Metric.named("micro_f1").higherIsBetter()).isTrue();
    assertThat(Metric.named("eval_loss").higherIsBetter()).isFalse();
    assertThat(Metric.lowerIsBetter("eval_loss")).isTrue();
    assertThat(Metric.lowerIsBetter("unknown")).isFalse();
    assertThat(Metric.find("f1")).isEmpty();
    assertThatThrownBy(() -> Metric.named("f1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Unknown metric 'f1'; expected one of accuracy, micro_f1, auprc, eval_loss");
  }

  @Test
  void betterIsStrictAndReachesIncludesTheThreshold() {
    assertThat(Metric.MICRO_F1.better(71, 70)).isTrue();
    assertThat(Metric.MICRO_F1.better(70, 70)).isFalse();
    assertThat(Metric.EVAL_LOSS.better(0.4, 0.5)).isTrue();
    assertThat(Metric.MICRO_F1.reaches(70, 70)).isTrue();
    assertThat(Metric.EVAL_LOSS.reaches(0.5, 0.5)).isTrue();
    assertThat(Metric.EVAL_LOSS.reaches(0.6, 0.5)).isFalse();
  }

  @Test
  void eachReadsItsFieldOfAnEpoch() {
    assertThat(Metric.ACCURACY.of(EPOCH)).isEqualTo(80.0);
    assertThat(Metric.MICRO_F1.of(EPOCH)).isEqualTo(70.0);
    assertThat(Metric.AUPRC.of(EPOCH)).isEqualTo(60.0);
    assertThat(Metric.EVAL_LOSS.of(EPOCH)).isEqualTo(0.75);
    assertThat(EPOCH.metric("eval_loss")).isEqualTo(0.75);
    assertThat(EPOCH.metric("f1")).isNull();
  }

  @Test
  void specDefaultsComeFromTheDefaultAnnotations() {
    TrainingSpec t = TrainingSpec.defaults().withDefaults();
    assertThat(t.epochs()).isEqualTo(10);
    assertThat(t.learningRate()).isEqualTo(2.0e-5);
    assertThat(t.seed()).isEqualTo(42L);
    assertThat(t.groupByLength()).isTrue();
    assertThat(t.dropout()).isNull();
    assertThat(ObjectiveSpec.defaults().withDefaults().metric()).isEqualTo("micro_f1");
    assertThat(ResourcesSpec.DEFAULT_GPUS).isEqualTo(1);
    assertThat(ModelConfigSpec.DEFAULT_EMBEDDING_INIT_STD).isEqualTo(0.05);
  }
}
