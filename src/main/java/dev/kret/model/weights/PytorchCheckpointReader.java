package dev.kret.model.weights;

import dev.kret.model.weights.Unpickler.StorageRef;
import dev.kret.model.weights.Unpickler.TensorRef;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reads a {@code pytorch_model.bin} written by {@code torch.save} (the zip format of torch 1.6+)
 * without torch: a restricted unpickler for {@code data.pkl} and the raw storages beside it.
 */
public final class PytorchCheckpointReader {

  private static final Pattern DATA_PKL = Pattern.compile("[^/]+/data\\.pkl");

  private PytorchCheckpointReader() {}

  /** Tensors in state-dict order, each a row-major copy of its (possibly strided) view. */
  public static LinkedHashMap<String, TensorData> read(Path file) throws IOException {
    ZipFile zip;
    try {
      zip = new ZipFile(file.toFile());
    } catch (ZipException e) {
      throw new IOException(
          file
              + ": not a zip checkpoint. Legacy (torch < 1.6) torch.save files are not supported;"
              + " convert the model to safetensors",
          e);
    }
    try (zip) {
      String prefix = archivePrefix(file, zip);
      ZipEntry byteOrder = zip.getEntry(prefix + "byteorder");
      if (byteOrder != null) {
        String order = new String(zip.getInputStream(byteOrder).readAllBytes()).trim();
        if (!order.equals("little")) {
          throw new IOException(file + ": storages are " + order + "-endian; only little is read");
        }
      }
      ZipEntry pklEntry = zip.getEntry(prefix + "data.pkl");
      byte[] pkl;
      try (InputStream in = zip.getInputStream(pklEntry)) {
        pkl = in.readAllBytes();
      }
      Object root = Unpickler.load(pkl, file + "!" + pklEntry.getName());
      if (!(root instanceof Map<?, ?> stateDict)) {
        throw new IOException(file + ": data.pkl does not hold a state dict");
      }
      return materialize(file, zip, prefix, stateDict);
    }
  }

  private static String archivePrefix(Path file, ZipFile zip) throws IOException {
    List<String> found =
        zip.stream().map(ZipEntry::getName).filter(n -> DATA_PKL.matcher(n).matches()).toList();
    if (found.size() != 1) {
      throw new IOException(
          file
              + (found.isEmpty()
                  ? ": no <archive>/data.pkl inside; not a torch.save checkpoint"
                  : ": several data.pkl entries " + found));
    }
    String pkl = found.get(0);
    return pkl.substring(0, pkl.length() - "data.pkl".length());
  }

  private static LinkedHashMap<String, TensorData> materialize(
      Path file, ZipFile zip, String prefix, Map<?, ?> stateDict) throws IOException {
    // Storages are decoded one at a time, so the heap holds the result plus one storage.
    Map<String, List<String>> namesByStorage = new LinkedHashMap<>();
    Map<String, TensorRef> refs = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : stateDict.entrySet()) {
      if (!(e.getKey() instanceof String name) || !(e.getValue() instanceof TensorRef ref)) {
        throw new IOException(
            file + ": entry " + e.getKey() + " is not a tensor; expected a flat state dict");
      }
      refs.put(name, ref);
      namesByStorage.computeIfAbsent(ref.storage().key(), k -> new ArrayList<>()).add(name);
    }
    Map<String, TensorData> byName = new HashMap<>();
    for (Map.Entry<String, List<String>> e : namesByStorage.entrySet()) {
      List<String> names = e.getValue();
      StorageRef storage = refs.get(names.get(0)).storage();
      Dtype dtype = dtypeOf(storage.type());
      if (dtype == null && names.stream().allMatch(WeightFiles::isIndexBuffer)) {
        continue; // position_ids and friends: integer buffers, not weights
      }
      if (dtype == null) {
        throw new IOException(
            file
                + ": tensor '"
                + names.get(0)
                + "' is stored as "
                + storage.type()
                + "; only Float, Half, BFloat16 and Double storages are supported");
      }
      float[] values = readStorage(file, zip, prefix, storage, dtype, names.get(0));
      for (String name : names) {
        TensorRef ref = refs.get(name);
        byName.put(name, view(file, name, ref, values, names.size() == 1));
      }
    }
    LinkedHashMap<String, TensorData> out = new LinkedHashMap<>();
    for (String name : refs.keySet()) {
      if (byName.containsKey(name)) {
        out.put(name, byName.get(name));
      }
    }
    return out;
  }

  static Dtype dtypeOf(String storageType) {
    return switch (storageType) {
      case "FloatStorage" -> Dtype.F32;
      case "HalfStorage" -> Dtype.F16;
      case "BFloat16Storage" -> Dtype.BF16;
      case "DoubleStorage" -> Dtype.F64;
      default -> null;
    };
  }

  private static float[] readStorage(
      Path file, ZipFile zip, String prefix, StorageRef storage, Dtype dtype, String tensor)
      throws IOException {
    String where = file + ": tensor '" + tensor + "'";
    ZipEntry entry = zip.getEntry(prefix + "data/" + storage.key());
    if (entry == null) {
      throw new IOException(where + ": storage data/" + storage.key() + " is missing");
    }
    if (storage.numel() < 0 || storage.numel() > Integer.MAX_VALUE - 8) {
      throw new IOException(where + ": storage of " + storage.numel() + " elements unsupported");
    }
    float[] values = new float[(int) storage.numel()];
    try (InputStream in = zip.getInputStream(entry)) {
      dtype.read(Channels.newChannel(in), values, 0, values.length);
    } catch (EOFException e) {
      throw new IOException(
          where
              + ": storage data/"
              + storage.key()
              + " is shorter than its "
              + values.length
              + " elements (truncated)",
          e);
    }
    return values;
  }

  /** Copies a strided view into a row-major array; an unshared whole storage is used as is. */
  private static TensorData view(
      Path file, String name, TensorRef ref, float[] storage, boolean onlyUser) throws IOException {
    long[] size = ref.size();
    long[] stride = ref.stride();
    long numel;
    try {
      numel = TensorData.numel(size);
    } catch (IllegalArgumentException | ArithmeticException e) {
      throw new IOException(file + ": tensor '" + name + "' has invalid size", e);
    }
    if (numel > Integer.MAX_VALUE - 8) {
      throw new IOException(file + ": tensor '" + name + "' is too large for a Java float[]");
    }
    if (stride.length != size.length || ref.offset() < 0) {
      throw new IOException(file + ": tensor '" + name + "' has an invalid stride or offset");
    }
    long last = ref.offset();
    boolean contiguous = true;
    long expected = 1;
    for (int d = size.length - 1; d >= 0; d--) {
      if (stride[d] < 0) {
        throw new IOException(file + ": tensor '" + name + "' has a negative stride");
      }
      if (size[d] > 0) {
        last += (size[d] - 1) * stride[d];
      }
      if (size[d] != 1 && stride[d] != expected) {
        contiguous = false;
      }
      expected *= size[d];
    }
    if (numel > 0 && last >= storage.length) {
      throw new IOException(
          file
              + ": tensor '"
              + name
              + "' "
              + Arrays.toString(size)
              + " at offset "
              + ref.offset()
              + " with stride "
              + Arrays.toString(stride)
              + " reaches element "
              + last
              + " of a "
              + storage.length
              + "-element storage");
    }
    float[] data;
    if (contiguous && ref.offset() == 0 && numel == storage.length && onlyUser) {
      data = storage;
    } else if (contiguous) {
      int from = (int) ref.offset();
      data = Arrays.copyOfRange(storage, from, from + (int) numel);
    } else {
      data = gather(storage, ref.offset(), size, stride, (int) numel);
    }
    return new TensorData(name, size.clone(), data);
  }

  private static float[] gather(
      float[] storage, long offset, long[] size, long[] stride, int numel) {
    float[] out = new float[numel];
    int nd = size.length;
    long[] index = new long[nd];
    long pos = offset;
    for (int i = 0; i < numel; i++) {
      out[i] = storage[(int) pos];
      for (int d = nd - 1; d >= 0; d--) {
        index[d]++;
        pos += stride[d];
        if (index[d] < size[d]) {
          break;
        }
        pos -= stride[d] * size[d];
        index[d] = 0;
      }
    }
    return out;
  }
}
