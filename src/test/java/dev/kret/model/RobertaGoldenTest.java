package dev.kret.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kret.Fixtures;
import dev.kret.data.Labels;
import dev.kret.model.weights.PytorchCheckpointReader;
import dev.kret.model.weights.SafetensorsReader;
import dev.kret.model.weights.TensorData;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RobertaGoldenTest {

  static final Path DIR = Fixtures.TINY_ROBERTA;

  @ParameterizedTest
  @ValueSource(strings = {"model.safetensors", "pytorch_model.bin"})
  void reproducesGoldenLogitsFromEitherWeightFile(String file) throws Exception {
    JsonNode golden = new ObjectMapper().readTree(DIR.resolve("golden.json").toFile());
    Map<String, TensorData> tensors =
        file.endsWith(".bin")
            ? PytorchCheckpointReader.read(DIR.resolve(file))
            : SafetensorsReader.read(DIR.resolve(file));
    RobertaConfig cfg = RobertaConfig.read(DIR.resolve("config.json"), Labels.RELATIONS);
    RelationModel.Loaded loaded = RelationModel.fromTensors(cfg, Device.cpu(), tensors, 0, file);
    assertThat(loaded.report().initialized()).isEmpty();
    assertThat(loaded.report().unexpected()).isEmpty();
    try (RelationModel model = loaded.model();
        NDManager m = model.manager().newSubManager()) {
      JsonNode ids = golden.get("input_ids");
      int b = ids.size();
      int t = ids.get(0).size();
      long[] flatIds = new long[b * t];
      long[] flatMask = new long[b * t];
      for (int i = 0; i < b; i++) {
        for (int j = 0; j < t; j++) {
          flatIds[i * t + j] = ids.get(i).get(j).asLong();
          flatMask[i * t + j] = golden.get("attention_mask").get(i).get(j).asLong();
        }
      }
      NDArray idArr = m.create(flatIds, new Shape(b, t));
      NDArray maskArr = m.create(flatMask, new Shape(b, t));
      // The first token's last-layer state, all H values of every row (padded rows included:
      // their first token is real), so an encoder error the classifier head happens to hide
      // still shows.
      JsonNode hidden = golden.get("first_token_hidden_last_layer");
      int h = cfg.hiddenSize();
      float[] states = model.encode(idArr, maskArr, false).toFloatArray();
      assertThat(hidden.size()).isEqualTo(b);
      for (int i = 0; i < b; i++) {
        assertThat(hidden.get(i).size()).isEqualTo(h);
        for (int k = 0; k < h; k++) {
          assertThat((double) states[i * t * h + k])
              .as("hidden_last[%d][0][%d]", i, k)
              .isCloseTo(hidden.get(i).get(k).asDouble(), within(1e-4));
        }
      }
      NDArray zeros = m.zeros(new Shape(b), ai.djl.ndarray.types.DataType.INT64);
      float[] logits = model.logits(idArr, maskArr, zeros, zeros, false).toFloatArray();
      JsonNode expected = golden.get("logits");
      int c = expected.get(0).size();
      for (int i = 0; i < b; i++) {
        for (int k = 0; k < c; k++) {
          assertThat((double) logits[i * c + k])
              .as("logit[%d][%d]", i, k)
              .isCloseTo(expected.get(i).get(k).asDouble(), within(1e-4));
        }
      }
    }
  }
}
