package dev.kret.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kret.api.v1alpha1.Condition;
import dev.kret.api.v1alpha1.FineTuneRunStatus;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.AggregatedOperatorException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The defect it guards: on a real API server the operator's ClusterRole lacked patch on jobs, and
 * the 403 on the training Job's server-side apply showed only in the operator's log while the run
 * sat in Pending. Now it reaches the run's status.
 */
class ReconcileErrorsTest {
  static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
  static final Instant T1 = Instant.parse("2026-03-01T10:05:00Z");
  static final String FORBIDDEN =
      "jobs.batch \"r-train\" is forbidden: User \"system:serviceaccount:kret-system:kret-operator\""
          + " cannot patch resource \"jobs\" in API group \"batch\" in the namespace \"default\"";

  static AggregatedOperatorException forbiddenJob() {
    var status = new StatusBuilder().withCode(403).withMessage(FORBIDDEN).build();
    var cause = new KubernetesClientException(status);
    return new AggregatedOperatorException(
        "Exception(s) during workflow execution.",
        Map.of("training-job", new RuntimeException("wrapped", cause)));
  }

  @Test
  void messageNamesTheDependentAndTheApiServersWords() {
    assertThat(ReconcileErrors.message(forbiddenJob()))
        .isEqualTo("training-job: " + FORBIDDEN + " (HTTP 403)");
  }

  @Test
  void plainExceptionGivesItsRootMessage() {
    assertThat(
            ReconcileErrors.message(
                new IllegalStateException("outer", new IllegalArgumentException("root cause"))))
        .isEqualTo("root cause");
  }

  @Test
  void failedKeepsStateAndConditionsAndAddsReconciledFalse() {
    List<Condition> prior =
        Conditions.set(List.of(), "Running", "False", "Pending", "waiting", 1, T0);
    FineTuneRunStatus before =
        new FineTuneRunStatus(1L, "Pending", "Pending", prior, null, List.of(), null, null, null);
    FineTuneRunStatus after = ReconcileErrors.failed(before, 1, "training-job: no", T1);
    assertThat(after.state()).isEqualTo("Pending");
    assertThat(after.reason()).isEqualTo("ReconcileError");
    assertThat(after.condition("Running")).contains(prior.get(0));
    Condition c = after.condition(ReconcileErrors.CONDITION).orElseThrow();
    assertThat(c.status()).isEqualTo("False");
    assertThat(c.reason()).isEqualTo("ReconcileError");
    assertThat(c.message()).isEqualTo("training-job: no");
  }

  @Test
  void failedOnARunWithoutStatusIsPending() {
    FineTuneRunStatus after = ReconcileErrors.failed(null, 3, "m", T0);
    assertThat(after.state()).isEqualTo("Pending");
    assertThat(after.condition(ReconcileErrors.CONDITION).orElseThrow().observedGeneration())
        .isEqualTo(3L);
  }

  @Test
  void clearedFlipsTheConditionBackOnlyWhenThereWasOne() {
    FineTuneRunStatus fresh =
        new FineTuneRunStatus(
            1L,
            "Training",
            "Training",
            Conditions.set(List.of(), "Running", "True", "Training", "m", 1, T1),
            null,
            List.of(),
            null,
            null,
            null);
    assertThat(ReconcileErrors.cleared(fresh, 1, T1)).isEqualTo(fresh);

    // Derived from a broken status, the next one carries its conditions, Reconciled=False too.
    FineTuneRunStatus broken = ReconcileErrors.failed(null, 1, "m", T0);
    FineTuneRunStatus derived =
        new FineTuneRunStatus(
            1L,
            "Training",
            "Training",
            Conditions.set(broken.conditions(), "Running", "True", "Training", "m", 1, T1),
            null,
            List.of(),
            null,
            null,
            null);
    FineTuneRunStatus healed = ReconcileErrors.cleared(derived, 1, T1);
    Condition c = healed.condition(ReconcileErrors.CONDITION).orElseThrow();
    assertThat(c.status()).isEqualTo("True");
    assertThat(c.reason()).isEqualTo("Reconciled");
    assertThat(c.lastTransitionTime()).isEqualTo("2026-03-01T10:05:00Z");
    assertThat(healed.reason()).isEqualTo("Training");
    assertThat(healed.condition("Running")).isPresent();
  }
}
