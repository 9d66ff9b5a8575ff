package dev.kret.model.weights;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PytorchCheckpointReaderTest {

  @TempDir Path tmp;

  @Test
  void honoursStrideAndOffsetInPickle() throws IOException {
    byte[] pkl =
        new Pickles()
            .beginStateDict()
            // A transposed 2x2 view starting at element 1: [[s1, s3], [s2, s4]].
            .tensor("t", "FloatStorage", "0", 6, 1, new long[] {2, 2}, new long[] {1, 2})
            // A second tensor on the same storage.
            .tensor("tail", "FloatStorage", "0", 6, 4, new long[] {2}, new long[] {1})
            .endStateDict();
    Path file =
        Pickles.checkpoint(
            tmp.resolve("m.bin"),
            "archive",
            pkl,
            Map.of("0", LittleEndian.floats(0, 1, 2, 3, 4, 5)));

    LinkedHashMap<String, TensorData> tensors = PytorchCheckpointReader.read(file);

    assertThat(tensors).containsOnlyKeys("t", "tail");
    assertThat(tensors.get("t").shape()).containsExactly(2, 2);
    assertThat(tensors.get("t").data()).containsExactly(1f, 3f, 2f, 4f);
    assertThat(tensors.get("tail").data()).containsExactly(4f, 5f);
  }

  @Test
  void refusesUnknownPickleGlobals() throws IOException {
    byte[] pkl =
        new Pickles()
            .proto(2)
            .global("os", "system")
            .mark()
            .str("echo pwned")
            .tuple()
            .op('R')
            .op('.')
            .bytes();
    Path file = Pickles.checkpoint(tmp.resolve("evil.bin"), "archive", pkl, Map.of());

    assertThatThrownBy(() -> PytorchCheckpointReader.read(file))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("refusing to unpickle os.system");
  }

  @Test
  void refusesUnknownGlobalsPushedByStackGlobal() throws IOException {
    byte[] pkl =
        new Pickles().proto(4).shortStr("builtins").shortStr("eval").op(0x93).op('.').bytes();
    Path file = Pickles.checkpoint(tmp.resolve("evil.bin"), "archive", pkl, Map.of());

    assertThatThrownBy(() -> PytorchCheckpointReader.read(file))
        .hasMessageContaining("refusing to unpickle builtins.eval");
  }

  @Test
  void readsProtocol4HalfParameterUnderAnyArchiveName() throws IOException {
    Path file =
        Pickles.checkpoint(
            tmp.resolve("m.bin"),
            "my_model-v2",
            protocol4Parameter(),
            Map.of("k", LittleEndian.shorts(0x3c00, 0xc100, 0x0001)));

    TensorData w = PytorchCheckpointReader.read(file).get("w");

    assertThat(w.shape()).containsExactly(3);
    assertThat(w.data()).containsExactly(1f, -2.5f, 0x1p-24f);
  }

  /**
   * {@code {"w": _rebuild_parameter(_rebuild_tensor_v2(half storage), True, OrderedDict())}} with
   * protocol 4's FRAME, MEMOIZE and STACK_GLOBAL.
   */
  private static byte[] protocol4Parameter() {
    Pickles p = new Pickles().proto(4).op(0x95);
    for (int i = 0; i < 8; i++) {
      p.op(0);
    }
    p.op('}').op(0x94).mark().shortStr("w");
    p.shortStr("torch._utils").shortStr("_rebuild_parameter").op(0x93).op(0x94);
    // _rebuild_tensor_v2(...) as the first argument of _rebuild_parameter
    p.shortStr("torch._utils").shortStr("_rebuild_tensor_v2").op(0x93).op(0x94).mark();
    p.mark().shortStr("storage").shortStr("torch").shortStr("HalfStorage").op(0x93);
    p.shortStr("k").shortStr("cpu").integer(3).tuple().op('Q');
    p.integer(0).ints(3).ints(1).op(0x89);
    p.global("collections", "OrderedDict").op(')').op('R').tuple().op('R');
    p.op(0x88).global("collections", "OrderedDict").op(')').op('R').op(0x87).op('R');
    return p.op('u').op('.').bytes();
  }

  @Test
  void rejectsIntegerStorageNamingTensor() throws IOException {
    byte[] pkl =
        new Pickles()
            .beginStateDict()
            .tensor(
                "classifier.int_weight",
                "LongStorage",
                "0",
                2,
                0,
                new long[] {1, 2},
                new long[] {2, 1})
            .endStateDict();
    Path file = Pickles.checkpoint(tmp.resolve("m.bin"), "archive", pkl, Map.of("0", new byte[16]));

    assertThatThrownBy(() -> PytorchCheckpointReader.read(file))
        .hasMessageContaining("classifier.int_weight")
        .hasMessageContaining("LongStorage");
  }

  @Test
  void skipsIntegerPositionIdsBufferOfOlderCheckpoints() throws IOException {
    byte[] pkl =
        new Pickles()
            .beginStateDict()
            .tensor(
                "roberta.embeddings.position_ids",
                "LongStorage",
                "0",
                2,
                0,
                new long[] {1, 2},
                new long[] {2, 1})
            .endStateDict();
    Path file = Pickles.checkpoint(tmp.resolve("m.bin"), "archive", pkl, Map.of("0", new byte[16]));

    assertThat(PytorchCheckpointReader.read(file)).isEmpty();
  }

  @Test
  void rejectsViewReachingPastItsStorage() throws IOException {
    byte[] pkl =
        new Pickles()
            .beginStateDict()
            .tensor("w", "FloatStorage", "0", 4, 1, new long[] {2, 2}, new long[] {2, 1})
            .endStateDict();
    Path file =
        Pickles.checkpoint(
            tmp.resolve("m.bin"), "archive", pkl, Map.of("0", LittleEndian.floats(0, 1, 2, 3)));

    assertThatThrownBy(() -> PytorchCheckpointReader.read(file))
        .hasMessageContaining("'w'")
        .hasMessageContaining("4-element storage");
  }

  @Test
  void rejectsLegacyNonZipCheckpoint() throws IOException {
    Path file = Files.write(tmp.resolve("old.bin"), new byte[] {(byte) 0x80, 2, '}', '.'});

    assertThatThrownBy(() -> PytorchCheckpointReader.read(file))
        .hasMessageContaining(file.toString())
        .hasMessageContaining("not a zip checkpoint");
  }
}
