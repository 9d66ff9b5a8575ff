package dev.kret.operator;

import dev.kret.api.v1alpha1.BestStatus;
import dev.kret.api.v1alpha1.Condition;
import dev.kret.api.v1alpha1.EpochStatus;
import dev.kret.api.v1alpha1.FailureStatus;
import dev.kret.api.v1alpha1.FineTuneRunStatus;
import dev.kret.contract.Reason;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/** The events a status change deserves; pure, so a repeated reconcile emits nothing new. */
public final class StatusEvents {
  private StatusEvents() {}

  /** One event to record against the run. */
  public record RunEvent(Reason reason, String message) {}

  public static List<RunEvent> between(FineTuneRunStatus prior, FineTuneRunStatus next) {
    FineTuneRunStatus before = prior == null ? FineTuneRunStatus.empty() : prior;
    List<RunEvent> events = new ArrayList<>();
    Set<Integer> seen = new HashSet<>();
    if (before.epochs() != null) {
      before.epochs().forEach(e -> seen.add(e.epoch()));
    }
    Integer total = next.progress() == null ? null : next.progress().totalEpochs();
    for (EpochStatus e : next.epochs() == null ? List.<EpochStatus>of() : next.epochs()) {
      if (!seen.contains(e.epoch())) {
        events.add(new RunEvent(Reason.EpochFinished, epochMessage(e, total, next.best())));
      }
    }
    FailureStatus oldFailure = before.training() == null ? null : before.training().lastFailure();
    FailureStatus newFailure = next.training() == null ? null : next.training().lastFailure();
    if (newFailure != null && !newFailure.equals(oldFailure)) {
      events.add(new RunEvent(Reason.of(newFailure.reason(), Reason.Error), newFailure.message()));
    }
    if (next.reason() != null && !next.reason().equals(before.reason())) {
      String message =
          next.condition(Conditions.SUCCEEDED).map(Condition::message).orElse(next.reason());
      Reason reason = Reason.of(next.reason(), Reason.Error);
      boolean duplicate =
          newFailure != null
              && !newFailure.equals(oldFailure)
              && reason.name().equals(newFailure.reason());
      if (!duplicate) {
        events.add(new RunEvent(reason, message));
      }
    }
    Condition promoted = next.condition(Conditions.PROMOTED).orElse(null);
    if (promoted != null
        && !before
            .condition(Conditions.PROMOTED)
            .map(Condition::reason)
            .equals(java.util.Optional.of(promoted.reason()))) {
      events.add(new RunEvent(Reason.of(promoted.reason(), Reason.Error), promoted.message()));
    }
    return events;
  }

  private static String epochMessage(EpochStatus e, Integer total, BestStatus best) {
    StringBuilder sb = new StringBuilder("Epoch ").append(e.epoch());
    if (total != null) {
      sb.append('/').append(total);
    }
    sb.append(
        String.format(
            Locale.ROOT,
            ": micro_f1 %s, auprc %s, eval_loss %s",
            e.microF1(),
            e.auprc(),
            e.evalLoss()));
    if (best != null && Objects.equals(best.epoch(), e.epoch())) {
      sb.append(" (new best)");
    }
    return sb.append('.').toString();
  }
}
