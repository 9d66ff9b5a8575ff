package dev.kret.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kret.model.weights.TensorData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;

/** Reading the golden files that bench/reference/*.py write. */
final class GoldenJson {

  private GoldenJson() {}

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
