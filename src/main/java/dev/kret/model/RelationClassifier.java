package dev.kret.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import dev.kret.data.RelationExample;
import dev.kret.text.MarkerScheme;
import dev.kret.text.RelationEncoder;
import dev.kret.text.RelationEncoder.Encoded;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Inference over a loaded model: encodes examples with the same encoder as training and returns
 * log-probabilities. Safe to call from several threads: each call works in its own sub-manager and
 * the weights are only read.
 */
public final class RelationClassifier {

  private final RelationModel model;
  private final RelationEncoder encoder;
  private final int padId;

  public RelationClassifier(ModelDirectory.Opened opened) {
    this(
        opened.model(),
        new RelationEncoder(
            opened.tokenizer(),
            MarkerScheme.fromSpec(opened.scheme().entityMarkers()),
            opened.scheme().maxLength()),
        opened.tokenizer().padId());
  }

  public RelationClassifier(RelationModel model, RelationEncoder encoder, int padId) {
    this.model = model;
    this.encoder = encoder;
    this.padId = padId;
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
    int[] order =
        IntStream.range(0, enc.size())
            .boxed()
            .sorted(Comparator.comparingInt(i -> enc.get(i).ids().length))
            .mapToInt(Integer::intValue)
            .toArray();
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

  /** One forward pass over an already-encoded batch, without autograd. */
  public float[][] forward(List<Encoded> batch) {
    // Grad mode is thread-local in libtorch and on by default in new threads.
    JniUtils.setGradMode(false);
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
