package dev.kret.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.kret.model.Djl;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AdamWTest {

  /** torch.optim.AdamW for one scalar, written out. */
  static double[] reference(double w, double[] grads, double lr, double wd, double scale) {
    double m = 0;
    double v = 0;
    double b1 = 0.9;
    double b2 = 0.999;
    double eps = 1e-8;
    for (int t = 1; t <= grads.length; t++) {
      double g = grads[t - 1] * scale;
      w *= 1 - lr * wd;
      m = b1 * m + (1 - b1) * g;
      v = b2 * v + (1 - b2) * g * g;
      double denom = Math.sqrt(v) / Math.sqrt(1 - Math.pow(b2, t)) + eps;
      w -= lr / (1 - Math.pow(b1, t)) * m / denom;
    }
    return new double[] {w};
  }

  @org.junit.jupiter.params.ParameterizedTest(name = "fused={0}")
  @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
  void matchesTorchAdamWWithDecoupledDecayOnWeightsOnly(boolean fused) {
    try (NDManager root = Djl.engine().newBaseManager(Device.cpu())) {
      NDArray weight = root.create(new float[] {1.5f});
      NDArray bias = root.create(new float[] {1.5f});
      weight.setRequiresGradient(true);
      bias.setRequiresGradient(true);
      Map<String, NDArray> params = new LinkedHashMap<>();
      params.put("layer.dense.weight", weight);
      params.put("layer.dense.bias", bias);
      double[] coeff = {0.3, -1.2, 2.0};
      try (AdamW opt = new AdamW(params, root, 0.1, 0.9, 0.999, 1e-8, fused)) {
        for (double c : coeff) {
          try (NDManager step = root.newSubManager()) {
            try (GradientCollector gc = Djl.engine().newGradientCollector()) {
              NDArray loss = weight.mul((float) c).add(bias.mul((float) c)).sum();
              gc.backward(loss);
            }
            opt.step(0.01, 0.5, step);
          }
        }
      }
      double expectedW = reference(1.5, coeff, 0.01, 0.1, 0.5)[0];
      double expectedB = reference(1.5, coeff, 0.01, 0.0, 0.5)[0];
      assertThat((double) weight.getFloat()).isCloseTo(expectedW, within(1e-6));
      assertThat((double) bias.getFloat()).isCloseTo(expectedB, within(1e-6));
      assertThat(expectedW).isNotCloseTo(expectedB, within(1e-6));
    }
  }

  @org.junit.jupiter.params.ParameterizedTest(name = "fused={0}")
  @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
  void gradNormIsTheGlobalL2NormOverAllParameters(boolean fused) {
    try (NDManager root = Djl.engine().newBaseManager(Device.cpu())) {
      NDArray a = root.create(new float[] {1f, 2f});
      NDArray b = root.create(new float[] {3f});
      a.setRequiresGradient(true);
      b.setRequiresGradient(true);
      try (AdamW opt =
              new AdamW(Map.of("a.weight", a, "b.weight", b), root, 0, 0.9, 0.999, 1e-8, fused);
          NDManager step = root.newSubManager()) {
        try (GradientCollector gc = Djl.engine().newGradientCollector()) {
          // d/da = (3, 4), d/db = 12 → norm 13
          gc.backward(a.mul(root.create(new float[] {3f, 4f})).sum().add(b.mul(12f).sum()));
        }
        assertThat(opt.gradNorm(step)).isCloseTo(13.0, within(1e-5));
      }
    }
  }

  @org.junit.jupiter.params.ParameterizedTest(name = "fused={0}")
  @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
  void zeroesGradientsAfterEachStep(boolean fused) {
    try (NDManager root = Djl.engine().newBaseManager(Device.cpu())) {
      NDArray a = root.create(new float[] {1f});
      a.setRequiresGradient(true);
      try (AdamW opt = new AdamW(Map.of("a.weight", a), root, 0, 0.9, 0.999, 1e-8, fused);
          NDManager step = root.newSubManager()) {
        try (GradientCollector gc = Djl.engine().newGradientCollector()) {
          gc.backward(a.mul(5f).sum());
        }
        opt.step(0.1, 1.0, step);
        assertThat(opt.gradNorm(step)).isZero();
      }
    }
  }

  @Test
  void fusedAndNativeUpdatesAgreeOnMultiChunkTensors() {
    try (NDManager root = Djl.engine().newBaseManager(Device.cpu())) {
      float[][] results = new float[2][];
      for (int variant = 0; variant < 2; variant++) {
        try (NDManager m = root.newSubManager()) {
          NDArray w = m.create(ramp(200_003, 0.37f));
          w.setRequiresGradient(true);
          NDArray c = m.create(ramp(200_003, -1.3f));
          try (AdamW opt =
              new AdamW(Map.of("big.weight", w), m, 0.01, 0.9, 0.999, 1e-8, variant == 0)) {
            for (int step = 0; step < 3; step++) {
              try (NDManager s = m.newSubManager()) {
                try (GradientCollector gc = Djl.engine().newGradientCollector()) {
                  gc.backward(w.mul(c).sum());
                }
                opt.step(1e-2, 0.7, s);
              }
            }
          }
          results[variant] = w.toFloatArray();
        }
      }
      for (int i = 0; i < results[0].length; i += 997) {
        assertThat((double) results[0][i]).isCloseTo(results[1][i], within(1e-5));
      }
    }
  }

  static float[] ramp(int n, float k) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) Math.sin(i * k);
    }
    return v;
  }
}
