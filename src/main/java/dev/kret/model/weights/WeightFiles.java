package dev.kret.model.weights;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
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
    try (TensorSource source = open(modelDir)) {
      return TensorSource.readAll(source);
    }
  }

  /**
   * The weights of the model in {@code modelDir} as a source that reads safetensors tensors one at
   * a time (a pickled checkpoint is read whole: its storages are not addressable one by one without
   * unpickling). Every file is checked when it is opened. Close it to release the files.
   */
  public static TensorSource open(Path modelDir) throws IOException {
    for (String candidate : CANDIDATES) {
      Path file = modelDir.resolve(candidate);
      if (Files.isRegularFile(file)) {
        return switch (candidate) {
          case SAFETENSORS -> SafetensorsReader.open(file);
          case PYTORCH -> TensorSource.of(PytorchCheckpointReader.read(file));
          default -> openSharded(modelDir, file);
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

  private static TensorSource openSharded(Path modelDir, Path index) throws IOException {
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
    List<TensorSource> opened = new ArrayList<>();
    try {
      Map<String, TensorSource> sourceOf = new LinkedHashMap<>();
      for (String shard : shards) {
        Path file = dir.resolve(shard).normalize();
        if (!file.getParent().equals(dir)) {
          throw new IOException(index + ": shard " + shard + " lies outside " + dir);
        }
        if (!Files.isRegularFile(file)) {
          throw new IOException(index + ": shard " + shard + " is missing from " + dir);
        }
        TensorSource source =
            shard.endsWith(".safetensors")
                ? SafetensorsReader.open(file)
                : TensorSource.of(PytorchCheckpointReader.read(file));
        opened.add(source);
        for (String name : source.shapes().keySet()) {
          if (sourceOf.put(name, source) != null) {
            throw new IOException(index + ": tensor " + name + " appears in several shards");
          }
        }
      }
      for (Map.Entry<String, String> e : shardOf.entrySet()) {
        if (!sourceOf.containsKey(e.getKey())) {
          throw new IOException(
              index + ": tensor " + e.getKey() + " is not in its shard " + e.getValue());
        }
      }
      // Index order first, then what the shards hold beyond the index.
      LinkedHashMap<String, TensorSource> ordered = new LinkedHashMap<>();
      for (String name : shardOf.keySet()) {
        ordered.put(name, sourceOf.remove(name));
      }
      ordered.putAll(sourceOf);
      return new Sharded(ordered, opened);
    } catch (IOException | RuntimeException e) {
      closeAll(opened, e);
      throw e;
    }
  }

  /** Several shard sources as one, in index order. */
  private static final class Sharded implements TensorSource {
    private final LinkedHashMap<String, TensorSource> sourceOf;
    private final List<TensorSource> shards;
    private final Map<String, long[]> shapes = new LinkedHashMap<>();

    Sharded(LinkedHashMap<String, TensorSource> sourceOf, List<TensorSource> shards) {
      this.sourceOf = sourceOf;
      this.shards = shards;
      sourceOf.forEach((name, s) -> shapes.put(name, s.shapes().get(name)));
    }

    @Override
    public Map<String, long[]> shapes() {
      return Collections.unmodifiableMap(shapes);
    }

    @Override
    public TensorData read(String name) throws IOException {
      return shardOf(name).read(name);
    }

    @Override
    public ByteBuffer readDirect(String name) throws IOException {
      return shardOf(name).readDirect(name);
    }

    private TensorSource shardOf(String name) {
      TensorSource s = sourceOf.get(name);
      if (s == null) {
        throw new IllegalArgumentException("no tensor " + name);
      }
      return s;
    }

    @Override
    public void close() throws IOException {
      IOException first = null;
      for (TensorSource s : shards) {
        try {
          s.close();
        } catch (IOException e) {
          if (first == null) {
            first = e;
          }
        }
      }
      if (first != null) {
        throw first;
      }
    }
  }

  private static void closeAll(List<TensorSource> sources, Exception cause) {
    for (TensorSource s : sources) {
      try {
        s.close();
      } catch (IOException e) {
        cause.addSuppressed(e);
      }
    }
  }

  /**
   * Integer buffers older transformers versions saved beside the weights ({@code
   * embeddings.position_ids}, {@code token_type_ids}); readers skip them instead of failing.
   */
  static boolean isIndexBuffer(String name) {
    return name.endsWith("position_ids") || name.endsWith("token_type_ids");
  }
}
