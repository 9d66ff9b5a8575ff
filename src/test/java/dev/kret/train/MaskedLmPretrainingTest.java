package dev.kret.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import dev.kret.api.v1alpha1.TrainingSpec;
import dev.kret.data.Labels;
import dev.kret.model.RelationModel;
import dev.kret.model.RobertaConfig;
import dev.kret.text.RelationEncoder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MaskedLmPretrainingTest {

  static final int PAD = 1;
  static final int CLS = 2;
  static final int SEP = 3;
  static final int MASK = 4;
  static final Set<Integer> SPECIAL = Set.of(0, PAD, CLS, SEP, MASK);
  static final int VOCAB = 1000;

  /** {@code rows} sequences of {@code len} tokens ([CLS] w… [SEP]), the odd rows padded by half. */
  static RelationEncoder.Batch batch(int rows, int len) {
    long[][] ids = new long[rows][len];
    long[][] mask = new long[rows][len];
    for (int i = 0; i < rows; i++) {
      int real = i % 2 == 0 ? len : len / 2;
      for (int j = 0; j < len; j++) {
        if (j >= real) {
          ids[i][j] = PAD;
          continue;
        }
        mask[i][j] = 1;
        ids[i][j] = j == 0 ? CLS : j == real - 1 ? SEP : 10 + (i * 31 + j * 7) % 900;
      }
    }
    return new RelationEncoder.Batch(ids, mask, new int[rows], new int[rows]);
  }

  @Test
  void picksTheShareOfOrdinaryTokensAndSplitsThemEightyTenTen() {
    RelationEncoder.Batch b = batch(200, 100);
    MaskedLmPretraining.Masked m =
        MaskedLmPretraining.mask(b, 0.15, MASK, SPECIAL, VOCAB, new SplittableRandom(1));
    int len = b.sequenceLength();
    int maskable = 0;
    for (int i = 0; i < b.size(); i++) {
      for (int j = 0; j < len; j++) {
        if (b.mask()[i][j] == 1 && !SPECIAL.contains((int) b.ids()[i][j])) {
          maskable++;
        }
      }
    }
    int picked = m.positions().length;
    assertThat((double) picked / maskable).isCloseTo(0.15, within(0.01));
    int masked = 0;
    int kept = 0;
    int changed = 0;
    for (int k = 0; k < picked; k++) {
      int i = (int) (m.positions()[k] / len);
      int j = (int) (m.positions()[k] % len);
      long original = b.ids()[i][j];
      assertThat(m.targets()[k]).isEqualTo(original);
      assertThat(b.mask()[i][j]).as("padding is never picked").isEqualTo(1);
      assertThat(SPECIAL).as("special tokens are never picked").doesNotContain((int) original);
      long now = m.batch().ids()[i][j];
      if (now == MASK) {
        masked++;
      } else if (now == original) {
        kept++;
      } else {
        changed++;
        assertThat(now).isBetween(0L, (long) VOCAB - 1);
      }
    }
    assertThat((double) masked / picked).isCloseTo(0.8, within(0.03));
    assertThat((double) changed / picked).isCloseTo(0.1, within(0.03));
    assertThat((double) kept / picked).isCloseTo(0.1, within(0.03));
    // Everything not picked is the input as it was.
    int differences = 0;
    for (int i = 0; i < b.size(); i++) {
      for (int j = 0; j < len; j++) {
        if (m.batch().ids()[i][j] != b.ids()[i][j]) {
          differences++;
        }
      }
    }
    assertThat(differences).isEqualTo(masked + changed);
    assertThat(b.ids()[0][1]).as("the batch itself is not modified").isNotEqualTo(MASK);
  }

  @Test
  void sameRandomStreamGivesTheSameMasks() {
    RelationEncoder.Batch b = batch(8, 40);
    MaskedLmPretraining.Masked x =
        MaskedLmPretraining.mask(b, 0.15, MASK, SPECIAL, VOCAB, new SplittableRandom(9));
    MaskedLmPretraining.Masked y =
        MaskedLmPretraining.mask(b, 0.15, MASK, SPECIAL, VOCAB, new SplittableRandom(9));
    MaskedLmPretraining.Masked z =
        MaskedLmPretraining.mask(b, 0.15, MASK, SPECIAL, VOCAB, new SplittableRandom(10));
    assertThat(y.positions()).containsExactly(x.positions());
    assertThat(y.targets()).containsExactly(x.targets());
    assertThat(y.batch().ids()).isDeepEqualTo(x.batch().ids());
    assertThat(z.positions()).isNotEqualTo(x.positions());
  }

  @Test
  void aShutdownStopsMaskedLmTrainingAtItsNextStepAndSaysWhereToResume(@TempDir Path dir)
      throws Exception {
    TrainingSpec t =
        new TrainingSpec(1, 4, 1e-3, null, null, null, 3L, null, null, null, null, 2, null)
            .withDefaults();
    List<RelationEncoder.Encoded> train = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      train.add(new RelationEncoder.Encoded(new int[] {CLS, 10 + i, 20 + i, 30, SEP}, 1, 2));
    }
    RobertaConfig cfg =
        RobertaConfig.small(VOCAB, 16, 1, 2, 32, Labels.RELATIONS).withPadTokenId(PAD);
    ShutdownGuard guard = new ShutdownGuard(Duration.ZERO);
    try (RelationModel model = RelationModel.random(cfg, Device.cpu(), 1)) {
      guard.stopAndWait(); // what SIGTERM's hook does
      MaskedLmPretraining mlm =
          new MaskedLmPretraining(
              t, model, Map.of(), MASK, SPECIAL, train, dir.resolve("ckpt"), "f", List.of(), guard);
      assertThatThrownBy(mlm::run)
          .isInstanceOf(FineTuner.StoppedException.class)
          .hasMessage(
              "stopped by shutdown in masked-LM epoch 1 at step 1 of 2; no masked-LM epoch had"
                  + " finished: run the same command again to resume from masked-LM epoch 1");
    } finally {
      guard.close();
    }
    assertThat(dir.resolve("ckpt")).doesNotExist();
  }

  @Test
  void aBatchWhereNothingWasPickedStillPredictsOneToken() {
    RelationEncoder.Batch b = batch(2, 6);
    MaskedLmPretraining.Masked m =
        MaskedLmPretraining.mask(b, 1e-12, MASK, SPECIAL, VOCAB, new SplittableRandom(3));
    assertThat(m.positions()).containsExactly(1L);
    assertThat(m.targets()).containsExactly(b.ids()[0][1]);
    assertThat(m.batch().ids()[0][1]).isEqualTo(MASK);
  }
}
