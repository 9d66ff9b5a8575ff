package dev.kret.model;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kret.data.Labels;
import dev.kret.model.weights.SafetensorsWriter;
import dev.kret.model.weights.TensorSource;
import dev.kret.model.weights.WeightFiles;
import dev.kret.text.MarkerScheme;
import dev.kret.text.TextTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The model directory that training writes and serving reads: Hugging Face's save_pretrained layout
 * (config.json, model.safetensors, tokenizer.json, tokenizer_config.json) plus kret.json, which
 * records the input scheme, the base model, the data and the metrics.
 */
public final class ModelDirectory {

  public static final String KRET_JSON = "kret.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  private ModelDirectory() {}

  /** A loaded model with everything needed to encode input for it. */
  public record Opened(
      RelationModel model, TextTokenizer tokenizer, InputScheme scheme, LoadReport report)
      implements AutoCloseable {
    @Override
    public void close() {
      model.close();
      tokenizer.close();
    }
  }

  /**
   * Opens a directory for inference. Without kret.json it is read as a plain
   * RobertaForSequenceClassification: bare sentence, cls head, max length from
   * tokenizer_config.json.
   */
  public static Opened open(Path dir, Device device) throws IOException {
    if (!Files.isRegularFile(dir.resolve("config.json"))) {
      throw new IOException(dir + " is not a model directory (no config.json)");
    }
    InputScheme scheme = readScheme(dir);
    MarkerScheme markers = MarkerScheme.fromSpec(scheme.entityMarkers());
    TextTokenizer tok = TextTokenizer.load(dir, markers.addedTokens());
    try {
      RobertaConfig cfg =
          RobertaConfig.read(dir.resolve("config.json"), Labels.RELATIONS)
              .withHead(HeadType.fromSpec(scheme.head()));
      if (tok.vocabSize() > cfg.vocabSize()) {
        cfg = cfg.withVocabSize(tok.vocabSize());
      }
      RelationModel.Loaded loaded;
      try (TensorSource weights = WeightFiles.open(dir)) {
        loaded = RelationModel.fromSource(cfg, device, weights, 0L, dir.toString());
      }
      if (!loaded.report().initialized().isEmpty()) {
        loaded.model().close();
        throw new IOException(incomplete(dir, loaded.report()));
      }
      return new Opened(loaded.model(), tok, scheme, loaded.report());
    } catch (IOException | RuntimeException e) {
      tok.close();
      throw e;
    }
  }

  /**
   * Why a directory cannot be served: the tensors its config needs that its weights miss or hold in
   * another shape. Training starts such a model with fresh values where they are missing (a new
   * head); inference would answer with random values, so it refuses them.
   */
  static String incomplete(Path dir, LoadReport report) {
    List<String> names = report.initialized();
    return dir
        + ": the weights miss "
        + names.size()
        + " tensor"
        + (names.size() == 1 ? "" : "s")
        + " that the model in config.json needs (absent or of another shape): "
        + String.join(", ", names.subList(0, Math.min(names.size(), 8)))
        + (names.size() > 8 ? ", …" : "")
        + ". A model directory to serve or evaluate must be a complete fine-tuned model"
        + " (a base model without its classifier head is not one)";
  }

  /** The input scheme recorded in kret.json, or the plain-HF fallback. */
  public static InputScheme readScheme(Path dir) throws IOException {
    Path kret = dir.resolve(KRET_JSON);
    if (Files.isRegularFile(kret)) {
      JsonNode input = JSON.readTree(kret.toFile()).path("input");
      return new InputScheme(
          input.path("entityMarkers").asText("none"),
          input.path("head").asText(HeadType.CLS.spec()),
          input.path("maxLength").asInt(512));
    }
    int max = 512;
    Path tc = dir.resolve("tokenizer_config.json");
    if (Files.isRegularFile(tc)) {
      long m = JSON.readTree(tc.toFile()).path("model_max_length").asLong(512);
      max = (int) Math.min(Math.max(m, 16), 512);
    }
    return InputScheme.plain(max);
  }

  /** kret.json of a directory, or an empty object. */
  public static ObjectNode readInfo(Path dir) throws IOException {
    Path kret = dir.resolve(KRET_JSON);
    return Files.isRegularFile(kret)
        ? (ObjectNode) JSON.readTree(kret.toFile())
        : JSON.createObjectNode();
  }

  /**
   * Writes a complete directory atomically: everything goes to a sibling temp directory that is
   * renamed into place, so a reader never sees half a model.
   */
  public static void save(
      Path dir, RelationModel model, TextTokenizer tokenizer, InputScheme scheme, ObjectNode info)
      throws IOException {
    Path parent = dir.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    Path tmp = Files.createTempDirectory(parent, "." + dir.getFileName() + ".tmp");
    try {
      model.config().write(tmp.resolve("config.json"));
      SafetensorsWriter.write(
          tmp.resolve("model.safetensors"), model.toTensors(), Map.of("format", "pt"));
      tokenizer.save(tmp);
      ObjectNode kret = info.deepCopy();
      ObjectNode input = kret.putObject("input");
      input.put("entityMarkers", scheme.entityMarkers());
      input.put("head", scheme.head());
      input.put("maxLength", scheme.maxLength());
      JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.resolve(KRET_JSON).toFile(), kret);
      replace(tmp, dir);
    } finally {
      deleteRecursively(tmp);
    }
  }

  /** Moves {@code fresh} to {@code target}, replacing what was there. */
  public static void replace(Path fresh, Path target) throws IOException {
    Path old = target.resolveSibling("." + target.getFileName() + ".old");
    deleteRecursively(old);
    if (Files.exists(target)) {
      Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
    }
    Files.move(fresh, target, StandardCopyOption.ATOMIC_MOVE);
    deleteRecursively(old);
  }

  public static void deleteRecursively(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(x);
      }
    }
  }
}
