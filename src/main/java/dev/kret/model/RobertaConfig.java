package dev.kret.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** The sizes of a RoBERTa encoder and its label set, as Hugging Face's config.json holds them. */
public record RobertaConfig(
    int vocabSize,
    int hiddenSize,
    int numLayers,
    int numHeads,
    int intermediateSize,
    int maxPositionEmbeddings,
    int typeVocabSize,
    double layerNormEps,
    double hiddenDropout,
    double attentionDropout,
    int padTokenId,
    double initializerRange,
    List<String> labels,
    HeadType head) {

  private static final ObjectMapper JSON = new ObjectMapper();

  public RobertaConfig {
    if (hiddenSize % numHeads != 0) {
      throw new IllegalArgumentException(
          "hiddenSize " + hiddenSize + " is not a multiple of numHeads " + numHeads);
    }
    labels = List.copyOf(labels);
  }

  /** A from-scratch config with RoBERTa's defaults for everything but the given sizes. */
  public static RobertaConfig small(
      int vocabSize, int hidden, int layers, int heads, int intermediate, List<String> labels) {
    return new RobertaConfig(
        vocabSize,
        hidden,
        layers,
        heads,
        intermediate,
        514,
        1,
        1e-5,
        0.1,
        0.1,
        1,
        0.02,
        labels,
        HeadType.ENTITY_START);
  }

  public int headDim() {
    return hiddenSize / numHeads;
  }

  public int numLabels() {
    return labels.size();
  }

  public RobertaConfig withVocabSize(int v) {
    return with(m -> m.vocabSize = v);
  }

  public RobertaConfig withLabels(List<String> l) {
    return with(m -> m.labels = l);
  }

  public RobertaConfig withHead(HeadType h) {
    return with(m -> m.head = h);
  }

  /** The same dropout for hidden states and attention probabilities. */
  public RobertaConfig withDropout(double p) {
    return with(
        m -> {
          m.hiddenDropout = p;
          m.attentionDropout = p;
        });
  }

  public RobertaConfig withPadTokenId(int pad) {
    return with(m -> m.padTokenId = pad);
  }

  private RobertaConfig with(Consumer<Copy> change) {
    Copy c = new Copy(this);
    change.accept(c);
    return c.build();
  }

  /** A mutable copy, so each with… method names only the field it changes. */
  private static final class Copy {
    int vocabSize;
    final int hiddenSize;
    final int numLayers;
    final int numHeads;
    final int intermediateSize;
    final int maxPositionEmbeddings;
    final int typeVocabSize;
    final double layerNormEps;
    double hiddenDropout;
    double attentionDropout;
    int padTokenId;
    final double initializerRange;
    List<String> labels;
    HeadType head;

    Copy(RobertaConfig c) {
      vocabSize = c.vocabSize;
      hiddenSize = c.hiddenSize;
      numLayers = c.numLayers;
      numHeads = c.numHeads;
      intermediateSize = c.intermediateSize;
      maxPositionEmbeddings = c.maxPositionEmbeddings;
      typeVocabSize = c.typeVocabSize;
      layerNormEps = c.layerNormEps;
      hiddenDropout = c.hiddenDropout;
      attentionDropout = c.attentionDropout;
      padTokenId = c.padTokenId;
      initializerRange = c.initializerRange;
      labels = c.labels;
      head = c.head;
    }

    RobertaConfig build() {
      return new RobertaConfig(
          vocabSize,
          hiddenSize,
          numLayers,
          numHeads,
          intermediateSize,
          maxPositionEmbeddings,
          typeVocabSize,
          layerNormEps,
          hiddenDropout,
          attentionDropout,
          padTokenId,
          initializerRange,
          labels,
          head);
    }
  }

  /**
   * Reads config.json. Labels come from id2label when it has them all; a checkpoint without a
   * classification head (klue/roberta-base is a masked LM) takes {@code defaultLabels}.
   */
  public static RobertaConfig read(Path configJson, List<String> defaultLabels) throws IOException {
    JsonNode n = JSON.readTree(configJson.toFile());
    String type = n.path("model_type").asText("roberta");
    if (!type.equals("roberta") && !type.equals("bert") && !type.equals("xlm-roberta")) {
      throw new IOException(configJson + ": model_type " + type + " is not a RoBERTa/BERT encoder");
    }
    List<String> labels = new ArrayList<>();
    JsonNode id2label = n.path("id2label");
    for (int i = 0; i < id2label.size(); i++) {
      JsonNode l = id2label.get(Integer.toString(i));
      if (l == null) {
        labels.clear();
        break;
      }
      labels.add(l.asText());
    }
    // HF fills id2label with LABEL_0, LABEL_1 when a model has no real labels.
    if (labels.isEmpty() || labels.get(0).equals("LABEL_0")) {
      labels = new ArrayList<>(defaultLabels);
    }
    HeadType head = HeadType.fromSpec(n.path("kret_head").asText("cls"));
    return new RobertaConfig(
        req(n, "vocab_size", configJson),
        req(n, "hidden_size", configJson),
        req(n, "num_hidden_layers", configJson),
        req(n, "num_attention_heads", configJson),
        req(n, "intermediate_size", configJson),
        n.path("max_position_embeddings").asInt(514),
        n.path("type_vocab_size").asInt(1),
        n.path("layer_norm_eps").asDouble(1e-5),
        n.path("hidden_dropout_prob").asDouble(0.1),
        n.path("attention_probs_dropout_prob").asDouble(0.1),
        n.path("pad_token_id").asInt(1),
        n.path("initializer_range").asDouble(0.02),
        labels,
        head);
  }

  private static int req(JsonNode n, String field, Path file) throws IOException {
    if (!n.hasNonNull(field)) {
      throw new IOException(file + ": missing field " + field);
    }
    return n.get(field).asInt();
  }

  /** The config.json Hugging Face's from_pretrained reads back. */
  public ObjectNode toJson() {
    ObjectNode n = JSON.createObjectNode();
    n.putArray("architectures")
        .add(
            head == HeadType.CLS
                ? "RobertaForSequenceClassification"
                : "RobertaForRelationExtraction");
    n.put("model_type", "roberta");
    n.put("kret_head", head.spec());
    n.put("vocab_size", vocabSize);
    n.put("hidden_size", hiddenSize);
    n.put("num_hidden_layers", numLayers);
    n.put("num_attention_heads", numHeads);
    n.put("intermediate_size", intermediateSize);
    n.put("hidden_act", "gelu");
    n.put("hidden_dropout_prob", hiddenDropout);
    n.put("attention_probs_dropout_prob", attentionDropout);
    n.put("max_position_embeddings", maxPositionEmbeddings);
    n.put("type_vocab_size", typeVocabSize);
    n.put("initializer_range", initializerRange);
    n.put("layer_norm_eps", layerNormEps);
    n.put("pad_token_id", padTokenId);
    n.put("bos_token_id", 0);
    n.put("eos_token_id", 2);
    n.put("problem_type", "single_label_classification");
    ObjectNode id2label = n.putObject("id2label");
    ObjectNode label2id = n.putObject("label2id");
    for (int i = 0; i < labels.size(); i++) {
      id2label.put(Integer.toString(i), labels.get(i));
      label2id.put(labels.get(i), i);
    }
    return n;
  }

  public void write(Path configJson) throws IOException {
    JSON.writerWithDefaultPrettyPrinter().writeValue(configJson.toFile(), toJson());
  }

  static boolean exists(Path dir) {
    return Files.exists(dir.resolve("config.json"));
  }
}
