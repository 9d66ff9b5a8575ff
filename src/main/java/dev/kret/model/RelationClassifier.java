package dev.kret.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import dev.kret.data.RelationExample;
import dev.kret.text.MarkerScheme;
import dev.kret.text.RelationEncoder;
import dev.kret.text.RelationEncoder.Encoded;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Inference over a loaded model: encodes examples with the same encoder as training and returns
 * log-probabilities. Safe to call from several threads: each call works in its own sub-manager and
 * the weights are only read.
 */
public final class RelationClassifier {

  /**
   * Padded tokens per forward pass unless told otherwise: 2,048, e.g. 8 rows of 256 tokens or 4 of
   * 512. Roberta-base at 256 tokens then stays under 1.5 GB under load where whole batches of 32
   * rows reached 2 GB, at the same throughput (docs/serving.md, "A predictor's memory"); short
   * requests (32 rows of 64) still run in one pass.
   */
  public static final int DEFAULT_MAX_BATCH_TOKENS = 2048;

  private final RelationModel model;
  private final RelationEncoder encoder;
  private final int padId;
  private final int maxBatchTokens;

  public RelationClassifier(ModelDirectory.Opened opened) {
    this(opened, DEFAULT_MAX_BATCH_TOKENS);
  }

  public RelationClassifier(ModelDirectory.Opened opened, int maxBatchTokens) {
    this(
        opened.model(),
        new RelationEncoder(
            opened.tokenizer(),
            MarkerScheme.fromSpec(opened.scheme().entityMarkers()),
            opened.scheme().maxLength()),
        opened.tokenizer().padId(),
        maxBatchTokens);
  }

  public RelationClassifier(RelationModel model, RelationEncoder encoder, int padId) {
    this(model, encoder, padId, DEFAULT_MAX_BATCH_TOKENS);
  }

  /**
   * @param maxBatchTokens padded tokens (rows × longest row) per forward pass at most; a longer
   *     batch runs in several passes
   */
  public RelationClassifier(
      RelationModel model, RelationEncoder encoder, int padId, int maxBatchTokens) {
    if (maxBatchTokens < 1) {
      throw new IllegalArgumentException(
          "max batch tokens must be positive, got " + maxBatchTokens);
    }
    this.model = model;
    this.encoder = encoder;
    this.padId = padId;
    this.maxBatchTokens = maxBatchTokens;
  }

  public int maxBatchTokens() {
    return maxBatchTokens;
  }

  public RelationModel model() {
    return model;
  }

  public RelationEncoder encoder() {
    return encoder;
  }

  public List<String> labels() {
    return model.config().labels();
  }

  /** Log-probabilities [n][labels] in input order; batches are length-sorted for speed. */
  public float[][] logProbabilities(List<RelationExample> examples, int batchSize) {
    List<Encoded> enc = new ArrayList<>(examples.size());
    for (RelationExample ex : examples) {
      enc.add(encoder.encode(ex));
    }
    return logProbabilitiesEncoded(enc, batchSize);
  }

  public float[][] logProbabilitiesEncoded(List<Encoded> enc, int batchSize) {
    return logProbabilitiesEncoded(enc, batchSize, () -> {});
  }

  /** As above; {@code beforeBatch} runs before each batch (a training loop's safe point). */
  public float[][] logProbabilitiesEncoded(List<Encoded> enc, int batchSize, Runnable beforeBatch) {
    int[] order = byLength(lengths(enc));
    float[][] out = new float[enc.size()][];
    for (int start = 0; start < order.length; start += batchSize) {
      beforeBatch.run();
      int end = Math.min(order.length, start + batchSize);
      List<Encoded> batch = new ArrayList<>(end - start);
      for (int i = start; i < end; i++) {
        batch.add(enc.get(order[i]));
      }
      float[][] lp = forward(batch);
      for (int i = start; i < end; i++) {
        out[order[i]] = lp[i - start];
      }
    }
    return out;
  }

  /**
   * One batch, without autograd, in forward passes of at most {@link #maxBatchTokens()} padded
   * tokens each (see {@link #passes}); log-probabilities in input order.
   */
  public float[][] forward(List<Encoded> batch) {
    // Grad mode is thread-local in libtorch and on by default in new threads.
    JniUtils.setGradMode(false);
    float[][] out = new float[batch.size()][];
    for (int[] pass : passes(lengths(batch), maxBatchTokens)) {
      List<Encoded> rows = new ArrayList<>(pass.length);
      for (int i : pass) {
        rows.add(batch.get(i));
      }
      float[][] lp = forwardPass(rows);
      for (int k = 0; k < pass.length; k++) {
        out[pass[k]] = lp[k];
      }
    }
    return out;
  }

  /**
   * Splits a batch into forward passes: rows sorted by length, each pass as many consecutive rows
   * as fit {@code maxTokens} once padded to its longest (a single row always forms a pass). What a
   * pass holds at its peak, one layer's attention scores and feed-forward expansion, grows with its
   * padded tokens, so this bounds a predictor's memory whatever the batch size; sorting keeps the
   * padding small.
   *
   * @return the row indices of each pass, shortest rows first
   */
  static List<int[]> passes(int[] lengths, int maxTokens) {
    int[] order = byLength(lengths);
    List<int[]> passes = new ArrayList<>();
    int start = 0;
    while (start < order.length) {
      int end = start + 1;
      // Sorted by length: the row at end is the longest of start..end.
      while (end < order.length && (long) (end + 1 - start) * lengths[order[end]] <= maxTokens) {
        end++;
      }
      passes.add(Arrays.copyOfRange(order, start, end));
      start = end;
    }
    return passes;
  }

  private static int[] lengths(List<Encoded> rows) {
    int[] lengths = new int[rows.size()];
    for (int i = 0; i < lengths.length; i++) {
      lengths[i] = rows.get(i).ids().length;
    }
    return lengths;
  }

  /** Row indices, shortest row first (stable: equal lengths keep their input order). */
  private static int[] byLength(int[] lengths) {
    return IntStream.range(0, lengths.length)
        .boxed()
        .sorted(Comparator.comparingInt(i -> lengths[i]))
        .mapToInt(Integer::intValue)
        .toArray();
  }

  private float[][] forwardPass(List<Encoded> batch) {
    int labels = model.config().numLabels();
    try (NDManager m = model.manager().newSubManager()) {
      BatchArrays b = BatchArrays.of(m, RelationEncoder.collate(batch, padId));
      NDArray lp = b.logits(model, false).logSoftmax(-1);
      float[] flat = lp.toFloatArray();
      float[][] out = new float[batch.size()][labels];
      for (int i = 0; i < batch.size(); i++) {
        System.arraycopy(flat, i * labels, out[i], 0, labels);
      }
      return out;
    }
  }

  /** Mean negative log-likelihood of the gold labels: the eval loss. */
  public static double meanNll(float[][] logProbs, int[] labels) {
    double s = 0;
    for (int i = 0; i < labels.length; i++) {
      s -= logProbs[i][labels[i]];
    }
    return s / Math.max(1, labels.length);
  }

  /** exp of each entry, for probabilities from log-probabilities. */
  public static float[][] exp(float[][] logProbs) {
    float[][] p = new float[logProbs.length][];
    for (int i = 0; i < p.length; i++) {
      p[i] = new float[logProbs[i].length];
      for (int j = 0; j < p[i].length; j++) {
        p[i][j] = (float) Math.exp(logProbs[i][j]);
      }
    }
    return p;
  }
}
