package dev.kret.model.weights;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kret.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WeightFilesTest {

  static final Path FIXTURE = Fixtures.TINY_ROBERTA;

  @TempDir Path tmp;

  @Test
  void bothFixtureFormatsHoldIdenticalTensors() throws IOException {
    LinkedHashMap<String, TensorData> safetensors =
        SafetensorsReader.read(FIXTURE.resolve("model.safetensors"));
    LinkedHashMap<String, TensorData> pytorch =
        PytorchCheckpointReader.read(FIXTURE.resolve("pytorch_model.bin"));

    assertThat(safetensors).hasSize(41);
    assertThat(pytorch.keySet()).containsExactlyElementsOf(safetensors.keySet());
    for (TensorData s : safetensors.values()) {
      TensorData p = pytorch.get(s.name());
      assertThat(p.shape()).as(s.name()).isEqualTo(s.shape());
      assertThat(p.data()).as(s.name()).isEqualTo(s.data());
    }
    assertThat(safetensors.get("roberta.embeddings.word_embeddings.weight").shape())
        .containsExactly(32000, 32);
    assertThat(safetensors.get("classifier.out_proj.weight").shape()).containsExactly(30, 32);
  }

  @Test
  void prefersSafetensorsInFixtureDirectory() throws IOException {
    LinkedHashMap<String, TensorData> read = WeightFiles.read(FIXTURE);

    assertThat(read.keySet())
        .containsExactlyElementsOf(
            SafetensorsReader.read(FIXTURE.resolve("model.safetensors")).keySet());
  }

  @Test
  void fallsBackToPytorchBin() throws IOException {
    Files.copy(FIXTURE.resolve("pytorch_model.bin"), tmp.resolve("pytorch_model.bin"));

    assertThat(WeightFiles.read(tmp)).containsKey("classifier.dense.weight").hasSize(41);
  }

  @Test
  void readsShardedSafetensorsIndex() throws IOException {
    List<TensorData> all =
        new ArrayList<>(SafetensorsReader.read(FIXTURE.resolve("model.safetensors")).values());
    List<TensorData> first = all.subList(0, 10);
    List<TensorData> second = all.subList(10, all.size());
    SafetensorsWriter.write(tmp.resolve("model-00001-of-00002.safetensors"), first, null);
    SafetensorsWriter.write(tmp.resolve("model-00002-of-00002.safetensors"), second, null);
    StringBuilder map = new StringBuilder();
    for (TensorData t : all) {
      String shard =
          first.contains(t)
              ? "model-00001-of-00002.safetensors"
              : "model-00002-of-00002.safetensors";
      map.append(map.isEmpty() ? "" : ",").append('"').append(t.name()).append("\":\"");
      map.append(shard).append('"');
    }
    Files.writeString(
        tmp.resolve("model.safetensors.index.json"),
        "{\"metadata\":{\"total_size\":4238712},\"weight_map\":{" + map + "}}");

    LinkedHashMap<String, TensorData> read = WeightFiles.read(tmp);

    assertThat(read.keySet())
        .containsExactlyElementsOf(all.stream().map(TensorData::name).toList());
    for (TensorData t : all) {
      assertThat(read.get(t.name()).data()).isEqualTo(t.data());
    }
  }

  @Test
  void rejectsIndexNamingTensorAbsentFromShard() throws IOException {
    SafetensorsWriter.write(
        tmp.resolve("a.safetensors"),
        List.of(new TensorData("w", new long[] {1}, new float[] {1})),
        Map.of());
    Files.writeString(
        tmp.resolve("model.safetensors.index.json"),
        "{\"weight_map\":{\"w\":\"a.safetensors\",\"b\":\"a.safetensors\"}}");

    assertThatThrownBy(() -> WeightFiles.read(tmp))
        .hasMessageContaining("tensor b is not in its shard a.safetensors");
  }

  @Test
  void namesDirectoryAndFilesLookedForWhenNoWeights() {
    assertThatThrownBy(() -> WeightFiles.read(tmp))
        .isInstanceOf(IOException.class)
        .hasMessageContaining(tmp.toString())
        .hasMessageContaining("model.safetensors")
        .hasMessageContaining("model.safetensors.index.json")
        .hasMessageContaining("pytorch_model.bin")
        .hasMessageContaining("pytorch_model.bin.index.json");
  }
}
