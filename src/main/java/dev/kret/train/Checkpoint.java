package dev.kret.train;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kret.model.ModelDirectory;
import dev.kret.model.weights.NamedTensors;
import dev.kret.model.weights.SafetensorsReader;
import dev.kret.model.weights.SafetensorsWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The resume point after each finished epoch: exact float32 weights and AdamW moments plus the run
 * state, written to a temp directory and renamed into place so a kill at any moment leaves either
 * the previous checkpoint or the new one, never a mixture.
 */
public final class Checkpoint {

  private static final ObjectMapper JSON = new ObjectMapper();
  private final Path dir;
  private final String fingerprint;

  /** Run state after the last finished epoch (epoch 0: nothing finished yet). */
  public record State(
      int epoch,
      List<EpochRecord> history,
      int bestEpoch,
      int epochsWithoutImprovement,
      boolean earlyStopped) {
    static State fresh() {
      return new State(0, List.of(), 0, 0, false);
    }
  }

  public Checkpoint(Path dir, String fingerprint) {
    this.dir = dir;
    this.fingerprint = fingerprint;
  }

  /**
   * Restores weights and moments into {@code model}/{@code opt} when a checkpoint exists and
   * returns its state; a fresh state otherwise. A checkpoint of a different spec is an error, not a
   * silent restart: the user must pick another output directory.
   */
  public State load(NamedTensors model, AdamW opt) throws IOException {
    Path from = dir;
    Path old = dir.resolveSibling("." + dir.getFileName() + ".old");
    if (!Files.isRegularFile(from.resolve("state.json"))
        && Files.isRegularFile(old.resolve("state.json"))) {
      from = old; // killed between the two renames of replace()
    }
    if (!Files.isRegularFile(from.resolve("state.json"))) {
      return State.fresh();
    }
    JsonNode n = JSON.readTree(from.resolve("state.json").toFile());
    if (!fingerprint.equals(n.path("fingerprint").asText())) {
      throw new FineTuner.InvalidRunException(
          dir
              + " holds a checkpoint of a different spec; use another --output directory or delete it",
          null);
    }
    model.assign(SafetensorsReader.read(from.resolve("model.safetensors")).values());
    opt.restore(
        SafetensorsReader.read(from.resolve("optimizer.safetensors")).values(),
        n.path("optimizerSteps").asLong());
    List<EpochRecord> history =
        JSON.convertValue(n.path("history"), new TypeReference<List<EpochRecord>>() {});
    return new State(
        n.path("epoch").asInt(),
        history,
        n.path("bestEpoch").asInt(),
        n.path("epochsWithoutImprovement").asInt(),
        n.path("earlyStopped").asBoolean());
  }

  public void save(NamedTensors model, AdamW opt, State state) throws IOException {
    Path parent = dir.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    Path tmp = Files.createTempDirectory(parent, ".checkpoint.tmp");
    try {
      SafetensorsWriter.write(tmp.resolve("model.safetensors"), model.toTensors(), Map.of());
      SafetensorsWriter.write(tmp.resolve("optimizer.safetensors"), opt.stateTensors(), Map.of());
      ObjectNode n = JSON.createObjectNode();
      n.put("fingerprint", fingerprint);
      n.put("epoch", state.epoch());
      n.put("optimizerSteps", opt.stepCount());
      n.put("bestEpoch", state.bestEpoch());
      n.put("epochsWithoutImprovement", state.epochsWithoutImprovement());
      n.put("earlyStopped", state.earlyStopped());
      n.set("history", JSON.valueToTree(state.history()));
      JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.resolve("state.json").toFile(), n);
      ModelDirectory.replace(tmp, dir);
    } finally {
      ModelDirectory.deleteRecursively(tmp);
    }
  }

  static String sha256(String s) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
