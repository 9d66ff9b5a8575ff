package dev.kret.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.kret.data.Labels;
import dev.kret.model.BatchArrays;
import dev.kret.model.Djl;
import dev.kret.model.RelationModel;
import dev.kret.model.RobertaConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TrainStepTest {

  @Test
  void stepsLeaveNoArraysBehindInTheModelManager() {
    RobertaConfig cfg = RobertaConfig.small(500, 32, 2, 4, 64, Labels.RELATIONS);
    try (RelationModel model = RelationModel.random(cfg, Device.cpu(), 3);
        AdamW opt = new AdamW(model, 0.01)) {
      int before = -1;
      for (int step = 0; step < 6; step++) {
        try (NDManager m = model.manager().newSubManager()) {
          BatchArrays b =
              new BatchArrays(
                  m.randomInteger(5, 400, new Shape(4, 12), DataType.INT64),
                  m.ones(new Shape(4, 12), DataType.INT64),
                  m.create(new long[] {1, 2, 3, 4}),
                  m.create(new long[] {5, 6, 7, 8}));
          TrainStep.forwardBackward(model, m, b, new long[] {0, 1, 2, 3}, 1.0);
          double norm = opt.gradNorm(m);
          opt.step(1e-3, norm > 1 ? 1 / norm : 1, m);
        }
        int now = model.manager().getManagedArrays().size();
        if (step == 0) {
          before = now;
        }
        assertThat(now).as("arrays after step %d", step).isEqualTo(before);
      }
      // parameters + two moments each, nothing else
      assertThat(before).isEqualTo(3 * model.parameters().size());
    }
  }

  /**
   * What autograd keeps for the backward pass must not live in memory that the garbage collector
   * can free. DJL's {@code x.mul(0.125f)} kept a 0-d tensor over a Java direct buffer that was
   * already unreachable: a collection between forward and backward freed it, the allocator wrote
   * its free-list pointers over the number, and the gradients came out wrong (in training, about
   * one run in five diverged at a random step). Here a collection runs between the two.
   */
  @Test
  void gradientsDoNotDependOnGarbageCollectionBetweenForwardAndBackward() throws Exception {
    RobertaConfig cfg = RobertaConfig.small(500, 32, 2, 4, 64, Labels.RELATIONS).withDropout(0);
    try (RelationModel model = RelationModel.random(cfg, Device.cpu(), 9)) {
      long[] labels = {0, 3, 7, 1};
      Map<String, float[]> expected = gradients(model, labels, false);
      for (int round = 0; round < 3; round++) {
        Map<String, float[]> got = gradients(model, labels, true);
        for (Map.Entry<String, float[]> e : expected.entrySet()) {
          assertThat(got.get(e.getKey())).as(e.getKey()).containsExactly(e.getValue());
        }
      }
    }
  }

  private static Map<String, float[]> gradients(
      RelationModel model, long[] labels, boolean collectInBetween) throws InterruptedException {
    Map<String, float[]> out = new LinkedHashMap<>();
    try (NDManager m = model.manager().newSubManager()) {
      long[] ids = new long[4 * 9];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = 5 + (i * 53) % 450;
      }
      BatchArrays b =
          new BatchArrays(
              m.create(ids, new Shape(4, 9)),
              m.ones(new Shape(4, 9), DataType.INT64),
              m.create(new long[] {1, 2, 3, 4}),
              m.create(new long[] {5, 6, 7, 8}));
      try (GradientCollector gc = Djl.engine().newGradientCollector()) {
        NDArray loss = TrainStep.loss(m, b.logits(model, true), labels);
        if (collectInBetween) {
          // Unreachable direct buffers are freed by the JDK's reference handler after a GC.
          for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(40);
          }
        }
        gc.backward(loss);
      }
      for (Map.Entry<String, NDArray> p : model.parameters().entrySet()) {
        NDArray g = p.getValue().getGradient();
        g.attach(m);
        out.put(p.getKey(), g.toFloatArray());
        g.subi(g);
      }
    }
    return out;
  }

  @Test
  void trainingLossFallsOnAFixedBatch() {
    RobertaConfig cfg = RobertaConfig.small(500, 32, 1, 2, 64, Labels.RELATIONS).withDropout(0);
    try (RelationModel model = RelationModel.random(cfg, Device.cpu(), 5);
        AdamW opt = new AdamW(model, 0.0);
        NDManager data = model.manager().newSubManager()) {
      long[] ids = new long[8 * 10];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = 5 + (i * 37) % 400;
      }
      long[] labels = {0, 1, 2, 3, 4, 5, 6, 7};
      float first = 0;
      float last = 0;
      for (int step = 0; step < 30; step++) {
        try (NDManager m = data.newSubManager()) {
          BatchArrays b =
              new BatchArrays(
                  m.create(ids, new Shape(8, 10)),
                  m.ones(new Shape(8, 10), DataType.INT64),
                  m.create(new long[] {1, 1, 1, 1, 1, 1, 1, 1}),
                  m.create(new long[] {3, 3, 3, 3, 3, 3, 3, 3}));
          float loss = TrainStep.forwardBackward(model, m, b, labels, 1.0);
          assertThat(loss).isFinite();
          if (step == 0) {
            first = loss;
          }
          last = loss;
          opt.step(3e-3, 1.0, m);
        }
      }
      assertThat(last).isLessThan(first * 0.5f);
    }
  }

  @Test
  void accumulatingTwoHalfBatchesGivesTheFullBatchGradient() {
    RobertaConfig cfg = RobertaConfig.small(300, 16, 1, 2, 32, Labels.RELATIONS).withDropout(0);
    long[] ids = new long[4 * 6];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = 5 + (i * 13) % 290;
    }
    long[] labels = {3, 0, 7, 1};
    double[] norms = new double[2];
    for (int variant = 0; variant < 2; variant++) {
      try (RelationModel model = RelationModel.random(cfg, Device.cpu(), 9);
          AdamW opt = new AdamW(model, 0.0);
          NDManager m = model.manager().newSubManager()) {
        if (variant == 0) {
          TrainStep.forwardBackward(model, m, batch(m, ids, 0, 4), labels, 1.0);
        } else {
          TrainStep.forwardBackward(
              model, m, batch(m, ids, 0, 2), new long[] {labels[0], labels[1]}, 0.5);
          TrainStep.forwardBackward(
              model, m, batch(m, ids, 2, 4), new long[] {labels[2], labels[3]}, 0.5);
        }
        norms[variant] = opt.gradNorm(m);
      }
    }
    assertThat(norms[1]).isCloseTo(norms[0], org.assertj.core.api.Assertions.within(1e-5));
  }

  private static BatchArrays batch(NDManager m, long[] ids, int from, int to) {
    int n = to - from;
    long[] part = java.util.Arrays.copyOfRange(ids, from * 6, to * 6);
    long[] subj = new long[n];
    long[] obj = new long[n];
    java.util.Arrays.fill(subj, 1);
    java.util.Arrays.fill(obj, 4);
    return new BatchArrays(
        m.create(part, new Shape(n, 6)),
        m.ones(new Shape(n, 6), DataType.INT64),
        m.create(subj),
        m.create(obj));
  }
}
