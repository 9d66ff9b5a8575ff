package dev.kret.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kret.api.v1alpha1.BestStatus;
import dev.kret.api.v1alpha1.Condition;
import dev.kret.api.v1alpha1.EpochStatus;
import dev.kret.api.v1alpha1.FailureStatus;
import dev.kret.api.v1alpha1.FineTuneRunStatus;
import dev.kret.api.v1alpha1.ProgressStatus;
import dev.kret.api.v1alpha1.TrainingStatus;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatusViewTest {

  @Test
  void agesReadLikeKubectls() {
    assertThat(StatusView.age(Duration.ofSeconds(5))).isEqualTo("5s");
    assertThat(StatusView.age(Duration.ofSeconds(119))).isEqualTo("119s");
    assertThat(StatusView.age(Duration.ofSeconds(150))).isEqualTo("2m30s");
    assertThat(StatusView.age(Duration.ofMinutes(42))).isEqualTo("42m");
    assertThat(StatusView.age(Duration.ofMinutes(5 * 60 + 7))).isEqualTo("5h7m");
    assertThat(StatusView.age(Duration.ofHours(30))).isEqualTo("30h");
    assertThat(StatusView.age(Duration.ofHours(3 * 24 + 4))).isEqualTo("3d4h");
    assertThat(StatusView.age(Duration.ofDays(40))).isEqualTo("40d");
    assertThat(StatusView.age(Duration.ofDays(800))).isEqualTo("2y");
  }

  static EpochStatus epoch(int n, double f1) {
    return new EpochStatus(n, 1.0, 0.5, 80.0, f1, 50.0, null, null, null);
  }

  static FineTuneRunStatus status(
      String state, String reason, List<EpochStatus> epochs, BestStatus best) {
    return new FineTuneRunStatus(1L, state, reason, List.of(), null, epochs, best, null, null);
  }

  @Test
  void chartScalesBetweenAFloorAndTheMaximumAndMarksTheBest() {
    String chart =
        StatusView.chart(
            status(
                "Succeeded",
                "Succeeded",
                List.of(epoch(1, 60), epoch(2, 70), epoch(3, 65)),
                new BestStatus(2, "micro_f1", 70.0, "x")));
    List<String> bars = chart.lines().filter(l -> l.contains("│")).toList();
    assertThat(bars).hasSize(3);
    assertThat(bars.get(1)).startsWith("  * 2 │").endsWith("70.00");
    long full = bars.get(1).chars().filter(c -> c == '█').count();
    long low = bars.get(0).chars().filter(c -> c == '█').count();
    assertThat(full).isEqualTo(StatusView.CHART_WIDTH);
    assertThat(low).isEqualTo(StatusView.CHART_WIDTH / 3);
    assertThat(StatusView.chart(status("Pending", null, List.of(), null))).isEmpty();
  }

  static FineTuneRunStatus training(ProgressStatus progress) {
    return new FineTuneRunStatus(
        1L, "Training", "Training", List.of(), progress, List.of(), null, null, null);
  }

  @Test
  void epochShowsMaskedLmEpochsUntilTheyAreDone() {
    assertThat(StatusView.epoch(training(new ProgressStatus(0, 4)))).isEqualTo("0/4");
    assertThat(StatusView.epoch(training(new ProgressStatus(0, 4, 0, 2, null))))
        .isEqualTo("mlm 0/2");
    assertThat(StatusView.epoch(training(new ProgressStatus(0, 4, 1, 2, 6.5))))
        .isEqualTo("mlm 1/2");
    assertThat(StatusView.epoch(training(new ProgressStatus(0, 4, 2, 2, 5.1)))).isEqualTo("0/4");
    assertThat(StatusView.epoch(training(new ProgressStatus(3, 4, 2, 2, 5.1)))).isEqualTo("3/4");

    assertThat(StatusView.maskedLm(training(new ProgressStatus(0, 4)))).isNull();
    assertThat(StatusView.maskedLm(training(new ProgressStatus(0, 4, 0, 2, null))))
        .isEqualTo("0/2 epochs");
    assertThat(StatusView.maskedLm(training(new ProgressStatus(1, 4, 2, 2, 5.09123))))
        .isEqualTo("2/2 epochs, loss 5.0912");
  }

  @Test
  void reasonOnlyWhenSomethingNeedsALook() {
    assertThat(StatusView.problem(status("Training", "Training", List.of(), null))).isEmpty();
    assertThat(StatusView.problem(status("Pending", "Unschedulable", List.of(), null)))
        .isEqualTo("Unschedulable");
    assertThat(StatusView.problem(status("Failed", "InvalidConfiguration", List.of(), null)))
        .isEqualTo("InvalidConfiguration");
    FineTuneRunStatus retried =
        new FineTuneRunStatus(
            1L,
            "Training",
            "Training",
            List.of(),
            null,
            List.of(),
            null,
            new TrainingStatus("j", 2, new FailureStatus("Evicted", null, null, null)),
            null);
    assertThat(StatusView.problem(retried)).isEqualTo("Retried after Evicted");
    FineTuneRunStatus manual =
        new FineTuneRunStatus(
            1L,
            "Succeeded",
            "Succeeded",
            List.of(new Condition("Promoted", "False", "AwaitingManualPromotion", "m", null, 1L)),
            null,
            List.of(),
            null,
            null,
            null);
    assertThat(StatusView.problem(manual)).isEqualTo("AwaitingManualPromotion");
  }

  @Test
  void columnsAlignAndTrimTrailingBlanks() {
    String t = StatusView.columns(List.of(List.of("A", "BB", ""), List.of("CCC", "D", "")), "");
    assertThat(t).isEqualTo("A     BB\nCCC   D\n");
  }
}
