package dev.kret.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import dev.kret.model.weights.NamedTensors;
import dev.kret.model.weights.TensorData;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Hugging Face's RobertaLMHead on a {@link RelationModel}'s encoder, for masked-LM training: dense,
 * gelu, LayerNorm, then the decoder, whose weight is the encoder's word-embedding table (tied, as
 * in RobertaForMaskedLM) plus its own bias. Parameters carry HF names ({@code
 * lm_head.dense.weight}, {@code lm_head.layer_norm.weight}, {@code lm_head.bias}), so a pretrained
 * checkpoint's head loads as it is; without one the head starts as HF initialises it.
 */
public final class MaskedLmHead implements AutoCloseable, NamedTensors {

  private static final String P = "lm_head.";
  private static final String WORDS = "roberta.embeddings.word_embeddings.weight";

  private final RelationModel model;
  private final NDManager manager;
  private final LinkedHashMap<String, NDArray> params = new LinkedHashMap<>();
  private final List<String> loaded = new ArrayList<>();

  private MaskedLmHead(RelationModel model, NDManager manager) {
    this.model = model;
    this.manager = manager;
  }

  /** Parameter names and shapes, in the order Hugging Face lists them. */
  public static LinkedHashMap<String, long[]> shapes(RobertaConfig c) {
    LinkedHashMap<String, long[]> s = new LinkedHashMap<>();
    int h = c.hiddenSize();
    s.put(P + "dense.weight", new long[] {h, h});
    s.put(P + "dense.bias", new long[] {h});
    s.put(P + "layer_norm.weight", new long[] {h});
    s.put(P + "layer_norm.bias", new long[] {h});
    s.put(P + "bias", new long[] {c.vocabSize()});
    return s;
  }

  /**
   * A head for {@code model}: tensors of {@code checkpoint} under the names of {@link #shapes} (and
   * the right shape) are loaded, the rest initialised from {@code seed} (normal(0,
   * initializer_range) weights, zero biases, unit LayerNorm). A checkpoint's bias shorter than the
   * vocabulary (added marker tokens) keeps its entries and zeros the new ones.
   */
  public static MaskedLmHead create(
      RelationModel model, Map<String, TensorData> checkpoint, long seed) {
    RobertaConfig c = model.config();
    MaskedLmHead head = new MaskedLmHead(model, model.manager().newSubManager());
    SplittableRandom rng = new SplittableRandom(seed ^ 0x6C6D5F68656164L);
    for (Map.Entry<String, long[]> e : shapes(c).entrySet()) {
      String name = e.getKey();
      long[] shape = e.getValue();
      float[] values = RelationModel.init(c, name, shape, rng, c.initializerRange());
      TensorData t = checkpoint.get(name);
      if (t != null && Arrays.equals(t.shape(), shape)) {
        values = t.data();
        head.loaded.add(name);
      } else if (t != null && name.equals(P + "bias") && t.shape()[0] < shape[0]) {
        System.arraycopy(t.data(), 0, values, 0, t.data().length);
        head.loaded.add(name);
      }
      NDArray a = head.manager.create(values, new Shape(shape));
      a.setName(name);
      a.setRequiresGradient(true);
      head.params.put(name, a);
    }
    return head;
  }

  /** The head's own parameters (the tied decoder weight belongs to the encoder). */
  public Map<String, NDArray> parameters() {
    return Collections.unmodifiableMap(params);
  }

  /** Names loaded from the checkpoint rather than initialised. */
  public List<String> loaded() {
    return List.copyOf(loaded);
  }

  /** Vocabulary logits [M, V] for token states [M, H]. */
  public NDArray logits(NDArray states) {
    NDArray x = Linear.linear(states, p("dense.weight"), p("dense.bias")).singletonOrThrow();
    x = Activation.gelu(x);
    NDList n =
        LayerNorm.layerNorm(
            x,
            new Shape(model.config().hiddenSize()),
            p("layer_norm.weight"),
            p("layer_norm.bias"),
            (float) model.config().layerNormEps());
    return Linear.linear(n.singletonOrThrow(), model.parameters().get(WORDS), p("bias"))
        .singletonOrThrow();
  }

  /**
   * Mean cross-entropy of predicting {@code targets} [M] at the flat positions {@code positions}
   * [M] (row × length + column) of the padded batch {@code ids}/{@code mask} [B, T]; dropout is on
   * when {@code training}. All intermediates live in the inputs' manager.
   */
  public NDArray loss(
      NDArray ids, NDArray mask, NDArray positions, NDArray targets, boolean training) {
    NDArray h = model.encode(ids, mask, training);
    long b = h.getShape().get(0);
    long t = h.getShape().get(1);
    NDArray picked =
        h.reshape(b * t, model.config().hiddenSize()).get(new NDIndex("{}", positions));
    long m = positions.getShape().get(0);
    NDArray logp = logits(picked).logSoftmax(-1);
    NDArray nll = logp.gather(targets.reshape(m, 1), 1).sum().neg();
    return Djl.dividedBy(nll, m);
  }

  /** All parameters as float32 host tensors (for a checkpoint). */
  @Override
  public List<TensorData> toTensors() {
    return RelationModel.toTensors(params);
  }

  /** Overwrites parameter values in place (resume); every name must exist with its shape. */
  @Override
  public void assign(Collection<TensorData> tensors) {
    RelationModel.assign(params, tensors, "the masked-LM head");
  }

  private NDArray p(String name) {
    return params.get(P + name);
  }

  @Override
  public void close() {
    manager.close();
  }
}
