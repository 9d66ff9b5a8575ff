package dev.kret.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.kret.data.Labels;
import dev.kret.model.weights.TensorData;
import dev.kret.model.weights.TensorSource;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RelationModelLoadTest {

  static final RobertaConfig CFG = RobertaConfig.small(40, 8, 1, 2, 16, Labels.RELATIONS);

  static Map<String, TensorData> maskedLmCheckpoint(RobertaConfig encoderCfg, boolean prefixed) {
    Map<String, TensorData> t = new LinkedHashMap<>();
    RelationModel.shapes(encoderCfg)
        .forEach(
            (name, shape) -> {
              if (name.startsWith("classifier.")) {
                return;
              }
              String n = prefixed ? name : name.substring("roberta.".length());
              t.put(n, new TensorData(n, shape, new float[(int) numel(shape)]));
            });
    t.put(
        "lm_head.dense.weight",
        new TensorData("lm_head.dense.weight", new long[] {8, 8}, new float[64]));
    t.put(
        "roberta.pooler.dense.bias",
        new TensorData("roberta.pooler.dense.bias", new long[] {8}, new float[8]));
    return t;
  }

  static long numel(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }

  @Test
  void ignoresUnexpectedKeysAndInitialisesMissingHeadLikeFromPretrained() {
    RelationModel.Loaded l =
        RelationModel.fromTensors(CFG, Device.cpu(), maskedLmCheckpoint(CFG, true), 1, "ckpt");
    try (RelationModel m = l.model()) {
      assertThat(l.report().unexpected())
          .containsExactlyInAnyOrder("lm_head.dense.weight", "roberta.pooler.dense.bias");
      assertThat(l.report().initialized())
          .containsExactly(
              "classifier.dense.weight",
              "classifier.dense.bias",
              "classifier.out_proj.weight",
              "classifier.out_proj.bias");
      // loaded encoder weights are the checkpoint's zeros, not a random init
      assertThat(
              m.parameters()
                  .get("roberta.encoder.layer.0.attention.self.query.weight")
                  .sum()
                  .getFloat())
          .isZero();
    }
  }

  @Test
  void fromScratchEmbeddingsTakeTheirOwnScaleAndKeepThePaddingRowZero() {
    RobertaConfig cfg = RobertaConfig.small(2000, 64, 1, 2, 128, Labels.RELATIONS);
    try (RelationModel hf = RelationModel.random(cfg, Device.cpu(), 7);
        RelationModel wide = RelationModel.random(cfg, Device.cpu(), 7, 1.0)) {
      String words = "roberta.embeddings.word_embeddings.weight";
      String query = "roberta.encoder.layer.0.attention.self.query.weight";
      assertThat(std(hf.parameters().get(words).toFloatArray())).isBetween(0.019, 0.021);
      assertThat(std(wide.parameters().get(words).toFloatArray())).isBetween(0.98, 1.02);
      assertThat(std(wide.parameters().get(query).toFloatArray())).isBetween(0.019, 0.021);
      float[] w = wide.parameters().get(words).toFloatArray();
      for (int k = 0; k < 64; k++) {
        assertThat(w[cfg.padTokenId() * 64 + k]).isZero();
      }
    }
  }

  private static double std(float[] v) {
    double sum = 0;
    double sq = 0;
    for (float x : v) {
      sum += x;
      sq += (double) x * x;
    }
    double mean = sum / v.length;
    return Math.sqrt(sq / v.length - mean * mean);
  }

  @Test
  void acceptsNamesWithoutTheRobertaPrefix() {
    RelationModel.Loaded l =
        RelationModel.fromTensors(CFG, Device.cpu(), maskedLmCheckpoint(CFG, false), 1, "ckpt");
    try (RelationModel m = l.model()) {
      assertThat(l.report().loaded()).contains("roberta.embeddings.word_embeddings.weight");
      assertThat(l.report().initialized()).allMatch(n -> n.startsWith("classifier."));
    }
  }

  @Test
  void keepsPretrainedRowsWhenMarkerTokensGrowTheVocabulary() {
    RobertaConfig small = CFG.withVocabSize(36);
    RelationModel.Loaded l =
        RelationModel.fromTensors(CFG, Device.cpu(), maskedLmCheckpoint(small, true), 1, "ckpt");
    try (RelationModel m = l.model()) {
      float[] emb = m.parameters().get("roberta.embeddings.word_embeddings.weight").toFloatArray();
      for (int i = 0; i < 36 * 8; i++) {
        assertThat(emb[i]).isZero();
      }
      boolean anyNonZero = false;
      for (int i = 36 * 8; i < 40 * 8; i++) {
        anyNonZero |= emb[i] != 0f;
      }
      assertThat(anyNonZero).isTrue();
      assertThat(l.report().initialized()).anyMatch(s -> s.contains("rows 36..39"));
    }
  }

  @Test
  void excludesBiasesAndLayerNormFromWeightDecay() {
    assertThat(RelationModel.noDecay("roberta.encoder.layer.0.output.dense.bias")).isTrue();
    assertThat(RelationModel.noDecay("roberta.embeddings.LayerNorm.weight")).isTrue();
    assertThat(RelationModel.noDecay("roberta.encoder.layer.0.output.dense.weight")).isFalse();
    assertThat(RelationModel.noDecay("roberta.embeddings.word_embeddings.weight")).isFalse();
  }

  @Test
  void loadsEachUsedTensorOnceStraightIntoNativeMemoryAndNeverReadsTheRest() throws IOException {
    Map<String, TensorData> ckpt = maskedLmCheckpoint(CFG, true);
    java.util.List<String> direct = new java.util.ArrayList<>();
    java.util.List<String> arrays = new java.util.ArrayList<>();
    TensorSource all = TensorSource.of(ckpt);
    TensorSource counting =
        new TensorSource() {
          @Override
          public Map<String, long[]> shapes() {
            return all.shapes();
          }

          @Override
          public TensorData read(String name) throws IOException {
            arrays.add(name);
            return all.read(name);
          }

          @Override
          public java.nio.ByteBuffer readDirect(String name) throws IOException {
            direct.add(name);
            return all.readDirect(name);
          }
        };
    RelationModel.Loaded l = RelationModel.fromSource(CFG, Device.cpu(), counting, 1, "ckpt");
    try (RelationModel m = l.model()) {
      assertThat(direct).containsExactlyElementsOf(l.report().loaded());
      // Nothing through a Java array, and the tensors the model does not use are not read.
      assertThat(arrays).isEmpty();
      assertThat(direct).doesNotContain("lm_head.dense.weight", "roberta.pooler.dense.bias");
      assertThat(m.parameters().get("roberta.embeddings.LayerNorm.weight").toFloatArray())
          .containsOnly(0f);
    }
  }
}
