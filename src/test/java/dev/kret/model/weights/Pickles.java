package dev.kret.model.weights;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes pickle opcodes by hand, the way torch.save lays out a state dict, for test checkpoints.
 */
final class Pickles {

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  Pickles op(int opcode) {
    out.write(opcode);
    return this;
  }

  Pickles proto(int protocol) {
    return op(0x80).op(protocol);
  }

  Pickles global(String module, String name) {
    op('c');
    out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.UTF_8));
    return this;
  }

  Pickles str(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    op('X');
    out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length).array());
    out.writeBytes(b);
    return this;
  }

  Pickles shortStr(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    op(0x8c).op(b.length);
    out.writeBytes(b);
    return this;
  }

  Pickles integer(long v) {
    op('J');
    out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array());
    return this;
  }

  Pickles mark() {
    return op('(');
  }

  Pickles tuple() {
    return op('t');
  }

  Pickles ints(long... values) {
    mark();
    for (long v : values) {
      integer(v);
    }
    return tuple();
  }

  /** Opens {@code OrderedDict()} and a MARK for its items, as torch.save does. */
  Pickles beginStateDict() {
    return proto(2).global("collections", "OrderedDict").op(')').op('R').mark();
  }

  /** SETITEMS, then a BUILD with {@code _metadata} like a real state dict, then STOP. */
  byte[] endStateDict() {
    op('u');
    op('}').str("_metadata").op('}').op('s').op('b');
    return op('.').bytes();
  }

  /** One {@code name: _rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())}. */
  Pickles tensor(
      String name,
      String storageType,
      String key,
      long storageNumel,
      long offset,
      long[] size,
      long[] stride) {
    str(name);
    global("torch._utils", "_rebuild_tensor_v2").mark();
    mark().str("storage").global("torch", storageType).str(key).str("cpu").integer(storageNumel);
    tuple().op('Q');
    integer(offset).ints(size).ints(stride).op(0x89);
    global("collections", "OrderedDict").op(')').op('R');
    return tuple().op('R');
  }

  byte[] bytes() {
    return out.toByteArray();
  }

  /** A torch.save-style zip: {@code <archive>/data.pkl}, {@code data/<key>} and a version file. */
  static Path checkpoint(Path file, String archive, byte[] pkl, Map<String, byte[]> storages)
      throws IOException {
    try (OutputStream os = Files.newOutputStream(file);
        ZipOutputStream zip = new ZipOutputStream(os)) {
      zip.putNextEntry(new ZipEntry(archive + "/data.pkl"));
      zip.write(pkl);
      for (Map.Entry<String, byte[]> e : storages.entrySet()) {
        zip.putNextEntry(new ZipEntry(archive + "/data/" + e.getKey()));
        zip.write(e.getValue());
      }
      zip.putNextEntry(new ZipEntry(archive + "/version"));
      zip.write("3\n".getBytes(StandardCharsets.US_ASCII));
    }
    return file;
  }
}
