package dev.kret.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.kret.Fixtures;
import dev.kret.data.Labels;
import dev.kret.model.BatchArrays;
import dev.kret.model.MaskedLmHead;
import dev.kret.model.RelationModel;
import dev.kret.model.RobertaConfig;
import dev.kret.model.weights.SafetensorsReader;
import dev.kret.model.weights.TensorData;
import dev.kret.text.RelationEncoder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Masked-LM training steps — the RoBERTa forward, the LM head (dense, gelu, LayerNorm, decoder tied
 * to the word embeddings, bias), cross-entropy over the masked positions, backward through both
 * uses of the embedding table, clipping, AdamW over encoder and head — against transformers'
 * RobertaForMaskedLM on the same weights and masked inputs (bench/reference/mlm_golden.py writes
 * the golden file). Dropout is off; a wrong tie, head order or loss normalisation shows as a
 * different loss or gradient norm.
 */
class MaskedLmGoldenTest {

  static final Path FIXTURE = Fixtures.TINY_ROBERTA;

  @Test
  void fourStepsMatchTransformers() throws Exception {
    JsonNode golden = GoldenJson.read("/golden/mlm-steps.json");
    Map<String, TensorData> tensors =
        new LinkedHashMap<>(SafetensorsReader.read(FIXTURE.resolve("model.safetensors")));
    Map<String, TensorData> headInit = new LinkedHashMap<>();
    GoldenJson.putTensors(golden.get("head_init"), headInit);
    RobertaConfig cfg =
        RobertaConfig.read(FIXTURE.resolve("config.json"), Labels.RELATIONS).withDropout(0);
    int steps = golden.get("steps").asInt();
    LinearSchedule schedule =
        new LinearSchedule(
            golden.get("learning_rate").asDouble(), golden.get("warmup_steps").asLong(), steps);
    try (RelationModel model =
            RelationModel.fromTensors(cfg, Device.cpu(), tensors, 0, "golden").model();
        MaskedLmHead head = MaskedLmHead.create(model, headInit, 0)) {
      assertThat(head.loaded()).hasSize(5);
      try (AdamW opt =
          new AdamW(
              MaskedLmPretraining.parameters(model, head),
              model.manager(),
              golden.get("weight_decay").asDouble(),
              0.9,
              0.999,
              1e-8)) {
        for (int s = 0; s < steps; s++) {
          JsonNode want = golden.get("trajectory").get(s);
          assertThat(schedule.rate(opt.stepCount()))
              .as("lr at step %d", s)
              .isCloseTo(want.get("lr").asDouble(), within(1e-12));
          MaskedLmPretraining.Masked mk =
              new MaskedLmPretraining.Masked(
                  batch(want),
                  GoldenJson.longs(want.get("positions")),
                  GoldenJson.longs(want.get("targets")));
          try (NDManager m = model.manager().newSubManager()) {
            float loss = MaskedLmPretraining.forwardBackward(head, m, mk, 1.0);
            double norm =
                TrainStep.optimizerStep(opt, schedule, golden.get("max_grad_norm").asDouble(), m);
            assertThat((double) loss)
                .as("loss at step %d", s)
                .isCloseTo(want.get("loss").asDouble(), within(1e-4));
            assertThat(norm)
                .as("gradient norm at step %d", s)
                .isCloseTo(want.get("grad_norm").asDouble(), within(1e-4));
          }
        }
      }
      JsonNode first = golden.get("trajectory").get(0);
      RelationEncoder.Batch b = batch(first);
      try (NDManager m = model.manager().newSubManager()) {
        BatchArrays in = BatchArrays.of(m, b);
        NDArray h =
            model
                .encode(in.ids(), in.mask(), false)
                .reshape((long) b.size() * b.sequenceLength(), cfg.hiddenSize());
        JsonNode want = golden.get("final_logits_first_positions");
        for (int k = 0; k < want.size(); k++) {
          long pos = first.get("positions").get(k).asLong();
          float[] logits = head.logits(h.get(pos).reshape(1, cfg.hiddenSize())).toFloatArray();
          for (int v = 0; v < want.get(k).size(); v++) {
            assertThat((double) logits[v])
                .as("final logit at position %d, token %d", pos, v)
                .isCloseTo(want.get(k).get(v).asDouble(), within(1e-4));
          }
        }
      }
    }
  }

  /** A step's masked input ids and attention mask as a batch. */
  private static RelationEncoder.Batch batch(JsonNode step) {
    long[][] ids = rows(step.get("input_ids"));
    return new RelationEncoder.Batch(
        ids, rows(step.get("attention_mask")), new int[ids.length], new int[ids.length]);
  }

  private static long[][] rows(JsonNode arr) {
    long[][] out = new long[arr.size()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = GoldenJson.longs(arr.get(i));
    }
    return out;
  }
}
