package dev.kret.model.weights;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsReaderTest {

  @TempDir Path tmp;

  /** A safetensors file assembled byte by byte, independent of our writer. */
  static Path handWritten(Path file, String headerJson, byte[] data) throws IOException {
    byte[] header = headerJson.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(
        ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
    out.writeBytes(header);
    out.writeBytes(data);
    return Files.write(file, out.toByteArray());
  }

  @Test
  void readsBf16AndF16Safetensors() throws IOException {
    // bf16: 1.0, -2.5, and 0.1 rounded to nearest (0x3dcd); f16: 1.0, -2.5, the smallest and the
    // largest subnormal, the largest normal, -0, +inf and NaN.
    byte[] bf16 = LittleEndian.shorts(0x3f80, 0xc020, 0x3dcd);
    byte[] f16 =
        LittleEndian.shorts(0x3c00, 0xc100, 0x0001, 0x03ff, 0x7bff, 0x8000, 0x7c00, 0x7e00);
    ByteBuffer data = ByteBuffer.allocate(bf16.length + f16.length).put(bf16).put(f16);
    Path file =
        handWritten(
            tmp.resolve("half.safetensors"),
            """
            {"b":{"dtype":"BF16","shape":[3],"data_offsets":[0,6]},\
            "h":{"dtype":"F16","shape":[2,4],"data_offsets":[6,22]}}""",
            data.array());

    Map<String, TensorData> tensors = SafetensorsReader.read(file);

    assertThat(tensors.get("b").data()).containsExactly(1f, -2.5f, 0.10009765625f);
    TensorData h = tensors.get("h");
    assertThat(h.shape()).containsExactly(2, 4);
    assertThat(h.data())
        .containsExactly(
            1f,
            -2.5f,
            5.9604645e-8f,
            6.097555e-5f,
            65504f,
            -0f,
            Float.POSITIVE_INFINITY,
            Float.NaN);
    assertThat(Float.floatToRawIntBits(h.data()[5])).isEqualTo(0x80000000);
  }

  @Test
  void narrowsF64ToFloat() throws IOException {
    byte[] f64 =
        ByteBuffer.allocate(16)
            .order(ByteOrder.LITTLE_ENDIAN)
            .putDouble(0.5)
            .putDouble(1e-3)
            .array();
    Path file =
        handWritten(
            tmp.resolve("d.safetensors"),
            "{\"d\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]}}",
            f64);

    assertThat(SafetensorsReader.read(file).get("d").data()).containsExactly(0.5f, 1e-3f);
  }

  @Test
  void readsADirectBufferEqualToTheArrayForEveryDtype() throws IOException {
    ByteBuffer data = ByteBuffer.allocate(8 + 4 + 4 + 16).order(ByteOrder.LITTLE_ENDIAN);
    data.putFloat(1.5f).putFloat(-2f); // F32 a
    data.putShort((short) 0x3C00).putShort((short) 0xC000); // F16 b: 1, -2
    data.putShort((short) 0x3F80).putShort((short) 0x4040); // BF16 c: 1, 3
    data.putDouble(0.25).putDouble(-8); // F64 d
    Path file =
        handWritten(
            tmp.resolve("all.safetensors"),
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[8,12]},"
                + "\"c\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[12,16]},"
                + "\"d\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[16,32]}}",
            data.array());
    try (TensorSource source = SafetensorsReader.open(file)) {
      assertThat(source.shapes().keySet()).containsExactly("a", "b", "c", "d");
      for (String name : source.shapes().keySet()) {
        ByteBuffer direct = source.readDirect(name);
        assertThat(direct.isDirect()).isTrue();
        float[] values = new float[2];
        direct.order(ByteOrder.nativeOrder()).asFloatBuffer().get(values);
        assertThat(values).as(name).containsExactly(source.read(name).data());
      }
      assertThat(source.read("c").data()).containsExactly(1f, 3f);
    }
  }

  @Test
  void rejectsUnsupportedDtypeNamingTensor() throws IOException {
    Path file =
        handWritten(
            tmp.resolve("ids.safetensors"),
            "{\"classifier.int_weight\":"
                + "{\"dtype\":\"I64\",\"shape\":[1,2],\"data_offsets\":[0,16]}}",
            new byte[16]);

    assertThatThrownBy(() -> SafetensorsReader.read(file))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("classifier.int_weight")
        .hasMessageContaining("I64");
  }

  @Test
  void skipsIntegerPositionIdsBufferOfOlderCheckpoints() throws IOException {
    Path file =
        handWritten(
            tmp.resolve("old.safetensors"),
            "{\"roberta.embeddings.position_ids\":"
                + "{\"dtype\":\"I64\",\"shape\":[1,2],\"data_offsets\":[0,16]}}",
            new byte[16]);

    assertThat(SafetensorsReader.read(file)).isEmpty();
  }

  @Test
  void rejectsTruncatedSafetensors() throws IOException {
    Path file = tmp.resolve("model.safetensors");
    SafetensorsWriter.write(
        file,
        List.of(
            new TensorData("first", new long[] {4}, new float[4]),
            new TensorData("classifier.dense.weight", new long[] {2, 4}, new float[8])),
        Map.of());
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.truncate(ch.size() - 5);
    }

    assertThatThrownBy(() -> SafetensorsReader.read(file))
        .isInstanceOf(IOException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("classifier.dense.weight")
        .hasMessageContaining("truncated");
  }

  @Test
  void rejectsHeaderLengthBeyondFile() throws IOException {
    byte[] bytes = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).array();
    Path file = Files.write(tmp.resolve("bad.safetensors"), bytes);

    assertThatThrownBy(() -> SafetensorsReader.read(file))
        .hasMessageContaining(file.toString())
        .hasMessageContaining("header length 1000");
  }

  @Test
  void rejectsOffsetsThatDisagreeWithShape() throws IOException {
    Path file =
        handWritten(
            tmp.resolve("m.safetensors"),
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}",
            new byte[8]);

    assertThatThrownBy(() -> SafetensorsReader.read(file))
        .hasMessageContaining("'w'")
        .hasMessageContaining("needs 12 bytes");
  }
}
