package dev.kret.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Hand-checked expectations for the KLUE-RE metrics. */
class ReMetricsTest {

  private static final double TOLERANCE = 1e-9;

  @Test
  void tiesGoToLowestIndex() {
    float[][] probs = {
      {0.2f, 0.4f, 0.4f},
      {0.5f, 0.1f, 0.5f},
      {1 / 3f, 1 / 3f, 1 / 3f},
      {0.1f, 0.2f, 0.7f}
    };

    assertThat(ReMetrics.argmax(probs)).containsExactly(1, 0, 0, 2);
  }

  @Test
  void accuracyIsPercentCorrect() {
    assertThat(ReMetrics.accuracy(new int[] {0, 1, 2, 3}, new int[] {0, 1, 0, 0}))
        .isCloseTo(50.0, within(TOLERANCE));
  }

  @Test
  void microF1IgnoresNoRelation() {
    // Two correct no_relation predictions do not count: tp=1 (class 1), fn=1 (gold 2), fp=0.
    int[] labels = {0, 0, 1, 2};
    int[] preds = {0, 0, 1, 0};

    assertThat(ReMetrics.microF1(labels, preds)).isCloseTo(100.0 * 2 / 3, within(TOLERANCE));
    assertThat(ReMetrics.accuracy(labels, preds)).isCloseTo(75.0, within(TOLERANCE));
  }

  @Test
  void wrongRelationIsBothFalsePositiveAndFalseNegative() {
    // gold 1 -> pred 2: fn for 1 and fp for 2; gold 0 -> pred 3: fp; tp=1 (gold 2 -> 2).
    int[] labels = {1, 0, 2};
    int[] preds = {2, 3, 2};

    assertThat(ReMetrics.microF1(labels, preds)).isCloseTo(100.0 * 2 / (2 + 2 + 1), within(1e-9));
  }

  @Test
  void alwaysNoRelationScoresZeroMicroF1() {
    int[] labels = {0, 1, 2, 0, 5};
    int[] preds = new int[labels.length];

    assertThat(ReMetrics.microF1(labels, preds)).isZero();
  }

  @Test
  void noRelationOnlyGoldAndPredictionsScoreZeroMicroF1() {
    assertThat(ReMetrics.microF1(new int[] {0, 0}, new int[] {0, 0})).isZero();
  }

  @Test
  void constantScorerAuprc() {
    // One threshold: precision = prevalence at recall 1, so each class scores (1 + prevalence) / 2.
    int[] labels = {0, 1, 1, 1};
    float[][] probs = {{0.5f, 0.5f}, {0.5f, 0.5f}, {0.5f, 0.5f}, {0.5f, 0.5f}};

    double expected = 100.0 * ((1 + 0.25) / 2 + (1 + 0.75) / 2) / 2;
    assertThat(ReMetrics.auprc(labels, probs, 2)).isCloseTo(expected, within(TOLERANCE));
  }

  @Test
  void auprcMatchesSklearnDocExample() {
    // sklearn's precision_recall_curve docstring: y=[0,0,1,1], scores=[.1,.4,.35,.8] gives
    // precision [.5, .667, .5, 1, 1], recall [1, 1, .5, .5, 0], hence auc = 0.5 + 7/24 = 19/24.
    // Class 0 gets the mirrored scores and, by symmetry, the same area.
    int[] labels = {0, 0, 1, 1};
    float[][] probs = {{0.9f, 0.1f}, {0.6f, 0.4f}, {0.65f, 0.35f}, {0.2f, 0.8f}};

    assertThat(ReMetrics.auprc(labels, probs, 2)).isCloseTo(100.0 * 19 / 24, within(TOLERANCE));
  }

  @Test
  void tiedScoresShareOneThreshold() {
    // Class 1 scores: pos 0.8, then {neg 0.5, pos 0.5} tied, then neg 0.1. Points (0,1) -> (.5,1)
    // -> (1, 2/3) -> (1, .5): area 0.5 + 0.5 * (1 + 2/3) / 2 = 11/12. Class 0 mirrored: scores
    // 0.2(neg), {0.5 neg, 0.5 pos}, 0.9(pos): (0,1) -> (.5,1) -> (1, 2/3) -> (1,.5): also 11/12.
    int[] labels = {1, 0, 1, 0};
    float[][] probs = {{0.2f, 0.8f}, {0.5f, 0.5f}, {0.5f, 0.5f}, {0.9f, 0.1f}};

    assertThat(ReMetrics.auprc(labels, probs, 2)).isCloseTo(100.0 * 11 / 12, within(TOLERANCE));
  }

  @Test
  void perfectScorerHasFullAuprc() {
    int[] labels = {0, 1, 2};
    float[][] probs = {{0.8f, 0.1f, 0.1f}, {0.1f, 0.8f, 0.1f}, {0.1f, 0.1f, 0.8f}};

    assertThat(ReMetrics.auprc(labels, probs, 3)).isCloseTo(100.0, within(TOLERANCE));
  }

  @Test
  void classWithoutPositivesScoresOneHalfAsInCurrentSklearn() {
    // Class 2 never occurs: sklearn >= 1.1 sets its recall to 1, so its curve is (0,1) -> (1,0).
    int[] labels = {0, 1};
    float[][] probs = {{0.8f, 0.1f, 0.1f}, {0.1f, 0.8f, 0.1f}};

    assertThat(ReMetrics.auprc(labels, probs, 3))
        .isCloseTo(100.0 * (1 + 1 + 0.5) / 3, within(1e-9));
  }

  @Test
  void auprcOnKlueDevSizeIsFast() {
    Random random = new Random(42);
    int n = 8_000;
    int classes = 30;
    int[] labels = new int[n];
    float[][] probs = new float[n][classes];
    for (int i = 0; i < n; i++) {
      labels[i] = random.nextInt(classes);
      for (int c = 0; c < classes; c++) {
        probs[i][c] = random.nextFloat();
      }
    }

    long start = System.nanoTime();
    double auprc = ReMetrics.auprc(labels, probs, classes);
    long millis = (System.nanoTime() - start) / 1_000_000;

    assertThat(auprc).isBetween(0.0, 100.0);
    // Generous: an O(n^2) implementation takes tens of seconds, the sort-based one milliseconds.
    assertThat(millis).isLessThan(5_000);
  }

  @Test
  void confusionIsIndexedGoldThenPred() {
    int[][] confusion = ReMetrics.confusion(new int[] {0, 1, 1, 2}, new int[] {0, 2, 1, 2}, 3);

    assertThat(confusion).isDeepEqualTo(new int[][] {{1, 0, 0}, {0, 1, 1}, {0, 0, 1}});
  }

  @Test
  void perClassScoresFollowSklearnWithZeroDivisionZero() {
    int[] labels = {0, 1, 1, 2};
    float[][] probs = {
      {0.9f, 0.05f, 0.05f}, {0.1f, 0.1f, 0.8f}, {0.1f, 0.8f, 0.1f}, {0.1f, 0.1f, 0.8f}
    };

    EvalReport report = ReMetrics.evaluate(labels, probs, 1.5, List.of("none", "a", "b"));

    assertThat(report.perClass())
        .containsExactly(
            new ClassScore("none", 1.0, 1.0, 1.0, 1),
            new ClassScore("a", 1.0, 0.5, 2.0 / 3, 2),
            new ClassScore("b", 0.5, 1.0, 2.0 / 3, 1));
    assertThat(report.confusion()).isDeepEqualTo(new int[][] {{1, 0, 0}, {0, 1, 1}, {0, 0, 1}});
  }

  @Test
  void classNeverPredictedHasZeroPrecision() {
    List<ClassScore> scores =
        ReMetrics.perClass(new int[][] {{2, 0}, {1, 0}}, List.of("none", "a"));

    assertThat(scores.get(1)).isEqualTo(new ClassScore("a", 0.0, 0.0, 0.0, 1));
  }

  @Test
  void metricLooksUpReportFieldsByName() {
    EvalReport report = new EvalReport(10, 80.0, 70.0, 60.0, 0.5, List.of(), new int[0][0]);

    assertThat(report.metric("accuracy")).isEqualTo(80.0);
    assertThat(report.metric("micro_f1")).isEqualTo(70.0);
    assertThat(report.metric("auprc")).isEqualTo(60.0);
    assertThat(report.metric("eval_loss")).isEqualTo(0.5);
  }

  @Test
  void onlyEvalLossIsLowerIsBetter() {
    assertThat(EvalReport.higherIsBetter("micro_f1")).isTrue();
    assertThat(EvalReport.higherIsBetter("auprc")).isTrue();
    assertThat(EvalReport.higherIsBetter("accuracy")).isTrue();
    assertThat(EvalReport.higherIsBetter("eval_loss")).isFalse();
  }

  @Test
  void unknownMetricNameIsRejected() {
    EvalReport report = new EvalReport(1, 0, 0, 0, 0, List.of(), new int[0][0]);

    assertThatThrownBy(() -> report.metric("f1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'f1'")
        .hasMessageContaining("accuracy, micro_f1, auprc, eval_loss");
    assertThatThrownBy(() -> EvalReport.higherIsBetter("loss"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'loss'");
  }

  @Test
  void labelOutsideLabelNamesIsRejected() {
    assertThatThrownBy(
            () ->
                ReMetrics.evaluate(
                    new int[] {3}, new float[][] {{0.5f, 0.5f}}, 0, List.of("none", "a")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("labels[0] = 3");
  }

  @Test
  void mismatchedLengthsAreRejected() {
    assertThatThrownBy(() -> ReMetrics.accuracy(new int[] {0, 1}, new int[] {0}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("2 labels but 1 preds");
  }
}
