package dev.kret.model.weights;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Writes float32 tensors as a Hugging Face {@code .safetensors} file. The file appears atomically:
 * readers (a serving pod, a checkpoint watcher) never see a half-written one.
 */
public final class SafetensorsWriter {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int CHUNK_FLOATS = 1 << 18;

  private SafetensorsWriter() {}

  /**
   * Writes the tensors in the given order, contiguous and without gaps as the format requires.
   * {@code metadata} becomes the {@code __metadata__} string map; null or empty omits it.
   */
  public static void write(Path file, Collection<TensorData> tensors, Map<String, String> metadata)
      throws IOException {
    byte[] header = header(tensors, metadata);
    Path target = file.toAbsolutePath();
    Path dir = target.getParent();
    Files.createDirectories(dir);
    // Not Files.createTempFile: its owner-only permissions would carry over to the model file.
    Path tmp = dir.resolve("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp");
    try {
      try (FileChannel ch =
          FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW)) {
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        len.putLong(header.length).flip();
        writeFully(ch, len);
        writeFully(ch, ByteBuffer.wrap(header));
        ByteBuffer buf = ByteBuffer.allocate(CHUNK_FLOATS * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (TensorData t : tensors) {
          float[] data = t.data();
          for (int i = 0; i < data.length; i += CHUNK_FLOATS) {
            int n = Math.min(CHUNK_FLOATS, data.length - i);
            buf.clear();
            buf.asFloatBuffer().put(data, i, n);
            buf.limit(n * 4);
            writeFully(ch, buf);
          }
        }
        ch.force(true);
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** The JSON header padded with spaces to a multiple of 8 bytes, as the Rust library does. */
  static byte[] header(Collection<TensorData> tensors, Map<String, String> metadata) {
    ObjectNode root = JSON.createObjectNode();
    if (metadata != null && !metadata.isEmpty()) {
      ObjectNode meta = root.putObject(SafetensorsReader.METADATA_KEY);
      metadata.forEach(meta::put);
    }
    Set<String> seen = new HashSet<>();
    long offset = 0;
    for (TensorData t : tensors) {
      if (SafetensorsReader.METADATA_KEY.equals(t.name()) || !seen.add(t.name())) {
        throw new IllegalArgumentException("duplicate or reserved tensor name: " + t.name());
      }
      ObjectNode info = root.putObject(t.name());
      info.put("dtype", Dtype.F32.name());
      ArrayNode shape = info.putArray("shape");
      for (long d : t.shape()) {
        shape.add(d);
      }
      long end = offset + 4L * t.data().length;
      info.putArray("data_offsets").add(offset).add(end);
      offset = end;
    }
    byte[] json;
    try {
      json = JSON.writeValueAsString(root).getBytes(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    int padded = (json.length + 7) & ~7;
    byte[] out = new byte[padded];
    System.arraycopy(json, 0, out, 0, json.length);
    for (int i = json.length; i < padded; i++) {
      out[i] = ' ';
    }
    return out;
  }

  private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
    while (buf.hasRemaining()) {
      ch.write(buf);
    }
  }
}
