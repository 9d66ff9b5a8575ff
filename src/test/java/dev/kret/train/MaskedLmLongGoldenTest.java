package dev.kret.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.kret.Fixtures;
import dev.kret.data.KlueReDataset;
import dev.kret.data.Labels;
import dev.kret.data.LoadOptions;
import dev.kret.model.BatchArrays;
import dev.kret.model.MaskedLmHead;
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
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * 200 masked-LM steps against transformers' RobertaForMaskedLM (bench/reference/mlm_long_golden.py
 * writes the golden file): the whole learning-rate schedule (warmup from 0, linear decay to 0), a
 * weight decay of 0.5 (so a wrong decay or no-decay set shows far beyond the tolerance, which 0.01
 * over 4 steps does not), clipping, AdamW's bias correction over many steps, the tied decoder's
 * gradient and decay, with the masks pinned by a hash both sides compute. Checked: every step's
 * learning rate, masked-token count, masked input ids (summed), loss and gradient norm, every
 * parameter's norm after the last step and the whole 32,000-logit row at two positions. Dropout is
 * off here; {@code dev.kret.model.DropoutTest} checks it statistically.
 */
class MaskedLmLongGoldenTest {

  static final Path FIXTURE = Fixtures.TINY_ROBERTA;

  /** The golden's mask hash of the {@code k}-th maskable token of a step's batch. */
  static long pinned(int step, long k) {
    long h = ((k + 1) * 2654435761L + (step + 1) * 40503L) & 0xFFFFFFFFL;
    h ^= h >>> 15;
    h = (h * 2246822519L) & 0xFFFFFFFFL;
    h ^= h >>> 13;
    return h;
  }

  /** The step's batch masked as the golden script masks it. */
  static MaskedLmPretraining.Masked mask(
      RelationEncoder.Batch batch,
      int step,
      double p,
      int maskId,
      Set<Integer> special,
      int vocab) {
    int len = batch.sequenceLength();
    long[][] ids = new long[batch.size()][];
    List<Long> positions = new ArrayList<>();
    List<Long> targets = new ArrayList<>();
    long k = 0;
    for (int i = 0; i < ids.length; i++) {
      ids[i] = batch.ids()[i].clone();
      for (int j = 0; j < len; j++) {
        long id = ids[i][j];
        if (batch.mask()[i][j] == 0 || special.contains((int) id)) {
          continue;
        }
        long h = pinned(step, k++);
        if (h % 1000 >= Math.round(p * 1000)) {
          continue;
        }
        positions.add((long) i * len + j);
        targets.add(id);
        long kind = (h >>> 12) % 10;
        if (kind < 8) {
          ids[i][j] = maskId;
        } else if (kind == 8) {
          ids[i][j] = (h >>> 4) % vocab;
        }
      }
    }
    return new MaskedLmPretraining.Masked(
        new RelationEncoder.Batch(ids, batch.mask(), batch.subjectIndex(), batch.objectIndex()),
        positions.stream().mapToLong(Long::longValue).toArray(),
        targets.stream().mapToLong(Long::longValue).toArray());
  }

  @Test
  void twoHundredStepsWithTheWholeScheduleMatchTransformers() throws Exception {
    JsonNode golden = GoldenJson.read("/golden/mlm-long.json");
    int rows = golden.get("rows").asInt();
    int batchSize = golden.get("batch").asInt();
    int steps = golden.get("steps").asInt();
    double prob = golden.get("mlm_probability").asDouble();
    Map<String, TensorData> tensors =
        new LinkedHashMap<>(SafetensorsReader.read(FIXTURE.resolve("model.safetensors")));
    Map<String, TensorData> headInit = new LinkedHashMap<>();
    GoldenJson.putTensors(golden.get("head_init"), headInit);
    RobertaConfig cfg =
        RobertaConfig.read(FIXTURE.resolve("config.json"), Labels.RELATIONS).withDropout(0);
    LinearSchedule schedule =
        new LinearSchedule(
            golden.get("learning_rate").asDouble(), golden.get("warmup_steps").asLong(), steps);
    try (TextTokenizer tok = TextTokenizer.load(FIXTURE, MarkerScheme.TYPED_PUNCT.addedTokens());
        RelationModel model =
            RelationModel.fromTensors(cfg, Device.cpu(), tensors, 0, "golden").model();
        MaskedLmHead head = MaskedLmHead.create(model, headInit, 0)) {
      assertThat(head.loaded()).hasSize(5);
      RelationEncoder encoder = new RelationEncoder(tok, MarkerScheme.TYPED_PUNCT, 512);
      KlueReDataset sample = KlueReDataset.load(KlueReDataset.BUILTIN_SAMPLE, LoadOptions.DEFAULT);
      List<Encoded> enc = new ArrayList<>();
      for (int i = 0; i < rows; i++) {
        enc.add(encoder.encode(sample.examples().get(i)));
      }
      Map<String, NDArray> params = MaskedLmPretraining.parameters(model, head);
      double worstLoss = 0;
      double worstNorm = 0;
      try (AdamW opt =
          new AdamW(
              params, model.manager(), golden.get("weight_decay").asDouble(), 0.9, 0.999, 1e-8)) {
        for (int s = 0; s < steps; s++) {
          JsonNode want = golden.get("trajectory").get(s);
          assertThat(schedule.rate(opt.stepCount()))
              .as("lr at step %d", s)
              .isCloseTo(want.get("lr").asDouble(), within(1e-12));
          MaskedLmPretraining.Masked mk =
              mask(
                  batch(enc, s, batchSize, rows, cfg),
                  s,
                  prob,
                  tok.maskId(),
                  tok.specialIds(),
                  cfg.vocabSize());
          assertThat(mk.positions()).as("masked at step %d", s).hasSize(want.get("masked").asInt());
          long sum = 0;
          for (long[] row : mk.batch().ids()) {
            for (long id : row) {
              sum += id;
            }
          }
          assertThat(sum)
              .as("masked input ids at step %d", s)
              .isEqualTo(want.get("input_sum").asLong());
          try (NDManager m = model.manager().newSubManager()) {
            float loss = MaskedLmPretraining.forwardBackward(head, m, mk, 1.0);
            double norm =
                TrainStep.optimizerStep(opt, schedule, golden.get("max_grad_norm").asDouble(), m);
            double wantLoss = want.get("loss").asDouble();
            double wantNorm = want.get("grad_norm").asDouble();
            worstLoss = Math.max(worstLoss, Math.abs(loss - wantLoss));
            worstNorm = Math.max(worstNorm, Math.abs(norm - wantNorm) / wantNorm);
            assertThat((double) loss).as("loss at step %d", s).isCloseTo(wantLoss, within(2e-4));
            assertThat(norm)
                .as("gradient norm at step %d", s)
                .isCloseTo(wantNorm, within(2e-4 * wantNorm));
          }
        }
      }
      System.err.printf(
          "mlm-long: largest loss difference %.2e, gradient norm %.2e relative%n",
          worstLoss, worstNorm);
      double worstParam = 0;
      for (Map.Entry<String, NDArray> e : params.entrySet()) {
        if (e.getKey().endsWith("attention.self.key.bias")) {
          // Softmax ignores a constant added to every score, so the key bias gets only rounding
          // noise as its gradient, which Adam scales up to full-size steps: it wanders on both
          // sides without changing any output.
          continue;
        }
        double got = 0;
        for (float x : e.getValue().toFloatArray()) {
          got += (double) x * x;
        }
        got = Math.sqrt(got);
        double want = golden.get("final_param_norms").get(e.getKey()).asDouble();
        worstParam = Math.max(worstParam, Math.abs(got - want));
        assertThat(got)
            .as("norm of %s after the last step", e.getKey())
            .isCloseTo(want, within(1e-4 + 1e-4 * want));
      }
      assertThat(golden.get("final_param_norms").size()).isEqualTo(params.size());
      RelationEncoder.Batch first =
          mask(
                  batch(enc, 0, batchSize, rows, cfg),
                  0,
                  prob,
                  tok.maskId(),
                  tok.specialIds(),
                  cfg.vocabSize())
              .batch();
      double worstLogit = 0;
      try (NDManager m = model.manager().newSubManager()) {
        BatchArrays in = BatchArrays.of(m, first);
        NDArray h =
            model
                .encode(in.ids(), in.mask(), false)
                .reshape((long) first.size() * first.sequenceLength(), cfg.hiddenSize());
        var it = golden.get("final_logits").fields();
        while (it.hasNext()) {
          var e = it.next();
          long pos = Long.parseLong(e.getKey());
          float[] want = GoldenJson.tensor(e.getKey(), e.getValue()).data();
          float[] got = head.logits(h.get(pos).reshape(1, cfg.hiddenSize())).toFloatArray();
          assertThat(got).hasSize(cfg.vocabSize()).hasSameSizeAs(want);
          int worstAt = 0;
          double worstHere = 0;
          for (int v = 0; v < want.length; v++) {
            if (Math.abs(got[v] - want[v]) > worstHere) {
              worstHere = Math.abs(got[v] - want[v]);
              worstAt = v;
            }
          }
          worstLogit = Math.max(worstLogit, worstHere);
          assertThat((double) got[worstAt])
              .as("final logit at position %d, token %d (the farthest of the row)", pos, worstAt)
              .isCloseTo(want[worstAt], within(5e-4));
        }
      }
      System.err.printf(
          "mlm-long: largest final parameter-norm difference %.2e, logit difference %.2e%n",
          worstParam, worstLogit);
    }
  }

  /** Rows of step {@code s}: four passes over the rows in the order 0, 7, 14, … (mod rows). */
  private static RelationEncoder.Batch batch(
      List<Encoded> enc, int s, int batchSize, int rows, RobertaConfig cfg) {
    int[] idx = new int[batchSize];
    for (int i = 0; i < batchSize; i++) {
      idx[i] = (int) (((long) (s * batchSize + i) * 7) % rows);
    }
    return EpochLoop.collate(enc, idx, cfg.padTokenId());
  }
}
