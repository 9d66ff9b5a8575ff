package dev.kret.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.kret.data.Labels;
import dev.kret.model.BatchArrays;
import dev.kret.model.RelationModel;
import dev.kret.model.RobertaConfig;
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
}
