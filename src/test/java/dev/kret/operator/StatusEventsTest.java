package dev.kret.operator;

import static dev.kret.operator.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kret.api.v1alpha1.FineTuneRun;
import dev.kret.api.v1alpha1.FineTuneRunStatus;
import dev.kret.contract.Reason;
import dev.kret.operator.StatusEvents.RunEvent;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatusEventsTest {

  @Test
  void oneEventPerNewEpoch() {
    FineTuneRun run = run(3);
    FineTuneRunStatus s1 =
        StatusDerivation.derive(
            observed(
                run,
                progress("epoch-0001.json", epochJson(1, 50)),
                activeJob(),
                List.of(runningPod())));
    withStatus(run, s1);
    FineTuneRunStatus s2 =
        StatusDerivation.derive(
            observed(
                run,
                progress("epoch-0001.json", epochJson(1, 50), "epoch-0002.json", epochJson(2, 60)),
                activeJob(),
                List.of(runningPod())));
    List<RunEvent> events = StatusEvents.between(s1, s2);
    assertThat(events).extracting(RunEvent::reason).containsExactly(Reason.EpochFinished);
    assertThat(events.get(0).message()).startsWith("Epoch 2/3").contains("new best");
  }

  @Test
  void nothingNewMeansNoEvents() {
    FineTuneRun run = run(3);
    FineTuneRunStatus s =
        StatusDerivation.derive(observed(run, progress(), activeJob(), List.of(runningPod())));
    assertThat(StatusEvents.between(s, s)).isEmpty();
  }

  @Test
  void failureIsReportedOnceWithItsRootCause() {
    FineTuneRun run = run(3);
    var oom = terminatedPod("klue-train-a", 137, "OOMKilled", null, NOW.minusSeconds(5));
    FineTuneRunStatus failed =
        StatusDerivation.derive(
            observed(
                run,
                progress(),
                jobWithCondition("Failed", "BackoffLimitExceeded", "x"),
                List.of(oom)));
    List<RunEvent> events = StatusEvents.between(null, failed);
    assertThat(events).extracting(RunEvent::reason).containsExactly(Reason.OOMKilled);
    assertThat(Reason.OOMKilled.eventType()).isEqualTo("Warning");
  }
}
