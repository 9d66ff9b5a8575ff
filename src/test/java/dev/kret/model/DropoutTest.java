package dev.kret.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/**
 * The dropout every encoder layer, the embeddings and the heads use, checked statistically (every
 * other numeric test runs with dropout off): the keep rate is 1 − p and kept values are scaled by 1
 * / (1 − p), so activations keep their mean in training, as torch's inverted dropout does.
 */
class DropoutTest {

  @Test
  void keepsOneMinusPAndScalesByItsInverse() {
    int n = 1 << 20;
    try (NDManager m = Djl.engine().newBaseManager()) {
      Djl.engine().setRandomSeed(15);
      NDArray x = m.ones(new Shape(n));
      for (float p : new float[] {0.1f, 0.5f}) {
        float[] y = RelationModel.dropout(x, p, true).toFloatArray();
        int kept = 0;
        double sum = 0;
        for (float v : y) {
          if (v != 0f) {
            kept++;
            assertThat(v).isEqualTo(1f / (1f - p), within(1e-6f));
          }
          sum += v;
        }
        // Binomial(n, 1 − p): 6 standard deviations is ~0.2% of n at p = 0.1.
        double sd = Math.sqrt(n * p * (1.0 - p));
        assertThat((double) kept).isCloseTo(n * (1.0 - p), within(6 * sd));
        assertThat(sum / n).isCloseTo(1.0, within(6 * sd / n / (1 - p)));
      }
      // Off in evaluation, and at rate 0.
      assertThat(RelationModel.dropout(x, 0.1f, false)).isSameAs(x);
      assertThat(RelationModel.dropout(x, 0f, true)).isSameAs(x);
    }
  }
}
