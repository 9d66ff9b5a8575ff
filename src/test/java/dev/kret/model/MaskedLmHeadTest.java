package dev.kret.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.kret.data.Labels;
import dev.kret.model.weights.TensorData;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MaskedLmHeadTest {

  @Test
  void aCheckpointHeadKeepsItsBiasRowsWhenMarkerTokensWereAdded() {
    // A checkpoint with a 40-token vocabulary, a model with 4 added marker tokens.
    RobertaConfig cfg = RobertaConfig.small(44, 8, 1, 2, 16, Labels.RELATIONS);
    float[] bias = new float[40];
    for (int i = 0; i < bias.length; i++) {
      bias[i] = i + 1;
    }
    float[] dense = new float[64];
    java.util.Arrays.fill(dense, 0.5f);
    Map<String, TensorData> ckpt =
        Map.of(
            "lm_head.bias", new TensorData("lm_head.bias", new long[] {40}, bias),
            "lm_head.dense.weight",
                new TensorData("lm_head.dense.weight", new long[] {8, 8}, dense),
            "lm_head.decoder.weight",
                new TensorData("lm_head.decoder.weight", new long[] {40, 8}, new float[320]));
    try (RelationModel model = RelationModel.random(cfg, Device.cpu(), 1);
        MaskedLmHead head = MaskedLmHead.create(model, ckpt, 1)) {
      assertThat(head.loaded()).containsExactlyInAnyOrder("lm_head.bias", "lm_head.dense.weight");
      float[] got = head.parameters().get("lm_head.bias").toFloatArray();
      assertThat(got).hasSize(44);
      assertThat(got[0]).isEqualTo(1f);
      assertThat(got[39]).isEqualTo(40f);
      assertThat(got[40]).isZero();
      assertThat(head.parameters().get("lm_head.dense.weight").toFloatArray()).containsOnly(0.5f);
      assertThat(head.parameters().get("lm_head.layer_norm.weight").toFloatArray())
          .containsOnly(1f);
      // The decoder is the encoder's word-embedding table, not a parameter of the head.
      assertThat(head.parameters()).doesNotContainKey("lm_head.decoder.weight");
    }
  }
}
