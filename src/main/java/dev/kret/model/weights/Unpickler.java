package dev.kret.model.weights;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A pickle VM that understands exactly what a PyTorch state dict needs. It never executes code:
 * every GLOBAL is checked against a fixed allow-list and calls are interpreted here, so a malicious
 * checkpoint can at worst be rejected.
 */
final class Unpickler {

  /** A module attribute named by GLOBAL; only ever a marker, never resolved to code. */
  record Global(String module, String name) {
    String qualified() {
      return module + "." + name;
    }
  }

  /** A Python tuple; a record so tuples compare by value when used as dict keys. */
  record Tuple(List<Object> items) {
    Object get(int i) {
      return items.get(i);
    }

    int size() {
      return items.size();
    }
  }

  /** A storage as named by its persistent id; its bytes live in {@code data/<key>}. */
  record StorageRef(String type, String key, String location, long numel) {}

  /** The arguments of {@code _rebuild_tensor_v2}: a strided view onto a storage. */
  record TensorRef(StorageRef storage, long offset, long[] size, long[] stride) {}

  private static final Set<String> STORAGE_TYPES =
      Set.of(
          "FloatStorage",
          "HalfStorage",
          "BFloat16Storage",
          "DoubleStorage",
          "LongStorage",
          "IntStorage",
          "ShortStorage",
          "CharStorage",
          "ByteStorage",
          "BoolStorage",
          "UntypedStorage");

  private static final Set<String> TORCH_DTYPES =
      Set.of(
          "float32",
          "float",
          "float16",
          "half",
          "bfloat16",
          "float64",
          "double",
          "int64",
          "long",
          "int32",
          "int",
          "int16",
          "short",
          "int8",
          "uint8",
          "bool");

  private static final Global ORDERED_DICT = new Global("collections", "OrderedDict");
  private static final Global REBUILD_TENSOR = new Global("torch._utils", "_rebuild_tensor_v2");
  private static final Global REBUILD_PARAMETER = new Global("torch._utils", "_rebuild_parameter");
  private static final Global TORCH_SIZE = new Global("torch", "Size");

  private final ByteBuffer in;
  private final String source;
  private final List<Object> stack = new ArrayList<>();
  private final Deque<Integer> marks = new ArrayDeque<>();
  private final Map<Long, Object> memo = new HashMap<>();

  private Unpickler(byte[] pickle, String source) {
    this.in = ByteBuffer.wrap(pickle).order(ByteOrder.LITTLE_ENDIAN);
    this.source = source;
  }

  /** Runs the pickle in {@code pickle}; {@code source} names it in error messages. */
  static Object load(byte[] pickle, String source) throws IOException {
    Unpickler u = new Unpickler(pickle, source);
    try {
      return u.run();
    } catch (BufferUnderflowException | IndexOutOfBoundsException e) {
      throw new IOException(source + ": truncated or corrupt pickle at byte " + u.in.position(), e);
    } catch (ClassCastException e) {
      throw new IOException(
          source + ": unexpected object in pickle at byte " + u.in.position() + ": " + e, e);
    }
  }

  static boolean allowed(Global g) {
    return switch (g.module()) {
      case "collections" -> g.name().equals("OrderedDict");
      case "torch._utils" ->
          g.name().equals("_rebuild_tensor_v2") || g.name().equals("_rebuild_parameter");
      case "torch" ->
          g.name().equals("Size")
              || STORAGE_TYPES.contains(g.name())
              || TORCH_DTYPES.contains(g.name());
      case "torch.storage" -> g.name().equals("UntypedStorage");
      default -> false;
    };
  }

  private Object run() throws IOException {
    while (true) {
      int pos = in.position();
      int op = in.get() & 0xff;
      switch (op) {
        case 0x80 -> { // PROTO
          int proto = in.get() & 0xff;
          if (proto > 5) {
            throw new IOException(source + ": unsupported pickle protocol " + proto);
          }
        }
        case 0x95 ->
            in.getLong(); // FRAME: framing is irrelevant when the whole pickle is in memory
        case '.' -> { // STOP
          return pop();
        }
        case '(' -> marks.push(stack.size()); // MARK
        case '0' -> pop(); // POP
        case '1' -> popMark(); // POP_MARK
        case '2' -> push(peek()); // DUP
        case 'c' -> push(global(readLine(), readLine())); // GLOBAL
        case 0x93 -> { // STACK_GLOBAL
          String name = (String) pop();
          String module = (String) pop();
          push(global(module, name));
        }
        case 'q' -> memo.put((long) (in.get() & 0xff), peek()); // BINPUT
        case 'r' -> memo.put(in.getInt() & 0xffffffffL, peek()); // LONG_BINPUT
        case 0x94 -> memo.put((long) memo.size(), peek()); // MEMOIZE
        case 'h' -> push(memoGet(in.get() & 0xff)); // BINGET
        case 'j' -> push(memoGet(in.getInt() & 0xffffffffL)); // LONG_BINGET
        case '}' -> push(new LinkedHashMap<>()); // EMPTY_DICT
        case ']' -> push(new ArrayList<>()); // EMPTY_LIST
        case ')' -> push(new Tuple(List.of())); // EMPTY_TUPLE
        case 't' -> push(tuple(popMark())); // TUPLE
        case 0x85 -> push(tuple(List.of(pop()))); // TUPLE1
        case 0x86 -> { // TUPLE2
          Object b = pop();
          Object a = pop();
          push(tuple(Arrays.asList(a, b)));
        }
        case 0x87 -> { // TUPLE3
          Object c = pop();
          Object b = pop();
          Object a = pop();
          push(tuple(Arrays.asList(a, b, c)));
        }
        case 'l' -> push(new ArrayList<>(popMark())); // LIST
        case 'd' -> { // DICT
          Map<Object, Object> d = new LinkedHashMap<>();
          putPairs(d, popMark());
          push(d);
        }
        case 'J' -> push((long) in.getInt()); // BININT
        case 'K' -> push((long) (in.get() & 0xff)); // BININT1
        case 'M' -> push((long) (in.getShort() & 0xffff)); // BININT2
        case 0x8a -> push(readLong(in.get() & 0xff)); // LONG1
        case 0x8b -> push(readLong(in.getInt())); // LONG4
        case 'X' ->
            push(readString(in.getInt() & 0xffffffffL, StandardCharsets.UTF_8)); // BINUNICODE
        case 0x8c -> push(readString(in.get() & 0xff, StandardCharsets.UTF_8)); // SHORT_BINUNICODE
        case 0x8d -> push(readString(in.getLong(), StandardCharsets.UTF_8)); // BINUNICODE8
        case 'T' -> push(readString(in.getInt() & 0xffffffffL, StandardCharsets.ISO_8859_1));
        case 'U' -> push(readString(in.get() & 0xff, StandardCharsets.ISO_8859_1));
        case 'B' -> push(readBytes(in.getInt() & 0xffffffffL)); // BINBYTES
        case 'C' -> push(readBytes(in.get() & 0xff)); // SHORT_BINBYTES
        case 0x88 -> push(Boolean.TRUE); // NEWTRUE
        case 0x89 -> push(Boolean.FALSE); // NEWFALSE
        case 'N' -> push(null); // NONE
        case 'G' -> push(Double.longBitsToDouble(Long.reverseBytes(in.getLong()))); // BINFLOAT, BE
        case 'R' -> { // REDUCE
          Tuple args = (Tuple) pop();
          Object callable = pop();
          push(call(callable, args));
        }
        case 0x81 -> { // NEWOBJ
          Tuple args = (Tuple) pop();
          Object cls = pop();
          if (!ORDERED_DICT.equals(cls)) {
            throw new IOException(source + ": cannot instantiate " + describe(cls));
          }
          push(call(cls, args));
        }
        case 'b' -> pop(); // BUILD: object state (e.g. OrderedDict._metadata) is not needed
        case 's' -> { // SETITEM
          Object value = pop();
          Object key = pop();
          dict(peek()).put(key, value);
        }
        case 'u' -> { // SETITEMS
          List<Object> items = popMark();
          putPairs(dict(peek()), items);
        }
        case 'a' -> { // APPEND
          Object value = pop();
          list(peek()).add(value);
        }
        case 'e' -> { // APPENDS
          List<Object> items = popMark();
          list(peek()).addAll(items);
        }
        case 'Q' -> push(persistentLoad(pop())); // BINPERSID
        default ->
            throw new IOException(
                String.format("%s: unsupported pickle opcode 0x%02x at byte %d", source, op, pos));
      }
    }
  }

  private Global global(String module, String name) throws IOException {
    Global g = new Global(module, name);
    if (!allowed(g)) {
      throw new IOException(source + ": refusing to unpickle " + g.qualified());
    }
    return g;
  }

  private Object call(Object callable, Tuple args) throws IOException {
    if (ORDERED_DICT.equals(callable)) {
      Map<Object, Object> d = new LinkedHashMap<>();
      if (args.size() == 1 && args.get(0) instanceof List<?> pairs) {
        for (Object p : pairs) {
          Tuple pair = (Tuple) p;
          d.put(pair.get(0), pair.get(1));
        }
      } else if (args.size() != 0) {
        throw new IOException(source + ": unexpected OrderedDict arguments " + args);
      }
      return d;
    }
    if (REBUILD_TENSOR.equals(callable)) {
      if (args.size() < 4 || !(args.get(0) instanceof StorageRef storage)) {
        throw new IOException(source + ": malformed _rebuild_tensor_v2 arguments");
      }
      return new TensorRef(
          storage, (Long) args.get(1), longs((Tuple) args.get(2)), longs((Tuple) args.get(3)));
    }
    if (REBUILD_PARAMETER.equals(callable)) {
      return args.get(0);
    }
    if (TORCH_SIZE.equals(callable)) {
      return args.size() == 0 ? new Tuple(List.of()) : args.get(0);
    }
    throw new IOException(source + ": refusing to call " + describe(callable));
  }

  /** Torch writes {@code ('storage', torch.XStorage, key, location, numel)}. */
  private Object persistentLoad(Object pid) throws IOException {
    if (pid instanceof Tuple t
        && t.size() == 5
        && "storage".equals(t.get(0))
        && t.get(1) instanceof Global type
        && t.get(4) instanceof Long numel) {
      return new StorageRef(type.name(), String.valueOf(t.get(2)), String.valueOf(t.get(3)), numel);
    }
    throw new IOException(source + ": unsupported persistent id " + pid);
  }

  private static long[] longs(Tuple t) {
    long[] out = new long[t.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (Long) t.get(i);
    }
    return out;
  }

  private static Tuple tuple(List<Object> items) {
    return new Tuple(items);
  }

  private void putPairs(Map<Object, Object> d, List<Object> items) throws IOException {
    if (items.size() % 2 != 0) {
      throw new IOException(source + ": odd number of dict items");
    }
    for (int i = 0; i < items.size(); i += 2) {
      d.put(items.get(i), items.get(i + 1));
    }
  }

  @SuppressWarnings("unchecked")
  private Map<Object, Object> dict(Object o) throws IOException {
    if (o instanceof Map<?, ?> m) {
      return (Map<Object, Object>) m;
    }
    throw new IOException(source + ": cannot set items on " + describe(o));
  }

  @SuppressWarnings("unchecked")
  private List<Object> list(Object o) throws IOException {
    if (o instanceof ArrayList<?> l) {
      return (List<Object>) l;
    }
    throw new IOException(source + ": cannot append to " + describe(o));
  }

  private static String describe(Object o) {
    if (o instanceof Global g) {
      return g.qualified();
    }
    return o == null ? "None" : o.getClass().getSimpleName();
  }

  private Object memoGet(long index) throws IOException {
    if (!memo.containsKey(index)) {
      throw new IOException(source + ": memo key " + index + " missing");
    }
    return memo.get(index);
  }

  private void push(Object o) {
    stack.add(o);
  }

  private Object pop() throws IOException {
    if (stack.isEmpty() || (!marks.isEmpty() && stack.size() <= marks.peek())) {
      throw new IOException(source + ": pickle stack underflow at byte " + in.position());
    }
    return stack.remove(stack.size() - 1);
  }

  private Object peek() throws IOException {
    if (stack.isEmpty()) {
      throw new IOException(source + ": pickle stack underflow at byte " + in.position());
    }
    return stack.get(stack.size() - 1);
  }

  private List<Object> popMark() throws IOException {
    if (marks.isEmpty()) {
      throw new IOException(source + ": pickle MARK missing at byte " + in.position());
    }
    int mark = marks.pop();
    List<Object> tail = stack.subList(mark, stack.size());
    List<Object> items = new ArrayList<>(tail);
    tail.clear();
    return items;
  }

  private String readLine() throws IOException {
    int start = in.position();
    while (in.get() != '\n') {
      if (in.position() - start > 1000) {
        throw new IOException(source + ": GLOBAL name too long at byte " + start);
      }
    }
    return new String(in.array(), start, in.position() - start - 1, StandardCharsets.UTF_8);
  }

  private String readString(long length, java.nio.charset.Charset charset) throws IOException {
    return new String(readBytes(length), charset);
  }

  private byte[] readBytes(long length) throws IOException {
    if (length < 0 || length > in.remaining()) {
      throw new IOException(source + ": truncated pickle at byte " + in.position());
    }
    byte[] b = new byte[(int) length];
    in.get(b);
    return b;
  }

  /**
   * LONG1/LONG4 hold a little-endian two's-complement integer; anything wider than 64 bits fails.
   */
  private Long readLong(int length) throws IOException {
    if (length < 0 || length > 8) {
      throw new IOException(source + ": integer of " + length + " bytes is too large");
    }
    byte[] b = readBytes(length);
    long v = 0;
    for (int i = length - 1; i >= 0; i--) {
      v = (v << 8) | (b[i] & 0xff);
    }
    if (length > 0 && length < 8 && (b[length - 1] & 0x80) != 0) {
      v -= 1L << (8 * length);
    }
    return v;
  }
}
