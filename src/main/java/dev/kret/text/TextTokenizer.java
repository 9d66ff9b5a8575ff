package dev.kret.text;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A Hugging Face fast tokenizer (DJL binding) with the entity-marker tokens added; owns native
 * memory, so close it. Thread-safe for {@link #encode}.
 */
public final class TextTokenizer implements AutoCloseable {

  static {
    // DJL calls home on first use unless told not to (see DESIGN.md, "Known pitfalls").
    System.setProperty("OPT_OUT_TRACKING", "true");
    System.setProperty("ai.djl.offline", "true");
  }

  /** Prefix of a tokenizer spec that names a tokenizer bundled in the jar. */
  public static final String BUILTIN_PREFIX = "builtin:";

  private static final String BUILTIN_ROOT = "/kret/tokenizers/";

  /** The DJL defaults truncate and pad; the encoder does both itself. */
  private static final Map<String, String> OPTIONS =
      Map.of("addSpecialTokens", "true", "truncation", "false", "padding", "false");

  private final HuggingFaceTokenizer tokenizer;
  private final ObjectNode json;
  private final ObjectNode config;
  private final Map<String, Integer> vocab;
  private final Map<Integer, String> byId;
  private final int vocabSize;
  private final int padId;
  private final int clsId;
  private final int sepId;

  /** tokenizer_config.json's special-token keys (pad_token, mask_token, …) to their strings. */
  private final Map<String, String> special;

  /** Ids, token strings and source offsets of one encoded text. */
  public record Tokens(int[] ids, String[] tokens, int[] starts, int[] ends) {

    /** Number of tokens, [CLS] and [SEP] included. */
    public int length() {
      return ids.length;
    }
  }

  private TextTokenizer(ObjectNode json, JsonNode tokenizerConfig) throws IOException {
    // Truncation and padding stored in the file would silently apply; the encoder owns both.
    json.putNull("truncation");
    json.putNull("padding");
    this.json = json;
    this.config =
        tokenizerConfig instanceof ObjectNode o
            ? o.deepCopy()
            : JsonNodeFactory.instance.objectNode();
    this.vocab = TokenizerJson.vocabulary(json);
    this.vocabSize = vocab.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
    this.byId = new HashMap<>();
    vocab.forEach((token, id) -> byId.putIfAbsent(id, token));
    this.special = TokenizerJson.specialTokens(config, defaultsFor(json));
    this.padId = require(special.get("pad_token"));
    this.clsId = require(special.get("cls_token"));
    this.sepId = require(special.get("sep_token"));
    byte[] bytes = TokenizerJson.MAPPER.writeValueAsBytes(json);
    try (InputStream in = new ByteArrayInputStream(bytes)) {
      this.tokenizer = HuggingFaceTokenizer.newInstance(in, OPTIONS);
    }
  }

  /**
   * Loads {@code modelDir/tokenizer.json} (or builds one from {@code vocab.txt}) with {@code
   * extraTokens} added as special tokens where missing.
   */
  public static TextTokenizer load(Path modelDir, List<String> extraTokens) throws IOException {
    Path configPath = modelDir.resolve("tokenizer_config.json");
    JsonNode config =
        Files.isRegularFile(configPath) ? TokenizerJson.MAPPER.readTree(configPath.toFile()) : null;
    Path tokenizerJson = modelDir.resolve("tokenizer.json");
    ObjectNode doc;
    if (Files.isRegularFile(tokenizerJson)) {
      JsonNode read = TokenizerJson.MAPPER.readTree(tokenizerJson.toFile());
      if (!(read instanceof ObjectNode o)) {
        throw new IOException(tokenizerJson + " is not a JSON object");
      }
      doc = TokenizerJson.withAddedTokens(o, extraTokens);
    } else if (Files.isRegularFile(modelDir.resolve("vocab.txt"))) {
      doc =
          TokenizerJson.fromVocab(
              TokenizerJson.readVocab(
                  Files.readString(modelDir.resolve("vocab.txt"), StandardCharsets.UTF_8)),
              config,
              extraTokens);
    } else {
      throw new IOException(modelDir + " has neither tokenizer.json nor vocab.txt");
    }
    return new TextTokenizer(doc, config);
  }

  /** Loads a tokenizer bundled under {@code kret/tokenizers/NAME/} (vocab.txt and its config). */
  public static TextTokenizer loadBuiltin(String name, List<String> extraTokens)
      throws IOException {
    if (!name.matches("[A-Za-z0-9._-]+")) {
      throw new IllegalArgumentException("bad builtin tokenizer name: " + name);
    }
    String root = BUILTIN_ROOT + name + "/";
    byte[] vocabBytes = resource(root + "vocab.txt", name);
    byte[] configBytes = resource(root + "tokenizer_config.json", name);
    JsonNode config = TokenizerJson.MAPPER.readTree(configBytes);
    ObjectNode doc =
        TokenizerJson.fromVocab(
            TokenizerJson.readVocab(new String(vocabBytes, StandardCharsets.UTF_8)),
            config,
            extraTokens);
    return new TextTokenizer(doc, config);
  }

  /** {@code builtin:NAME} or a directory path, as written in a FineTuneRun's tokenizer field. */
  public static TextTokenizer fromSpec(String spec, List<String> extraTokens) throws IOException {
    if (spec.startsWith(BUILTIN_PREFIX)) {
      return loadBuiltin(spec.substring(BUILTIN_PREFIX.length()), extraTokens);
    }
    return load(Path.of(spec), extraTokens);
  }

  /** Vocabulary size including added tokens: the embedding matrix needs this many rows. */
  public int vocabSize() {
    return vocabSize;
  }

  /** The id of a token string, or -1 when the tokenizer does not know it. */
  public int tokenId(String token) {
    return vocab.getOrDefault(token, -1);
  }

  /** The token string of an id, or null when the id is out of range. */
  public String token(int id) {
    return byId.get(id);
  }

  public int padId() {
    return padId;
  }

  public int clsId() {
    return clsId;
  }

  public int sepId() {
    return sepId;
  }

  /** The id of the mask token ({@code mask_token}: [MASK] or &lt;mask&gt;), or -1 when absent. */
  public int maskId() {
    String mask = special.get("mask_token");
    return mask == null ? -1 : tokenId(mask);
  }

  /**
   * Ids of the named special tokens (padding, unknown, [CLS], [SEP], mask): masked-LM training
   * never picks them, as Hugging Face's special-tokens mask does.
   */
  public java.util.Set<Integer> specialIds() {
    java.util.Set<Integer> ids = new java.util.TreeSet<>();
    for (String t : special.values()) {
      int id = tokenId(t);
      if (id >= 0) {
        ids.add(id);
      }
    }
    return ids;
  }

  /**
   * Encodes with [CLS] … [SEP], no truncation, no padding. Offsets are code-point indices into
   * {@code text}, end exclusive; tokens added by the post-processor have start = end = -1.
   */
  public Tokens encode(String text) {
    Objects.requireNonNull(text, "text");
    Encoding e = tokenizer.encode(text, true, false);
    long[] ids = e.getIds();
    CharSpan[] spans = e.getCharTokenSpans();
    int n = ids.length;
    int[] out = new int[n];
    int[] starts = new int[n];
    int[] ends = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = Math.toIntExact(ids[i]);
      // The Rust side reports offsets in Unicode scalar values, i.e. code points, not UTF-16.
      CharSpan s = spans[i];
      starts[i] = s == null ? -1 : s.getStart();
      ends[i] = s == null ? -1 : s.getEnd();
    }
    return new Tokens(out, e.getTokens(), starts, ends);
  }

  /** The tokens added on top of the model vocabulary, in id order, special tokens excluded. */
  public List<String> addedTokens() {
    List<String> out = new ArrayList<>();
    for (JsonNode t : json.path("added_tokens")) {
      String content = t.path("content").asText();
      if (!isNamedSpecial(content)) {
        out.add(content);
      }
    }
    return out;
  }

  /**
   * Writes {@code tokenizer.json} (with every added token) and {@code tokenizer_config.json} into
   * {@code dir}, so that both this class and transformers' AutoTokenizer load the same tokenizer.
   */
  public void save(Path dir) throws IOException {
    Files.createDirectories(dir);
    TokenizerJson.MAPPER
        .writerWithDefaultPrettyPrinter()
        .writeValue(dir.resolve("tokenizer.json").toFile(), json);
    ObjectNode out = config.deepCopy();
    ArrayNode extra = out.putArray("additional_special_tokens");
    addedTokens().forEach(extra::add);
    TokenizerJson.MAPPER
        .writerWithDefaultPrettyPrinter()
        .writeValue(dir.resolve("tokenizer_config.json").toFile(), out);
  }

  /** The tokenizer.json document this tokenizer was loaded from (a copy). */
  public ObjectNode json() {
    return json.deepCopy();
  }

  @Override
  public void close() {
    tokenizer.close();
  }

  private boolean isNamedSpecial(String content) {
    return special.containsValue(content);
  }

  private int require(String token) {
    Integer id = vocab.get(token);
    if (id == null) {
      throw new IllegalArgumentException("tokenizer has no special token " + token);
    }
    return id;
  }

  /** BERT names for WordPiece vocabularies, RoBERTa names for byte-level BPE ones. */
  private static Map<String, String> defaultsFor(JsonNode json) {
    if (json.path("model").path("vocab").has("[CLS]")) {
      return Map.of(
          "pad_token", "[PAD]",
          "unk_token", "[UNK]",
          "cls_token", "[CLS]",
          "sep_token", "[SEP]",
          "mask_token", "[MASK]");
    }
    return Map.of(
        "pad_token", "<pad>",
        "unk_token", "<unk>",
        "cls_token", "<s>",
        "sep_token", "</s>",
        "mask_token", "<mask>");
  }

  private static byte[] resource(String path, String name) throws IOException {
    try (InputStream in = TextTokenizer.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalArgumentException(
            "no builtin tokenizer " + name + " (missing resource " + path + ")");
      }
      return in.readAllBytes();
    }
  }
}
