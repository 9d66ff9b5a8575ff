package dev.kret.model.weights;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Finds and reads the weights of a Hugging Face model directory, whatever format it uses. */
public final class WeightFiles {

  static final String SAFETENSORS = "model.safetensors";
  static final String SAFETENSORS_INDEX = "model.safetensors.index.json";
  static final String PYTORCH = "pytorch_model.bin";
  static final String PYTORCH_INDEX = "pytorch_model.bin.index.json";

  /** In order of preference: safetensors cannot run code and reads without a pickle VM. */
  static final List<String> CANDIDATES =
      List.of(SAFETENSORS, SAFETENSORS_INDEX, PYTORCH, PYTORCH_INDEX);

  private static final ObjectMapper JSON = new ObjectMapper();

  private WeightFiles() {}

  /** All tensors of the model in {@code modelDir}; shards are merged in index order. */
  public static LinkedHashMap<String, TensorData> read(Path modelDir) throws IOException {
    for (String candidate : CANDIDATES) {
      Path file = modelDir.resolve(candidate);
      if (Files.isRegularFile(file)) {
        return switch (candidate) {
          case SAFETENSORS -> SafetensorsReader.read(file);
          case PYTORCH -> PytorchCheckpointReader.read(file);
          default -> readSharded(modelDir, file);
        };
      }
    }
    throw new IOException(
        "no weights in "
            + modelDir
            + (Files.isDirectory(modelDir) ? "" : " (not a directory)")
            + ": looked for "
            + String.join(", ", CANDIDATES));
  }

  private static LinkedHashMap<String, TensorData> readSharded(Path modelDir, Path index)
      throws IOException {
    JsonNode weightMap;
    try {
      weightMap = JSON.readTree(index.toFile()).path("weight_map");
    } catch (IOException e) {
      throw new IOException(index + ": not valid JSON: " + e.getMessage(), e);
    }
    if (!weightMap.isObject() || weightMap.isEmpty()) {
      throw new IOException(index + ": no weight_map");
    }
    Map<String, String> shardOf = new LinkedHashMap<>();
    Set<String> shards = new LinkedHashSet<>();
    for (Map.Entry<String, JsonNode> e : weightMap.properties()) {
      String shard = e.getValue().asText();
      shardOf.put(e.getKey(), shard);
      shards.add(shard);
    }
    Path dir = modelDir.toAbsolutePath().normalize();
    LinkedHashMap<String, TensorData> all = new LinkedHashMap<>();
    for (String shard : shards) {
      Path file = dir.resolve(shard).normalize();
      if (!file.getParent().equals(dir)) {
        throw new IOException(index + ": shard " + shard + " lies outside " + dir);
      }
      if (!Files.isRegularFile(file)) {
        throw new IOException(index + ": shard " + shard + " is missing from " + dir);
      }
      Map<String, TensorData> tensors =
          shard.endsWith(".safetensors")
              ? SafetensorsReader.read(file)
              : PytorchCheckpointReader.read(file);
      for (TensorData t : tensors.values()) {
        if (all.put(t.name(), t) != null) {
          throw new IOException(index + ": tensor " + t.name() + " appears in several shards");
        }
      }
    }
    for (Map.Entry<String, String> e : shardOf.entrySet()) {
      if (!all.containsKey(e.getKey())) {
        throw new IOException(
            index + ": tensor " + e.getKey() + " is not in its shard " + e.getValue());
      }
    }
    LinkedHashMap<String, TensorData> ordered = new LinkedHashMap<>();
    for (String name : shardOf.keySet()) {
      ordered.put(name, all.remove(name));
    }
    ordered.putAll(all);
    return ordered;
  }

  /**
   * Integer buffers older transformers versions saved beside the weights ({@code
   * embeddings.position_ids}, {@code token_type_ids}); readers skip them instead of failing.
   */
  static boolean isIndexBuffer(String name) {
    return name.endsWith("position_ids") || name.endsWith("token_type_ids");
  }
}
