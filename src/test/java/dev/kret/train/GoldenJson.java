package dev.kret.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kret.model.weights.TensorData;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.Map;

/** Reading the golden files that bench/reference/*.py write. */
final class GoldenJson {

  private GoldenJson() {}

  /** A golden file on the test class path, e.g. {@code /golden/mlm-long.json}. */
  static JsonNode read(String resource) throws IOException {
    try (InputStream in = GoldenJson.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IOException("no " + resource + " on the test class path");
      }
      return new ObjectMapper().readTree(in);
    }
  }

  /** Puts every tensor of an object of tensor nodes (e.g. {@code head_init}) into {@code into}. */
  static void putTensors(JsonNode tensors, Map<String, TensorData> into) {
    tensors.fields().forEachRemaining(e -> into.put(e.getKey(), tensor(e.getKey(), e.getValue())));
  }

  static int[] ints(JsonNode arr) {
    int[] out = new int[arr.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = arr.get(i).asInt();
    }
    return out;
  }

  static long[] longs(JsonNode arr) {
    long[] out = new long[arr.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = arr.get(i).asLong();
    }
    return out;
  }

  /** A {@code {"shape": [...], "f32_le_base64": "..."}} node as a tensor. */
  static TensorData tensor(String name, JsonNode node) {
    byte[] bytes = Base64.getDecoder().decode(node.get("f32_le_base64").asText());
    float[] data = new float[bytes.length / 4];
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data);
    return new TensorData(name, longs(node.get("shape")), data);
  }
}
