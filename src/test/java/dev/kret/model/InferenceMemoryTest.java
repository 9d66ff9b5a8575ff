package dev.kret.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.kret.data.Labels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Inference frees each layer's activations as the next layer consumes them (issue 20): a
 * roberta-base predictor kept every layer's attention scores of a batch alive until the batch ended
 * and peaked at 11.6 GB. Measured here at a small scale where one layer's attention scores are the
 * largest tensor by far: 6 layers, 4 heads, batch 16 × 512 tokens, so one score tensor is 16 × 4 ×
 * 512 × 512 floats = 64 MiB, and holding every layer's would take gigabytes.
 */
class InferenceMemoryTest {

  static final int LAYERS = 6;
  static final int HIDDEN = 64;
  static final int HEADS = 4;
  static final int BATCH = 16;
  static final int LENGTH = 512;
  static final long SCORES_BYTES = 4L * BATCH * HEADS * LENGTH * LENGTH;

  static RelationModel model;

  @BeforeAll
  static void load() {
    RobertaConfig cfg =
        RobertaConfig.small(1000, HIDDEN, LAYERS, HEADS, 4 * HIDDEN, Labels.RELATIONS)
            .withHead(HeadType.ENTITY_START);
    model = RelationModel.random(cfg, Device.cpu(), 7);
  }

  @AfterAll
  static void close() {
    model.close();
  }

  private static NDArray[] batch(NDManager m) {
    SplittableRandom r = new SplittableRandom(3);
    long[] ids = new long[BATCH * LENGTH];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = 3 + r.nextInt(997);
    }
    long[] mask = new long[BATCH * LENGTH];
    java.util.Arrays.fill(mask, 1L);
    long[] subject = new long[BATCH];
    long[] object = new long[BATCH];
    java.util.Arrays.fill(subject, 1L);
    java.util.Arrays.fill(object, 5L);
    return new NDArray[] {
      m.create(ids, new Shape(BATCH, LENGTH)),
      m.create(mask, new Shape(BATCH, LENGTH)),
      m.create(subject, new Shape(BATCH)),
      m.create(object, new Shape(BATCH))
    };
  }

  private static long liveBytes(NDManager m) {
    long sum = 0;
    for (NDArray a : m.getManagedArrays()) {
      if (!a.isReleased()) {
        sum += a.getShape().size() * a.getDataType().getNumOfBytes();
      }
    }
    return sum;
  }

  @Test
  void afterTheEncoderOnlyItsInputAndOutputStayAlive() {
    JniUtils.setGradMode(false);
    try (NDManager m = model.manager().newSubManager()) {
      NDArray[] in = batch(m);
      long inputs = liveBytes(m);
      NDArray states = model.encode(in[0], in[1], false);
      long output = 4L * BATCH * LENGTH * HIDDEN;
      assertThat(states.getShape()).isEqualTo(new Shape(BATCH, LENGTH, HIDDEN));
      // Kept: the inputs and the last layer's states. Before the fix every layer's activations
      // stayed in the step's manager: over 30 arrays per layer, their scores alone 6 × 64 MiB.
      assertThat(liveBytes(m)).isLessThanOrEqualTo(inputs + output);
    } finally {
      JniUtils.setGradMode(true);
    }
  }

  @Test
  void peakResidentMemoryOfAForwardPassStaysWithinTwoScoreTensors() throws IOException {
    Path clearRefs = Path.of("/proc/self/clear_refs");
    assumeTrue(Files.isWritable(clearRefs), "needs Linux's resettable peak RSS");
    JniUtils.setGradMode(false);
    try {
      forward(); // libtorch's thread pool, the JIT, DJL's classes: not what is measured
      System.gc();
      long before = status("VmRSS");
      Files.writeString(clearRefs, "5"); // resets VmHWM to the current RSS
      forward();
      long growth = status("VmHWM") - before;
      // Attention holds at most the scores and their softmax at once (2 × 64 MiB), and the rest of
      // a layer is small beside them; before the fix the pass grew by well over a gigabyte.
      assertThat(growth)
          .as("peak RSS growth of one forward pass, bytes (one score tensor %d)", SCORES_BYTES)
          .isLessThan(4 * SCORES_BYTES);
    } finally {
      JniUtils.setGradMode(true);
    }
  }

  private static void forward() {
    try (NDManager m = model.manager().newSubManager()) {
      NDArray[] in = batch(m);
      model.logits(in[0], in[1], in[2], in[3], false).toFloatArray();
    }
  }

  private static long status(String key) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith(key + ":")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    throw new IOException("no " + key + " in /proc/self/status");
  }
}
