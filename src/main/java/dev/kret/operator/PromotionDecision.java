package dev.kret.operator;

import dev.kret.api.v1alpha1.BestStatus;
import dev.kret.api.v1alpha1.EpochStatus;
import dev.kret.api.v1alpha1.Metric;
import dev.kret.api.v1alpha1.MinimumSpec;
import dev.kret.api.v1alpha1.PromotionSpec;
import dev.kret.contract.Reason;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/** Champion/challenger: whether a finished run's best epoch should replace what is served. */
public final class PromotionDecision {
  private PromotionDecision() {}

  /** What serves now, as recorded on the predictor Deployment; null fields when unknown. */
  public record Champion(String run, String modelPath, String metric, Double value) {}

  /** The verdict, with a message for the Promoted condition and the event. */
  public record Decision(boolean promote, Reason reason, String message) {}

  public static Decision decide(
      PromotionSpec promotion, BestStatus best, List<EpochStatus> epochs, Champion champion) {
    if (best == null || best.modelPath() == null) {
      return new Decision(false, Reason.NothingToPromote, "No best epoch with a model path.");
    }
    MinimumSpec min = promotion.minimum();
    if (min != null && min.value() != null) {
      String metric = Objects.requireNonNullElse(min.metric(), best.metric());
      Double value = metricOfBest(best, epochs, metric);
      if (value == null || !atLeast(metric, value, min.value())) {
        return new Decision(
            false,
            Reason.BelowThreshold,
            String.format(
                Locale.ROOT,
                "Best epoch %d has %s %s; promotion needs %s %s.",
                best.epoch(),
                metric,
                value,
                lowerIsBetter(metric) ? "at most" : "at least",
                min.value()));
      }
    }
    boolean approved = Boolean.TRUE.equals(promotion.approved());
    if ("Manual".equals(promotion.policy()) && !approved) {
      return new Decision(
          false,
          Reason.AwaitingManualPromotion,
          "Policy Manual: promote epoch " + best.epoch() + " with kretctl promote.");
    }
    if (!approved
        && champion != null
        && champion.value() != null
        && best.metric().equals(champion.metric())
        && !beats(best.metric(), best.value(), champion.value())) {
      return new Decision(
          false,
          Reason.ChampionKept,
          String.format(
              Locale.ROOT,
              "%s keeps serving %s (%s %s); this run's best is %s.",
              promotion.serving(),
              champion.modelPath(),
              champion.metric(),
              champion.value(),
              best.value()));
    }
    return new Decision(
        true,
        Reason.Promoted,
        String.format(
            Locale.ROOT,
            "%s serves epoch %d (%s %s).",
            promotion.serving(),
            best.epoch(),
            best.metric(),
            best.value()));
  }

  static Double metricOfBest(BestStatus best, List<EpochStatus> epochs, String metric) {
    if (metric.equals(best.metric())) {
      return best.value();
    }
    return epochs.stream()
        .filter(e -> Objects.equals(e.epoch(), best.epoch()))
        .map(e -> e.metric(metric))
        .filter(Objects::nonNull)
        .findFirst()
        .orElse(null);
  }

  static boolean lowerIsBetter(String metric) {
    return Metric.lowerIsBetter(metric);
  }

  static boolean atLeast(String metric, double value, double threshold) {
    return Metric.find(metric).map(m -> m.reaches(value, threshold)).orElse(value >= threshold);
  }

  /** Strictly better: a tie keeps the champion, so equal models do not churn the endpoint. */
  static boolean beats(String metric, Double challenger, Double champion) {
    if (challenger == null) {
      return false;
    }
    return Metric.find(metric)
        .map(m -> m.better(challenger, champion))
        .orElse(challenger > champion);
  }
}
