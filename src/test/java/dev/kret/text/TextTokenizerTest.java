package dev.kret.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kret.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextTokenizerTest {

  static final Path KLUE = Fixtures.KLUE_ROBERTA_TOKENIZER;
  static final ObjectMapper MAPPER = new ObjectMapper();

  static TextTokenizer markers;

  static List<String> allMarkers() {
    List<String> out = new ArrayList<>(MarkerScheme.ENTITY.addedTokens());
    out.addAll(MarkerScheme.TYPED.addedTokens());
    return out;
  }

  @BeforeAll
  static void loadTokenizer() throws Exception {
    markers = TextTokenizer.load(KLUE, allMarkers());
  }

  @AfterAll
  static void closeTokenizer() {
    markers.close();
  }

  @Test
  void reproducesPublishedKlueRobertaIds() throws Exception {
    JsonNode vectors = MAPPER.readTree(KLUE.resolve("test_vectors.json").toFile());
    try (TextTokenizer tok = TextTokenizer.load(KLUE, List.of())) {
      for (JsonNode c : vectors.get("cases")) {
        TextTokenizer.Tokens t = tok.encode(c.get("text").asText());
        assertThat(t.ids()).containsExactly(ints(c.get("input_ids")));
        if (c.has("tokens")) {
          List<String> expected = new ArrayList<>();
          c.get("tokens").forEach(n -> expected.add(n.asText()));
          assertThat(t.tokens()).containsExactlyElementsOf(expected);
        }
      }
      vectors
          .get("special_ids")
          .properties()
          .forEach(e -> assertThat(tok.tokenId(e.getKey())).isEqualTo(e.getValue().asInt()));
      assertThat(tok.clsId()).isZero();
      assertThat(tok.padId()).isEqualTo(1);
      assertThat(tok.sepId()).isEqualTo(2);
      assertThat(tok.vocabSize()).isEqualTo(32000);
    }
  }

  @Test
  void builtinKlueRobertaMatchesFixtureVocab() throws Exception {
    JsonNode vectors = MAPPER.readTree(KLUE.resolve("test_vectors.json").toFile());
    try (TextTokenizer tok = TextTokenizer.fromSpec("builtin:klue-roberta-base", List.of())) {
      JsonNode c = vectors.get("cases").get(0);
      assertThat(tok.encode(c.get("text").asText()).ids())
          .containsExactly(ints(c.get("input_ids")));
    }
  }

  @Test
  void namesItsMaskAndSpecialTokensForMaskedLmTraining() throws Exception {
    try (TextTokenizer tok = TextTokenizer.fromSpec("builtin:klue-roberta-base", List.of())) {
      assertThat(tok.token(tok.maskId())).isEqualTo("[MASK]");
      assertThat(tok.specialIds())
          .containsExactlyInAnyOrder(
              tok.padId(), tok.clsId(), tok.sepId(), tok.maskId(), tok.tokenId("[UNK]"));
    }
  }

  @Test
  void rejectsUnknownBuiltin() {
    assertThatThrownBy(() -> TextTokenizer.loadBuiltin("no-such-model", List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no-such-model");
  }

  @Test
  void buildsBertTokenizerJsonFromVocab() throws Exception {
    ObjectNode doc =
        TokenizerJson.fromVocab(
            KLUE.resolve("vocab.txt"), KLUE.resolve("tokenizer_config.json"), List.of("<subj>"));
    assertThat(doc.at("/normalizer/type").asText()).isEqualTo("BertNormalizer");
    assertThat(doc.at("/normalizer/lowercase").asBoolean()).isFalse();
    assertThat(doc.at("/normalizer/strip_accents").isNull()).isTrue();
    assertThat(doc.at("/normalizer/handle_chinese_chars").asBoolean()).isTrue();
    assertThat(doc.at("/pre_tokenizer/type").asText()).isEqualTo("BertPreTokenizer");
    assertThat(doc.at("/model/type").asText()).isEqualTo("WordPiece");
    assertThat(doc.at("/model/max_input_chars_per_word").asInt()).isEqualTo(100);
    assertThat(doc.at("/model/vocab").fieldNames().next()).isEqualTo("[CLS]");
    assertThat(doc.at("/post_processor/special_tokens/[SEP]/ids/0").asInt()).isEqualTo(2);
    List<String> added = new ArrayList<>();
    doc.get("added_tokens").forEach(t -> added.add(t.get("content").asText() + "=" + t.get("id")));
    assertThat(added)
        .containsExactly("[CLS]=0", "[PAD]=1", "[SEP]=2", "[UNK]=3", "[MASK]=4", "<subj>=32000");
  }

  @Test
  void appendsExtraTokensAfterTheVocabulary() {
    assertThat(markers.vocabSize()).isEqualTo(32000 + 28);
    assertThat(markers.tokenId("<subj>")).isEqualTo(32000);
    assertThat(markers.tokenId("</obj>")).isEqualTo(32003);
    assertThat(markers.tokenId("<subj:PER>")).isEqualTo(32004);
    assertThat(markers.token(32004)).isEqualTo("<subj:PER>");
    assertThat(markers.addedTokens()).containsExactlyElementsOf(allMarkers());
  }

  @Test
  void entityAndTypedMarkersAreSingleTokens() {
    for (String marker : allMarkers()) {
      TextTokenizer.Tokens t = markers.encode("김진우" + marker + "한국투자증권 " + marker + " 대표");
      long count = java.util.Arrays.stream(t.tokens()).filter(marker::equals).count();
      assertThat(count).as(marker).isEqualTo(2);
      assertThat(t.ids()).contains(markers.tokenId(marker));
      assertThat(String.join(" ", t.tokens())).doesNotContain("< ").doesNotContain("##>");
    }
  }

  @Test
  void reportsOffsetsInCodePoints() {
    // U+1D400 is one code point but two UTF-16 chars; offsets after it must not shift.
    String text = "\uD835\uDC00 가나 다";
    TextTokenizer.Tokens t = markers.encode(text);
    int last = t.length() - 2;
    assertThat(t.tokens()[last]).isEqualTo("다");
    assertThat(t.starts()[last]).isEqualTo(5);
    assertThat(t.ends()[last]).isEqualTo(6);
    assertThat(t.starts()[0]).isEqualTo(-1);
  }

  @Test
  void tokenizerJsonRoundTrips(@TempDir Path dir) throws Exception {
    String text = "<subj:PER> 김진우 </subj:PER> <obj> 한국투자증권 </obj> 연구원은 말했다.";
    markers.save(dir);
    assertThat(dir.resolve("tokenizer.json")).exists();
    JsonNode config = MAPPER.readTree(dir.resolve("tokenizer_config.json").toFile());
    assertThat(config.get("additional_special_tokens")).hasSize(28);
    try (TextTokenizer reloaded = TextTokenizer.load(dir, allMarkers())) {
      assertThat(reloaded.encode(text).ids()).containsExactly(markers.encode(text).ids());
      assertThat(reloaded.vocabSize()).isEqualTo(markers.vocabSize());
      assertThat(reloaded.json()).isEqualTo(markers.json());
    }
  }

  @Test
  void addsMissingExtraTokensToAnExistingTokenizerJson(@TempDir Path dir) throws Exception {
    try (TextTokenizer base = TextTokenizer.load(KLUE, MarkerScheme.ENTITY.addedTokens())) {
      base.save(dir);
    }
    assertThat(Files.exists(dir.resolve("vocab.txt"))).isFalse();
    try (TextTokenizer tok = TextTokenizer.load(dir, allMarkers())) {
      assertThat(tok.tokenId("<subj>")).isEqualTo(32000);
      assertThat(tok.tokenId("<subj:PER>")).isEqualTo(32004);
      assertThat(tok.vocabSize()).isEqualTo(32028);
      assertThat(tok.encode("<obj:NOH>").ids()).containsExactly(0, tok.tokenId("<obj:NOH>"), 2);
    }
  }

  static int[] ints(JsonNode array) {
    int[] out = new int[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).asInt();
    }
    return out;
  }
}
