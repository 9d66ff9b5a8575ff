package dev.kret.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds and edits Hugging Face {@code tokenizer.json} documents, because the tokenizers binding
 * can neither convert a BertTokenizer {@code vocab.txt} nor add tokens at run time.
 */
public final class TokenizerJson {

  static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  /**
   * The tokenizer_config.json keys of the special tokens, in the order BertTokenizer lists them.
   */
  static final List<String> SPECIAL_KEYS =
      List.of("pad_token", "unk_token", "cls_token", "sep_token", "mask_token");

  private static final Map<String, String> BERT_DEFAULTS =
      Map.of(
          "pad_token", "[PAD]",
          "unk_token", "[UNK]",
          "cls_token", "[CLS]",
          "sep_token", "[SEP]",
          "mask_token", "[MASK]");

  private TokenizerJson() {}

  /**
   * A tokenizer.json equivalent to {@code BertTokenizer(vocab.txt, **tokenizer_config)} as
   * transformers' BertConverter writes it, plus {@code addedTokens} (special, never split) with ids
   * after the vocabulary.
   *
   * @param tokenizerConfigJson may be null: BertTokenizer's defaults then apply
   */
  public static ObjectNode fromVocab(
      Path vocabTxt, Path tokenizerConfigJson, List<String> addedTokens) throws IOException {
    List<String> vocab = readVocab(Files.readString(vocabTxt, StandardCharsets.UTF_8));
    JsonNode config =
        tokenizerConfigJson == null ? null : MAPPER.readTree(tokenizerConfigJson.toFile());
    return fromVocab(vocab, config, addedTokens);
  }

  /** As {@link #fromVocab(Path, Path, List)}, from the vocabulary lines and a parsed config. */
  public static ObjectNode fromVocab(
      List<String> vocab, JsonNode tokenizerConfig, List<String> addedTokens) {
    JsonNode config = tokenizerConfig == null ? F.objectNode() : tokenizerConfig;
    // Like BertTokenizer.load_vocab: a repeated line maps to its last index.
    Map<String, Integer> ids = new LinkedHashMap<>();
    for (int i = 0; i < vocab.size(); i++) {
      ids.put(vocab.get(i), i);
    }
    Map<String, String> special = specialTokens(config, BERT_DEFAULTS);
    boolean lowercase = config.path("do_lower_case").asBoolean(true);

    ObjectNode doc = F.objectNode();
    doc.put("version", "1.0");
    doc.putNull("truncation");
    doc.putNull("padding");

    ArrayNode added = doc.putArray("added_tokens");
    int next = ids.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
    List<Map.Entry<String, Integer>> specials = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (String key : SPECIAL_KEYS) {
      String content = special.get(key);
      if (content != null && seen.add(content)) {
        Integer id = ids.get(content);
        specials.add(Map.entry(content, id != null ? id : next++));
      }
    }
    specials.sort(Map.Entry.comparingByValue());
    for (Map.Entry<String, Integer> e : specials) {
      added.add(addedToken(e.getValue(), e.getKey()));
    }

    ObjectNode normalizer = doc.putObject("normalizer");
    normalizer.put("type", "BertNormalizer");
    normalizer.put("clean_text", true);
    normalizer.put("handle_chinese_chars", config.path("tokenize_chinese_chars").asBoolean(true));
    // null means "strip when lowercasing", exactly BertTokenizer's rule.
    JsonNode strip = config.get("strip_accents");
    if (strip == null || strip.isNull()) {
      normalizer.putNull("strip_accents");
    } else {
      normalizer.put("strip_accents", strip.asBoolean());
    }
    normalizer.put("lowercase", lowercase);

    doc.putObject("pre_tokenizer").put("type", "BertPreTokenizer");

    String cls = special.get("cls_token");
    String sep = special.get("sep_token");
    int clsId = idOf(cls, ids, specials);
    int sepId = idOf(sep, ids, specials);
    ObjectNode post = doc.putObject("post_processor");
    post.put("type", "TemplateProcessing");
    ArrayNode single = post.putArray("single");
    single.add(specialPiece(cls, 0));
    single.add(sequencePiece("A", 0));
    single.add(specialPiece(sep, 0));
    ArrayNode pair = post.putArray("pair");
    pair.add(specialPiece(cls, 0));
    pair.add(sequencePiece("A", 0));
    pair.add(specialPiece(sep, 0));
    pair.add(sequencePiece("B", 1));
    pair.add(specialPiece(sep, 1));
    ObjectNode specialTokens = post.putObject("special_tokens");
    specialTokens.set(cls, templateToken(cls, clsId));
    specialTokens.set(sep, templateToken(sep, sepId));

    ObjectNode decoder = doc.putObject("decoder");
    decoder.put("type", "WordPiece");
    decoder.put("prefix", "##");
    decoder.put("cleanup", true);

    ObjectNode model = doc.putObject("model");
    model.put("type", "WordPiece");
    model.put("unk_token", special.get("unk_token"));
    model.put("continuing_subword_prefix", "##");
    model.put("max_input_chars_per_word", 100);
    ObjectNode vocabNode = model.putObject("vocab");
    ids.forEach(vocabNode::put);

    return withAddedTokens(doc, addedTokens);
  }

  /**
   * A copy of {@code doc} in which every token of {@code extra} is an added special token; missing
   * ones get the next free ids, in list order. Existing entries are kept as they are.
   */
  public static ObjectNode withAddedTokens(ObjectNode doc, List<String> extra) {
    ObjectNode copy = doc.deepCopy();
    ArrayNode added =
        copy.get("added_tokens") instanceof ArrayNode a ? a : copy.putArray("added_tokens");
    Set<String> present = new HashSet<>();
    added.forEach(t -> present.add(t.path("content").asText()));
    int next = maxId(copy) + 1;
    for (String token : extra) {
      if (present.add(token)) {
        added.add(addedToken(next++, token));
      }
    }
    return copy;
  }

  /** Every token string and its id: the model vocabulary plus added tokens. */
  static Map<String, Integer> vocabulary(JsonNode doc) {
    Map<String, Integer> out = new LinkedHashMap<>();
    JsonNode vocab = doc.path("model").path("vocab");
    if (vocab.isObject()) {
      for (Map.Entry<String, JsonNode> e : vocab.properties()) {
        out.put(e.getKey(), e.getValue().asInt());
      }
    } else if (vocab.isArray()) { // Unigram: [[piece, score], ...], id = position
      for (int i = 0; i < vocab.size(); i++) {
        out.put(vocab.get(i).get(0).asText(), i);
      }
    }
    doc.path("added_tokens")
        .forEach(t -> out.put(t.path("content").asText(), t.path("id").asInt()));
    return out;
  }

  /** The special tokens named by a tokenizer_config.json (strings or AddedToken objects). */
  static Map<String, String> specialTokens(JsonNode config, Map<String, String> defaults) {
    Map<String, String> out = new LinkedHashMap<>(defaults);
    for (String key : SPECIAL_KEYS) {
      JsonNode v = config == null ? null : config.get(key);
      if (v != null && v.isTextual()) {
        out.put(key, v.asText());
      } else if (v != null && v.isObject() && v.hasNonNull("content")) {
        out.put(key, v.get("content").asText());
      }
    }
    return out;
  }

  static List<String> readVocab(String text) {
    // BertTokenizer strips only the trailing "\n" of each line.
    List<String> lines = new ArrayList<>(Arrays.asList(text.split("\n", -1)));
    if (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
      lines.remove(lines.size() - 1);
    }
    return lines;
  }

  private static int maxId(JsonNode doc) {
    int max = vocabulary(doc).values().stream().mapToInt(Integer::intValue).max().orElse(-1);
    return max;
  }

  private static int idOf(
      String token, Map<String, Integer> ids, List<Map.Entry<String, Integer>> s) {
    Integer id = ids.get(token);
    if (id != null) {
      return id;
    }
    return s.stream()
        .filter(e -> e.getKey().equals(token))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no id for special token " + token))
        .getValue();
  }

  private static ObjectNode addedToken(int id, String content) {
    ObjectNode t = F.objectNode();
    t.put("id", id);
    t.put("content", content);
    t.put("single_word", false);
    t.put("lstrip", false);
    t.put("rstrip", false);
    t.put("normalized", false);
    t.put("special", true);
    return t;
  }

  private static ObjectNode specialPiece(String id, int typeId) {
    ObjectNode piece = F.objectNode();
    ObjectNode inner = piece.putObject("SpecialToken");
    inner.put("id", id);
    inner.put("type_id", typeId);
    return piece;
  }

  private static ObjectNode sequencePiece(String id, int typeId) {
    ObjectNode piece = F.objectNode();
    ObjectNode inner = piece.putObject("Sequence");
    inner.put("id", id);
    inner.put("type_id", typeId);
    return piece;
  }

  private static ObjectNode templateToken(String token, int id) {
    ObjectNode t = F.objectNode();
    t.put("id", token);
    t.putArray("ids").add(id);
    t.putArray("tokens").add(token);
    return t;
  }
}
