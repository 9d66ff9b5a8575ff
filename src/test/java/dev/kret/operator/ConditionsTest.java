package dev.kret.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kret.api.v1alpha1.Condition;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConditionsTest {
  static final Instant T0 = Instant.parse("2026-03-01T10:00:00.123Z");
  static final Instant T1 = Instant.parse("2026-03-01T11:00:00Z");

  @Test
  void addsConditionWithTransitionTimeInSeconds() {
    List<Condition> c = Conditions.set(List.of(), "Running", "True", "Training", "m", 2, T0);
    assertThat(c)
        .containsExactly(
            new Condition("Running", "True", "Training", "m", "2026-03-01T10:00:00Z", 2L));
  }

  @Test
  void keepsLastTransitionTimeWhenStatusUnchanged() {
    List<Condition> c = Conditions.set(List.of(), "Running", "False", "Pending", "a", 1, T0);
    c = Conditions.set(c, "Running", "False", "Unschedulable", "b", 2, T1);
    assertThat(c.get(0).lastTransitionTime()).isEqualTo("2026-03-01T10:00:00Z");
    assertThat(c.get(0).reason()).isEqualTo("Unschedulable");
    assertThat(c.get(0).message()).isEqualTo("b");
    assertThat(c.get(0).observedGeneration()).isEqualTo(2L);
  }

  @Test
  void movesLastTransitionTimeWhenStatusFlips() {
    List<Condition> c = Conditions.set(List.of(), "Running", "False", "Pending", "a", 1, T0);
    c = Conditions.set(c, "Running", "True", "Training", "b", 1, T1);
    assertThat(c.get(0).lastTransitionTime()).isEqualTo("2026-03-01T11:00:00Z");
  }

  @Test
  void keepsOtherConditionsAndTheirOrder() {
    List<Condition> c = Conditions.set(List.of(), "Running", "True", "Training", null, 1, T0);
    c = Conditions.set(c, "Promoted", "False", "BelowThreshold", null, 1, T0);
    c = Conditions.set(c, "Running", "False", "Succeeded", null, 1, T1);
    assertThat(c).extracting(Condition::type).containsExactly("Running", "Promoted");
    assertThat(c.get(1).reason()).isEqualTo("BelowThreshold");
  }

  @Test
  void rejectsReasonsThatAreNotUpperCamelCase() {
    assertThatThrownBy(() -> Conditions.set(List.of(), "Running", "True", "oom_killed", "", 1, T0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void rejectsStatusOtherThanTrueFalseUnknown() {
    assertThatThrownBy(() -> Conditions.set(List.of(), "Running", "yes", "Training", "", 1, T0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void truncatesLongMessages() {
    List<Condition> c =
        Conditions.set(List.of(), "Failed", "True", "Error", "x".repeat(5000), 1, T0);
    assertThat(c.get(0).message()).hasSize(Conditions.MAX_MESSAGE);
  }
}
