package dev.kret.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class LinearScheduleTest {

  @Test
  void warmsUpLinearlyThenDecaysToZero() {
    LinearSchedule s = LinearSchedule.of(1e-3, 0.1, 100);
    assertThat(s.warmupSteps()).isEqualTo(10);
    assertThat(s.rate(0)).isZero();
    assertThat(s.rate(5)).isCloseTo(5e-4, within(1e-12));
    assertThat(s.rate(10)).isCloseTo(1e-3, within(1e-12));
    assertThat(s.rate(55)).isCloseTo(5e-4, within(1e-12));
    assertThat(s.rate(100)).isZero();
  }

  @Test
  void withoutWarmupStartsAtThePeak() {
    assertThat(LinearSchedule.of(2e-5, 0, 10).rate(0)).isCloseTo(2e-5, within(1e-15));
  }
}
