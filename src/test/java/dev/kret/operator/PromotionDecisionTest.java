package dev.kret.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kret.api.v1alpha1.BestStatus;
import dev.kret.api.v1alpha1.EpochStatus;
import dev.kret.api.v1alpha1.MinimumSpec;
import dev.kret.api.v1alpha1.PromotionSpec;
import dev.kret.contract.Reason;
import dev.kret.operator.PromotionDecision.Champion;
import dev.kret.operator.PromotionDecision.Decision;
import java.util.List;
import org.junit.jupiter.api.Test;

class PromotionDecisionTest {
  static final PromotionSpec AUTO_60 =
      new PromotionSpec("Auto", "klue-re", new MinimumSpec("micro_f1", 60.0));
  static final BestStatus BEST_65 = new BestStatus(2, "micro_f1", 65.0, "ml/a/epoch-2");
  static final List<EpochStatus> EPOCHS =
      List.of(new EpochStatus(2, 0.5, 0.9, 80.0, 65.0, 55.0, 10.0, "ml/a/epoch-2", null));

  static Decision decide(PromotionSpec p, BestStatus best, Champion champion) {
    return PromotionDecision.decide(p, best, EPOCHS, champion);
  }

  @Test
  void promotesTheFirstModelThatReachesTheMinimum() {
    Decision d = decide(AUTO_60, BEST_65, null);
    assertThat(d.promote()).isTrue();
    assertThat(d.reason()).isEqualTo(Reason.Promoted);
  }

  @Test
  void refusesAModelBelowTheMinimum() {
    Decision d = decide(AUTO_60, new BestStatus(2, "micro_f1", 59.9, "p"), null);
    assertThat(d.promote()).isFalse();
    assertThat(d.reason()).isEqualTo(Reason.BelowThreshold);
  }

  @Test
  void checksTheMinimumOnItsOwnMetric() {
    PromotionSpec p = new PromotionSpec("Auto", "klue-re", new MinimumSpec("auprc", 60.0));
    assertThat(decide(p, BEST_65, null).reason()).isEqualTo(Reason.BelowThreshold);
  }

  @Test
  void keepsAChampionThatScoresAtLeastAsWell() {
    Decision d = decide(AUTO_60, BEST_65, new Champion("old", "ml/old/epoch-3", "micro_f1", 65.0));
    assertThat(d.promote()).isFalse();
    assertThat(d.reason()).isEqualTo(Reason.ChampionKept);
  }

  @Test
  void replacesAWorseChampion() {
    Decision d = decide(AUTO_60, BEST_65, new Champion("old", "ml/old/epoch-3", "micro_f1", 61.0));
    assertThat(d.promote()).isTrue();
  }

  @Test
  void lowerEvalLossBeatsTheChampion() {
    PromotionSpec p = new PromotionSpec("Auto", "klue-re", null);
    BestStatus best = new BestStatus(1, "eval_loss", 0.8, "p");
    assertThat(decide(p, best, new Champion("old", "q", "eval_loss", 0.9)).promote()).isTrue();
    assertThat(decide(p, best, new Champion("old", "q", "eval_loss", 0.7)).promote()).isFalse();
  }

  @Test
  void manualPolicyWaitsForKretctlPromote() {
    PromotionSpec p = new PromotionSpec("Manual", "klue-re", null);
    assertThat(decide(p, BEST_65, null).reason()).isEqualTo(Reason.AwaitingManualPromotion);
  }

  @Test
  void approvedManualPromotionReplacesEvenABetterChampion() {
    PromotionSpec p = new PromotionSpec("Manual", "klue-re", null, true);
    Decision d = decide(p, BEST_65, new Champion("old", "q", "micro_f1", 80.0));
    assertThat(d.promote()).isTrue();
  }

  @Test
  void approvalDoesNotWaiveTheMinimum() {
    PromotionSpec p = new PromotionSpec("Manual", "klue-re", new MinimumSpec(null, 70.0), true);
    assertThat(decide(p, BEST_65, null).reason()).isEqualTo(Reason.BelowThreshold);
  }

  @Test
  void nothingToPromoteWithoutAModelPath() {
    assertThat(decide(AUTO_60, new BestStatus(1, "micro_f1", 99.0, null), null).reason())
        .isEqualTo(Reason.NothingToPromote);
  }
}
