package dev.kret.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import dev.kret.data.Labels;
import dev.kret.text.RelationEncoder.Encoded;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A batch runs in forward passes of at most {@code maxBatchTokens} padded tokens (issue 20): what a
 * pass holds at its peak grows with its padded tokens, so this bounds a predictor's memory whatever
 * the batch. Splitting must not change a single probability nor the order of the answers.
 */
class ForwardPassesTest {

  static RelationModel model;

  @BeforeAll
  static void load() {
    RobertaConfig cfg =
        RobertaConfig.small(1000, 32, 2, 4, 64, Labels.RELATIONS).withHead(HeadType.ENTITY_START);
    model = RelationModel.random(cfg, Device.cpu(), 11);
  }

  @AfterAll
  static void close() {
    model.close();
  }

  @Test
  void aFullWindowBatchOf32RunsInPassesOfTheBudget() {
    int[] lengths = new int[32];
    Arrays.fill(lengths, 256);
    List<int[]> passes = RelationClassifier.passes(lengths, 2048);
    assertThat(passes).hasSize(4).allSatisfy(p -> assertThat(p).hasSize(8));
    assertThat(RelationClassifier.passes(lengths, Integer.MAX_VALUE)).hasSize(1);
    // Short requests (32 rows of 64 tokens) still run in one pass at the default.
    Arrays.fill(lengths, 64);
    assertThat(RelationClassifier.passes(lengths, RelationClassifier.DEFAULT_MAX_BATCH_TOKENS))
        .hasSize(1);
  }

  @Test
  void everyRowIsInExactlyOnePassAndNoPassExceedsTheBudgetOnceItIsPadded() {
    SplittableRandom r = new SplittableRandom(5);
    for (int trial = 0; trial < 200; trial++) {
      int[] lengths = new int[1 + r.nextInt(40)];
      for (int i = 0; i < lengths.length; i++) {
        lengths[i] = 1 + r.nextInt(512);
      }
      int budget = 1 + r.nextInt(4096);
      List<int[]> passes = RelationClassifier.passes(lengths, budget);
      boolean[] seen = new boolean[lengths.length];
      int previousLongest = 0;
      for (int[] pass : passes) {
        int longest = 0;
        int shortest = Integer.MAX_VALUE;
        for (int i : pass) {
          assertThat(seen[i]).as("row %d in two passes", i).isFalse();
          seen[i] = true;
          longest = Math.max(longest, lengths[i]);
          shortest = Math.min(shortest, lengths[i]);
        }
        if (pass.length > 1) {
          assertThat((long) pass.length * longest).isLessThanOrEqualTo(budget);
        }
        // Length-sorted: passes hold consecutive lengths, so padding stays small.
        assertThat(shortest).isGreaterThanOrEqualTo(previousLongest);
        previousLongest = longest;
      }
      for (boolean s : seen) {
        assertThat(s).isTrue();
      }
    }
  }

  @Test
  void splittingABatchChangesNoProbabilityAndKeepsTheInputOrder() {
    SplittableRandom r = new SplittableRandom(9);
    List<Encoded> batch = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      int n = 8 + r.nextInt(120);
      int[] ids = new int[n];
      ids[0] = 0;
      for (int k = 1; k < n - 1; k++) {
        ids[k] = 3 + r.nextInt(997);
      }
      ids[n - 1] = 2;
      batch.add(new Encoded(ids, 1 + r.nextInt(n - 2), 1 + r.nextInt(n - 2)));
    }
    // forward needs no encoder: the batch is encoded already.
    float[][] whole = new RelationClassifier(model, null, 1, Integer.MAX_VALUE).forward(batch);
    for (int budget : new int[] {1, 200, 1000}) {
      float[][] split = new RelationClassifier(model, null, 1, budget).forward(batch);
      assertThat(split).hasDimensions(whole.length, whole[0].length);
      for (int i = 0; i < whole.length; i++) {
        for (int k = 0; k < whole[i].length; k++) {
          assertThat(split[i][k])
              .as("row %d label %d, budget %d", i, k, budget)
              .isCloseTo(whole[i][k], within(1e-5f));
        }
      }
    }
    // Each row alone gives its own answer, not a neighbour's: the order is the input's.
    float[][] alone = new RelationClassifier(model, null, 1, 1).forward(List.of(batch.get(7)));
    assertThat(whole[7][0]).isCloseTo(alone[0][0], within(1e-5f));
  }

  @Test
  void aBudgetBelowOneIsRefused() {
    assertThatThrownBy(() -> new RelationClassifier(model, null, 1, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("max batch tokens");
  }
}
