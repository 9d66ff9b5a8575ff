package dev.kret.model.weights;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsWriterTest {

  @TempDir Path tmp;

  @Test
  void roundTripsThroughWriter() throws IOException {
    List<TensorData> tensors =
        List.of(
            new TensorData("a.weight", new long[] {2, 3}, new float[] {1, -2, 3.5f, 0, 1e-8f, 7}),
            new TensorData("a.bias", new long[] {3}, new float[] {Float.MIN_VALUE, -0f, 42}),
            new TensorData("scalar", new long[] {}, new float[] {0.25f}),
            new TensorData("empty", new long[] {0, 4}, new float[0]));
    Map<String, String> metadata = Map.of("format", "pt", "kret.labels", "30");
    Path file = tmp.resolve("out/model.safetensors");

    SafetensorsWriter.write(file, tensors, metadata);
    LinkedHashMap<String, TensorData> back = SafetensorsReader.read(file);

    assertThat(back.keySet()).containsExactly("a.weight", "a.bias", "scalar", "empty");
    for (TensorData t : tensors) {
      assertThat(back.get(t.name()).shape()).isEqualTo(t.shape());
      assertThat(back.get(t.name()).data()).isEqualTo(t.data());
    }

    // The format rules the Rust library enforces, checked on the raw bytes.
    byte[] bytes = Files.readAllBytes(file);
    long headerLen = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    assertThat(headerLen % 8).isZero();
    String headerText = new String(bytes, 8, (int) headerLen, StandardCharsets.UTF_8);
    assertThat(headerText).startsWith("{");
    assertThat(headerText.stripTrailing()).endsWith("}");
    JsonNode header = new ObjectMapper().readTree(headerText);
    JsonNode meta = header.get("__metadata__");
    assertThat(meta.isObject()).isTrue();
    meta.properties().forEach(e -> assertThat(e.getValue().isTextual()).isTrue());
    assertThat(new ObjectMapper().convertValue(meta, Map.class)).isEqualTo(metadata);
    List<long[]> offsets = new ArrayList<>();
    header.properties().stream()
        .filter(e -> !e.getKey().equals("__metadata__"))
        .forEach(
            e -> {
              assertThat(e.getValue().get("dtype").asText()).isEqualTo("F32");
              JsonNode o = e.getValue().get("data_offsets");
              offsets.add(new long[] {o.get(0).asLong(), o.get(1).asLong()});
            });
    long expectedBegin = 0;
    for (long[] o : offsets) {
      assertThat(o[0]).isEqualTo(expectedBegin);
      expectedBegin = o[1];
    }
    assertThat((long) bytes.length).isEqualTo(8 + headerLen + expectedBegin);
  }

  @Test
  void replacesExistingFileLeavingNoTempFiles() throws IOException {
    Path file = tmp.resolve("model.safetensors");
    SafetensorsWriter.write(
        file, List.of(new TensorData("w", new long[] {1}, new float[] {1})), null);
    SafetensorsWriter.write(
        file, List.of(new TensorData("w", new long[] {1}, new float[] {2})), null);

    assertThat(SafetensorsReader.read(file).get("w").data()).containsExactly(2f);
    try (Stream<Path> files = Files.list(tmp)) {
      assertThat(files).containsExactly(file);
    }
  }
}
