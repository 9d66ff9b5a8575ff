package dev.kret.model.weights;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** Reads a Hugging Face {@code .safetensors} file, widening every tensor to float32. */
public final class SafetensorsReader {

  /** The safetensors library refuses larger headers; so do we, before allocating one. */
  static final long MAX_HEADER_BYTES = 100_000_000L;

  static final String METADATA_KEY = "__metadata__";

  private static final ObjectMapper JSON = new ObjectMapper();

  private SafetensorsReader() {}

  /** Tensors in header order; every offset is checked against the file before reading. */
  public static LinkedHashMap<String, TensorData> read(Path file) throws IOException {
    try (TensorSource source = open(file)) {
      return TensorSource.readAll(source);
    }
  }

  /**
   * The file as a {@link TensorSource}: the header is read and every entry checked against the file
   * now (dtype, shape, offsets), the values when each tensor is read. Close it to release the file.
   */
  public static TensorSource open(Path file) throws IOException {
    FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
    try {
      return new Source(file, ch, entries(file, ch));
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  /** One tensor's place in the file: its dtype, shape and absolute byte position. */
  private record Entry(String name, Dtype dtype, long[] shape, long position, int numel) {}

  private static LinkedHashMap<String, Entry> entries(Path file, FileChannel ch)
      throws IOException {
    long fileSize = ch.size();
    if (fileSize < 8) {
      throw new IOException(file + ": not a safetensors file (" + fileSize + " bytes)");
    }
    ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    readFully(ch, lenBuf, 0);
    long headerLen = lenBuf.flip().getLong();
    if (headerLen < 2 || headerLen > MAX_HEADER_BYTES || headerLen > fileSize - 8) {
      throw new IOException(
          file
              + ": header length "
              + Long.toUnsignedString(headerLen)
              + " does not fit a "
              + fileSize
              + "-byte file (truncated or not safetensors)");
    }
    ByteBuffer headerBuf = ByteBuffer.allocate((int) headerLen);
    readFully(ch, headerBuf, 8);
    JsonNode header;
    try {
      header = JSON.readTree(new String(headerBuf.array(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IOException(file + ": header is not valid JSON: " + e.getMessage(), e);
    }
    if (header == null || !header.isObject()) {
      throw new IOException(file + ": header is not a JSON object");
    }
    long dataStart = 8 + headerLen;
    long dataSize = fileSize - dataStart;

    LinkedHashMap<String, Entry> out = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : header.properties()) {
      String name = e.getKey();
      if (METADATA_KEY.equals(name)) {
        continue;
      }
      if (WeightFiles.isIndexBuffer(name)
          && Dtype.fromSafetensors(e.getValue().path("dtype").asText(null)) == null) {
        continue; // position_ids and friends: integer buffers, not weights
      }
      out.put(name, entry(file, name, e.getValue(), dataStart, dataSize));
    }
    return out;
  }

  private static Entry entry(Path file, String name, JsonNode info, long dataStart, long dataSize)
      throws IOException {
    String where = file + ": tensor '" + name + "'";
    String dtypeName = info.path("dtype").asText(null);
    Dtype dtype = Dtype.fromSafetensors(dtypeName);
    if (dtype == null) {
      throw new IOException(
          where + " has dtype " + dtypeName + "; only F32, F16, BF16 and F64 are supported");
    }
    long[] shape = longs(where, info.path("shape"), "shape");
    long[] offsets = longs(where, info.path("data_offsets"), "data_offsets");
    if (offsets.length != 2) {
      throw new IOException(where + ": data_offsets must hold two numbers");
    }
    long begin = offsets[0];
    long end = offsets[1];
    long numel;
    long nbytes;
    try {
      numel = TensorData.numel(shape);
      nbytes = Math.multiplyExact(numel, dtype.bytes);
    } catch (IllegalArgumentException | ArithmeticException ex) {
      throw new IOException(where + ": invalid shape " + Arrays.toString(shape), ex);
    }
    if (begin < 0 || end < begin) {
      throw new IOException(where + ": invalid data_offsets [" + begin + ", " + end + "]");
    }
    if (end > dataSize) {
      throw new IOException(
          where
              + " needs data bytes ["
              + begin
              + ", "
              + end
              + ") but the file holds only "
              + dataSize
              + " (truncated or corrupt)");
    }
    if (end - begin != nbytes) {
      throw new IOException(
          where
              + ": shape "
              + Arrays.toString(shape)
              + " of "
              + dtype
              + " needs "
              + nbytes
              + " bytes but data_offsets span "
              + (end - begin));
    }
    if (numel > Integer.MAX_VALUE - 8) {
      throw new IOException(where + ": " + numel + " elements exceed a Java float[]");
    }
    return new Entry(name, dtype, shape, dataStart + begin, (int) numel);
  }

  /** An open file whose entries are checked; reads a tensor on demand. */
  private static final class Source implements TensorSource {
    private final Path file;
    private final FileChannel ch;
    private final LinkedHashMap<String, Entry> entries;
    private final Map<String, long[]> shapes = new LinkedHashMap<>();

    Source(Path file, FileChannel ch, LinkedHashMap<String, Entry> entries) {
      this.file = file;
      this.ch = ch;
      this.entries = entries;
      entries.forEach((name, e) -> shapes.put(name, e.shape()));
    }

    @Override
    public Map<String, long[]> shapes() {
      return java.util.Collections.unmodifiableMap(shapes);
    }

    @Override
    public TensorData read(String name) throws IOException {
      Entry e = entry(name);
      float[] data = new float[e.numel()];
      fill(e, FloatBuffer.wrap(data));
      return new TensorData(name, e.shape(), data);
    }

    @Override
    public ByteBuffer readDirect(String name) throws IOException {
      Entry e = entry(name);
      ByteBuffer out =
          ByteBuffer.allocateDirect(e.numel() * Float.BYTES).order(ByteOrder.nativeOrder());
      fill(e, out.asFloatBuffer());
      return out;
    }

    private Entry entry(String name) {
      Entry e = entries.get(name);
      if (e == null) {
        throw new IllegalArgumentException(file + ": no tensor '" + name + "'");
      }
      return e;
    }

    /** Widens the tensor's values into {@code dst}, from the file. */
    private void fill(Entry e, FloatBuffer dst) throws IOException {
      synchronized (ch) {
        ch.position(e.position());
        try {
          e.dtype().read(ch, dst, e.numel());
        } catch (EOFException ex) {
          throw new IOException(
              file + ": tensor '" + e.name() + "': file ended early (truncated)", ex);
        }
      }
    }

    @Override
    public void close() throws IOException {
      ch.close();
    }
  }

  private static long[] longs(String where, JsonNode node, String field) throws IOException {
    if (!node.isArray()) {
      throw new IOException(where + ": missing or invalid " + field);
    }
    long[] out = new long[node.size()];
    for (int i = 0; i < out.length; i++) {
      JsonNode n = node.get(i);
      if (!n.canConvertToLong() || !n.isIntegralNumber()) {
        throw new IOException(where + ": " + field + " holds a non-integer " + n);
      }
      out[i] = n.asLong();
    }
    return out;
  }

  private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
    long pos = position;
    while (buf.hasRemaining()) {
      int n = ch.read(buf, pos);
      if (n < 0) {
        throw new EOFException();
      }
      pos += n;
    }
  }
}
