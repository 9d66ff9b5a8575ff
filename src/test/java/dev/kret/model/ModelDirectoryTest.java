package dev.kret.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kret.data.Entity;
import dev.kret.data.Labels;
import dev.kret.data.RelationExample;
import dev.kret.model.weights.SafetensorsWriter;
import dev.kret.model.weights.TensorData;
import dev.kret.text.MarkerScheme;
import dev.kret.text.RelationEncoder;
import dev.kret.text.TextTokenizer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelDirectoryTest {

  static final RelationExample EXAMPLE =
      new RelationExample(
          "g-1",
          "〈Something〉는 조지 해리슨이 쓰고 비틀즈가 1969년 앨범 《Abbey Road》에 담은 노래다.",
          new Entity("비틀즈", 24, 26, "ORG"),
          new Entity("조지 해리슨", 13, 18, "PER"),
          null,
          null);

  @Test
  void savedDirectoryReopensWithTheSameSchemeWeightsAndPredictions(@TempDir Path dir)
      throws Exception {
    MarkerScheme scheme = MarkerScheme.ENTITY;
    try (TextTokenizer tok = TextTokenizer.loadBuiltin("klue-roberta-base", scheme.addedTokens())) {
      RobertaConfig cfg =
          RobertaConfig.small(tok.vocabSize(), 16, 1, 2, 32, Labels.RELATIONS)
              .withHead(HeadType.ENTITY_START);
      try (RelationModel model = RelationModel.random(cfg, Device.cpu(), 4)) {
        RelationClassifier before =
            new RelationClassifier(model, new RelationEncoder(tok, scheme, 64), tok.padId());
        float[][] expected = before.logProbabilities(List.of(EXAMPLE), 8);
        ModelDirectory.save(
            dir.resolve("epoch-1"),
            model,
            tok,
            new InputScheme(scheme.spec(), HeadType.ENTITY_START.spec(), 64),
            new ObjectMapper().createObjectNode().put("epoch", 1));

        try (ModelDirectory.Opened opened =
            ModelDirectory.open(dir.resolve("epoch-1"), Device.cpu())) {
          assertThat(opened.scheme()).isEqualTo(new InputScheme("entity", "entity-start", 64));
          assertThat(opened.report().initialized()).isEmpty();
          float[][] actual = new RelationClassifier(opened).logProbabilities(List.of(EXAMPLE), 8);
          for (int k = 0; k < 30; k++) {
            assertThat((double) actual[0][k]).isCloseTo(expected[0][k], within(1e-6));
          }
        }
      }
    }
    ObjectMapper json = new ObjectMapper();
    JsonNode config = json.readTree(dir.resolve("epoch-1/config.json").toFile());
    assertThat(config.path("id2label").path("0").asText()).isEqualTo("no_relation");
    assertThat(config.path("label2id").path("per:title").asInt()).isEqualTo(29);
    assertThat(config.path("kret_head").asText()).isEqualTo("entity-start");
    JsonNode tokenizer = json.readTree(dir.resolve("epoch-1/tokenizer.json").toFile());
    assertThat(tokenizer.path("added_tokens").findValuesAsText("content"))
        .contains("<subj>", "</subj>", "<obj>", "</obj>");
    assertThat(dir).isDirectoryNotContaining("glob:**.tmp*");
  }

  @Test
  void aDirectoryWhoseWeightsMissTensorsIsRefusedWithTheirNames(@TempDir Path dir)
      throws Exception {
    MarkerScheme scheme = MarkerScheme.ENTITY;
    Path model = dir.resolve("epoch-1");
    try (TextTokenizer tok = TextTokenizer.loadBuiltin("klue-roberta-base", scheme.addedTokens())) {
      RobertaConfig cfg =
          RobertaConfig.small(tok.vocabSize(), 16, 1, 2, 32, Labels.RELATIONS)
              .withHead(HeadType.ENTITY_START);
      try (RelationModel m = RelationModel.random(cfg, Device.cpu(), 4)) {
        ModelDirectory.save(
            model,
            m,
            tok,
            new InputScheme(scheme.spec(), HeadType.ENTITY_START.spec(), 64),
            new ObjectMapper().createObjectNode());
        // The encoder alone, as a base checkpoint holds it: no classifier.
        List<TensorData> encoder =
            m.toTensors().stream().filter(t -> !t.name().startsWith("classifier.")).toList();
        SafetensorsWriter.write(
            model.resolve("model.safetensors"), encoder, java.util.Map.of("format", "pt"));
      }
    }
    // Before, the head was filled with random values and the model served them.
    assertThatThrownBy(() -> ModelDirectory.open(model, Device.cpu()))
        .isInstanceOf(java.io.IOException.class)
        .hasMessageContaining("miss 4 tensors")
        .hasMessageContaining("classifier.dense.weight")
        .hasMessageContaining("classifier.out_proj.bias");
  }
}
