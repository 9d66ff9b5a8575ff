package dev.kret.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.kret.Fixtures;
import dev.kret.data.KlueReDataset;
import dev.kret.data.Labels;
import dev.kret.data.LoadOptions;
import dev.kret.model.BatchArrays;
import dev.kret.model.HeadType;
import dev.kret.model.RelationModel;
import dev.kret.model.RobertaConfig;
import dev.kret.model.weights.SafetensorsReader;
import dev.kret.model.weights.TensorData;
import dev.kret.text.MarkerScheme;
import dev.kret.text.RelationEncoder;
import dev.kret.text.RelationEncoder.Encoded;
import dev.kret.text.TextTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The whole training step — typed-punct encoding, the RoBERTa forward with the entity-start head,
 * cross-entropy, backward, global-norm clipping, AdamW with decoupled decay and the warmup/decay
 * schedule — against a trajectory PyTorch computed on the same weights and rows
 * (bench/reference/train_trajectory_golden.py writes the golden file). Dropout is off, so every
 * number is deterministic; any divergence in the loss, the gradient norm or the final logits means
 * the engine no longer trains like torch.
 */
class TrainTrajectoryGoldenTest {

  static final Path FIXTURE = Fixtures.TINY_ROBERTA;

  @Test
  void eightStepsMatchPyTorch() throws Exception {
    JsonNode golden = GoldenJson.read("/golden/train-trajectory.json");
    int rows = golden.get("rows").asInt();
    int batch = golden.get("batch").asInt();
    int steps = golden.get("steps").asInt();

    try (TextTokenizer tok = TextTokenizer.load(FIXTURE, MarkerScheme.TYPED_PUNCT.addedTokens())) {
      RelationEncoder encoder = new RelationEncoder(tok, MarkerScheme.TYPED_PUNCT, 512);
      KlueReDataset sample = KlueReDataset.load(KlueReDataset.BUILTIN_SAMPLE, LoadOptions.DEFAULT);
      List<Encoded> enc = new ArrayList<>();
      int[] labels = new int[rows];
      for (int i = 0; i < rows; i++) {
        Encoded e = encoder.encode(sample.examples().get(i));
        JsonNode g = golden.get("encoded").get(i);
        assertThat(e.ids()).as("row %d ids", i).containsExactly(GoldenJson.ints(g.get("ids")));
        assertThat(e.subjectIndex()).as("row %d subject", i).isEqualTo(g.get("subject").asInt());
        assertThat(e.objectIndex()).as("row %d object", i).isEqualTo(g.get("object").asInt());
        enc.add(e);
        labels[i] = sample.labelIds()[i];
        assertThat(labels[i]).isEqualTo(g.get("label").asInt());
      }

      Map<String, TensorData> tensors =
          new LinkedHashMap<>(SafetensorsReader.read(FIXTURE.resolve("model.safetensors")));
      GoldenJson.putTensors(golden.get("head_init"), tensors);
      RobertaConfig cfg =
          RobertaConfig.read(FIXTURE.resolve("config.json"), Labels.RELATIONS)
              .withHead(HeadType.ENTITY_START)
              .withDropout(0);
      RelationModel.Loaded loaded =
          RelationModel.fromTensors(cfg, Device.cpu(), tensors, 0, "golden");
      assertThat(loaded.report().initialized()).isEmpty();

      LinearSchedule schedule =
          new LinearSchedule(
              golden.get("learning_rate").asDouble(), golden.get("warmup_steps").asLong(), steps);
      try (RelationModel model = loaded.model();
          AdamW opt = new AdamW(model, golden.get("weight_decay").asDouble())) {
        for (int s = 0; s < steps; s++) {
          JsonNode want = golden.get("trajectory").get(s);
          assertThat(schedule.rate(opt.stepCount()))
              .as("lr at step %d", s)
              .isCloseTo(want.get("lr").asDouble(), within(1e-12));
          try (NDManager m = model.manager().newSubManager()) {
            List<Encoded> items = enc.subList(s * batch, (s + 1) * batch);
            long[] y = new long[batch];
            for (int i = 0; i < batch; i++) {
              y[i] = labels[s * batch + i];
            }
            RelationEncoder.Batch b = RelationEncoder.collate(items, cfg.padTokenId());
            float loss = TrainStep.forwardBackward(model, m, BatchArrays.of(m, b), y, 1.0);
            double norm =
                TrainStep.optimizerStep(opt, schedule, golden.get("max_grad_norm").asDouble(), m);
            assertThat((double) loss)
                .as("loss at step %d", s)
                .isCloseTo(want.get("loss").asDouble(), within(2e-5));
            assertThat(norm)
                .as("gradient norm at step %d", s)
                .isCloseTo(want.get("grad_norm").asDouble(), within(2e-5));
          }
        }
        try (NDManager m = model.manager().newSubManager()) {
          RelationEncoder.Batch b =
              RelationEncoder.collate(enc.subList(0, batch), cfg.padTokenId());
          float[] logits = BatchArrays.of(m, b).logits(model, false).toFloatArray();
          JsonNode want = golden.get("final_logits_first_batch");
          int c = Labels.RELATIONS.size();
          for (int i = 0; i < batch; i++) {
            for (int k = 0; k < c; k++) {
              assertThat((double) logits[i * c + k])
                  .as("final logit[%d][%d]", i, k)
                  .isCloseTo(want.get(i).get(k).asDouble(), within(1e-4));
            }
          }
        }
      }
    }
  }
}
