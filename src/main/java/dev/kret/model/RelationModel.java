package dev.kret.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;
import dev.kret.model.weights.NamedTensors;
import dev.kret.model.weights.TensorData;
import dev.kret.model.weights.TensorSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A RoBERTa encoder with a relation-classification head, as plain tensors under Hugging Face
 * parameter names ({@code roberta.encoder.layer.0.attention.self.query.weight}, …), so checkpoints
 * load and save without a name mapping. The forward pass is written out in NDArray operations:
 * every intermediate is created from the step's input arrays, so it lands in the caller's per-step
 * manager and the model's own manager holds nothing but parameters.
 */
public final class RelationModel implements AutoCloseable, NamedTensors {

  private static final String P = "roberta.";

  private final RobertaConfig config;
  private final NDManager manager;
  private final LinkedHashMap<String, NDArray> params = new LinkedHashMap<>();

  private RelationModel(RobertaConfig config, NDManager manager) {
    this.config = config;
    this.manager = manager;
  }

  public RobertaConfig config() {
    return config;
  }

  public NDManager manager() {
    return manager;
  }

  public Device device() {
    return manager.getDevice();
  }

  /** Parameters in a stable order, under their Hugging Face names. */
  public Map<String, NDArray> parameters() {
    return Collections.unmodifiableMap(params);
  }

  public long parameterCount() {
    return params.values().stream().mapToLong(a -> a.getShape().size()).sum();
  }

  /** Every parameter name with its shape, in the order Hugging Face lists them. */
  public static LinkedHashMap<String, long[]> shapes(RobertaConfig c) {
    LinkedHashMap<String, long[]> s = new LinkedHashMap<>();
    int h = c.hiddenSize();
    int i = c.intermediateSize();
    s.put(P + "embeddings.word_embeddings.weight", new long[] {c.vocabSize(), h});
    s.put(P + "embeddings.position_embeddings.weight", new long[] {c.maxPositionEmbeddings(), h});
    s.put(P + "embeddings.token_type_embeddings.weight", new long[] {c.typeVocabSize(), h});
    s.put(P + "embeddings.LayerNorm.weight", new long[] {h});
    s.put(P + "embeddings.LayerNorm.bias", new long[] {h});
    for (int l = 0; l < c.numLayers(); l++) {
      String layer = P + "encoder.layer." + l + ".";
      for (String qkv : List.of("query", "key", "value")) {
        s.put(layer + "attention.self." + qkv + ".weight", new long[] {h, h});
        s.put(layer + "attention.self." + qkv + ".bias", new long[] {h});
      }
      s.put(layer + "attention.output.dense.weight", new long[] {h, h});
      s.put(layer + "attention.output.dense.bias", new long[] {h});
      s.put(layer + "attention.output.LayerNorm.weight", new long[] {h});
      s.put(layer + "attention.output.LayerNorm.bias", new long[] {h});
      s.put(layer + "intermediate.dense.weight", new long[] {i, h});
      s.put(layer + "intermediate.dense.bias", new long[] {i});
      s.put(layer + "output.dense.weight", new long[] {h, i});
      s.put(layer + "output.dense.bias", new long[] {h});
      s.put(layer + "output.LayerNorm.weight", new long[] {h});
      s.put(layer + "output.LayerNorm.bias", new long[] {h});
    }
    int headIn = c.head() == HeadType.ENTITY_START ? 2 * h : h;
    s.put("classifier.dense.weight", new long[] {h, headIn});
    s.put("classifier.dense.bias", new long[] {h});
    s.put("classifier.out_proj.weight", new long[] {c.numLabels(), h});
    s.put("classifier.out_proj.bias", new long[] {c.numLabels()});
    return s;
  }

  /**
   * True for parameters AdamW must not decay: biases and LayerNorm weights (the encoder's {@code
   * LayerNorm}, the masked-LM head's {@code layer_norm}).
   */
  public static boolean noDecay(String name) {
    return name.endsWith(".bias") || isLayerNorm(name);
  }

  /** The encoder's {@code LayerNorm} parameters and the masked-LM head's {@code layer_norm}. */
  private static boolean isLayerNorm(String name) {
    return name.contains("LayerNorm") || name.contains("layer_norm");
  }

  /** A model with Hugging Face's initialisation (normal(0, initializer_range), zero bias). */
  public static RelationModel random(RobertaConfig config, Device device, long seed) {
    return random(config, device, seed, config.initializerRange());
  }

  /**
   * As {@link #random(RobertaConfig, Device, long)}, with the embedding tables drawn from normal(0,
   * {@code embeddingStd}) instead (the padding row stays zero).
   */
  public static RelationModel random(
      RobertaConfig config, Device device, long seed, double embeddingStd) {
    try {
      return build(config, device, TensorSource.of(Map.of()), seed, "random init", embeddingStd)
          .model();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // an empty source reads nothing
    }
  }

  /** The result of building a model from a checkpoint's tensors. */
  public record Loaded(RelationModel model, LoadReport report) {}

  /**
   * Builds a model from named tensors the way from_pretrained does: names with or without the
   * {@code roberta.} prefix, old {@code gamma/beta} LayerNorm names, unexpected tensors ignored and
   * reported, missing or differently shaped ones (a new head, a resized vocabulary) initialised and
   * reported. Word embeddings smaller than the config (added marker tokens) keep their rows.
   */
  public static Loaded fromTensors(
      RobertaConfig config, Device device, Map<String, TensorData> tensors, long seed, String src) {
    try {
      return build(config, device, TensorSource.of(tensors), seed, src, config.initializerRange());
    } catch (IOException e) {
      throw new UncheckedIOException(e); // an in-memory source reads nothing
    }
  }

  /**
   * As {@link #fromTensors}, reading the checkpoint one tensor at a time: loading holds at most one
   * tensor's values in Java, and a tensor the model does not use is never read.
   */
  public static Loaded fromSource(
      RobertaConfig config, Device device, TensorSource source, long seed, String src)
      throws IOException {
    return build(config, device, source, seed, src, config.initializerRange());
  }

  private static Loaded build(
      RobertaConfig config,
      Device device,
      TensorSource source,
      long seed,
      String src,
      double embeddingStd)
      throws IOException {
    Map<String, String> byName = new LinkedHashMap<>();
    List<String> unexpected = new ArrayList<>();
    LinkedHashMap<String, long[]> shapes = shapes(config);
    for (String stored : source.shapes().keySet()) {
      String name = canonical(stored);
      if (shapes.containsKey(name)) {
        byName.put(name, stored);
      } else {
        unexpected.add(stored);
      }
    }
    NDManager manager = Djl.engine().newBaseManager(device);
    RelationModel m = new RelationModel(config, manager);
    try {
      List<String> loaded = new ArrayList<>();
      List<String> initialized = new ArrayList<>();
      SplittableRandom rng = new SplittableRandom(seed);
      for (Map.Entry<String, long[]> e : shapes.entrySet()) {
        String name = e.getKey();
        long[] shape = e.getValue();
        // Every parameter takes its split, loaded or not, so initial values never depend on
        // what the checkpoint holds.
        SplittableRandom own = rng.split();
        String stored = byName.get(name);
        long[] storedShape = stored == null ? null : source.shapes().get(stored);
        NDArray a;
        if (storedShape != null && java.util.Arrays.equals(storedShape, shape)) {
          // Straight from the file into the tensor's own buffer: nothing on the Java heap.
          a = manager.create(source.readDirect(stored), new Shape(shape), DataType.FLOAT32);
          loaded.add(name);
        } else if (storedShape != null
            && name.endsWith("word_embeddings.weight")
            && storedShape.length == 2
            && storedShape[1] == shape[1]
            && storedShape[0] < shape[0]) {
          float[] values = init(config, name, shape, own, embeddingStd);
          float[] rows = source.read(stored).data();
          System.arraycopy(rows, 0, values, 0, rows.length);
          a = manager.create(values, new Shape(shape));
          loaded.add(name);
          initialized.add(name + " rows " + storedShape[0] + ".." + (shape[0] - 1));
        } else {
          a = manager.create(init(config, name, shape, own, embeddingStd), new Shape(shape));
          initialized.add(name);
        }
        a.setName(name);
        a.setRequiresGradient(true);
        m.params.put(name, a);
      }
      return new Loaded(m, new LoadReport(src, loaded, unexpected, initialized));
    } catch (IOException | RuntimeException e) {
      m.close();
      throw e;
    }
  }

  private static String canonical(String name) {
    String n =
        name.replace("LayerNorm.gamma", "LayerNorm.weight")
            .replace("LayerNorm.beta", "LayerNorm.bias");
    if (n.startsWith("embeddings.") || n.startsWith("encoder.")) {
      n = P + n;
    }
    return n;
  }

  /**
   * Hugging Face's initial values for a parameter: ones for LayerNorm weights, zeros for biases,
   * normal(0, initializer_range) otherwise ({@code embeddingStd} for embedding tables; the word
   * table's padding row stays zero), drawn from {@code rng}.
   */
  static float[] init(
      RobertaConfig c, String name, long[] shape, SplittableRandom rng, double embeddingStd) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    float[] v = new float[Math.toIntExact(n)];
    if (isLayerNorm(name)) {
      if (name.endsWith(".weight")) {
        java.util.Arrays.fill(v, 1f);
      }
      return v;
    }
    if (name.endsWith(".bias")) {
      return v;
    }
    double std = name.endsWith("_embeddings.weight") ? embeddingStd : c.initializerRange();
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (gaussian(rng) * std);
    }
    if (name.endsWith("word_embeddings.weight") && c.padTokenId() < shape[0]) {
      int h = (int) shape[1];
      java.util.Arrays.fill(v, c.padTokenId() * h, (c.padTokenId() + 1) * h, 0f);
    }
    return v;
  }

  private static double gaussian(SplittableRandom r) {
    // Box-Muller: SplittableRandom has no nextGaussian on Java 17.
    double u1 = 1.0 - r.nextDouble();
    double u2 = r.nextDouble();
    return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** All parameters as float32 host tensors (for safetensors). */
  @Override
  public List<TensorData> toTensors() {
    return toTensors(params);
  }

  static List<TensorData> toTensors(Map<String, NDArray> params) {
    List<TensorData> out = new ArrayList<>(params.size());
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      out.add(
          new TensorData(
              e.getKey(), e.getValue().getShape().getShape(), e.getValue().toFloatArray()));
    }
    return out;
  }

  /** Overwrites parameter values in place (resume); every name must exist with its shape. */
  @Override
  public void assign(Collection<TensorData> tensors) {
    assign(params, tensors, "the model");
  }

  static void assign(Map<String, NDArray> params, Collection<TensorData> tensors, String what) {
    for (TensorData t : tensors) {
      NDArray p = params.get(t.name());
      if (p == null || !java.util.Arrays.equals(p.getShape().getShape(), t.shape())) {
        throw new IllegalArgumentException(
            "checkpoint tensor " + t.name() + " does not fit " + what);
      }
      p.set(t.data());
    }
  }

  private NDArray p(String name) {
    return params.get(name);
  }

  /**
   * Logits [B, labels] for a padded batch. {@code ids} and {@code mask} are [B, T] int64 arrays of
   * the step's manager; {@code subject}/{@code object} are [B] int64 token positions (ignored by
   * the cls head). Dropout is active only when {@code training}.
   */
  public NDArray logits(
      NDArray ids, NDArray mask, NDArray subject, NDArray object, boolean training) {
    NDArray h = encode(ids, mask, training);
    long b = h.getShape().get(0);
    long t = h.getShape().get(1);
    int hid = config.hiddenSize();
    NDArray x;
    if (config.head() == HeadType.CLS) {
      x = h.get(new NDIndex(":, 0, :"));
    } else {
      NDArray flat = h.reshape(b * t, hid);
      NDArray base = ids.getManager().arange(0L, b * t, t);
      NDArray s = flat.get(new NDIndex("{}", base.add(subject)));
      NDArray o = flat.get(new NDIndex("{}", base.add(object)));
      x = s.concat(o, 1);
    }
    float drop = (float) config.hiddenDropout();
    if (config.head() == HeadType.ENTITY_START) {
      // Zhou and Chen (2021), the head of the typed-marker baseline: dense -> ReLU -> dropout.
      x = Activation.relu(linear(x, "classifier.dense"));
      return linear(dropout(x, drop, training), "classifier.out_proj");
    }
    // Hugging Face's RobertaClassificationHead.
    x = dropout(x, drop, training);
    x = linear(x, "classifier.dense").tanh();
    x = dropout(x, drop, training);
    return linear(x, "classifier.out_proj");
  }

  /** Last-layer token states [B, T, H]. */
  public NDArray encode(NDArray ids, NDArray mask, boolean training) {
    NDList in = training ? embeddings(ids, mask, true) : embeddingsReleasing(ids, mask);
    NDArray x = in.get(0);
    NDArray additive = in.get(1);
    for (int l = 0; l < config.numLayers(); l++) {
      x = training ? layer(l, x, additive, true) : layerReleasing(l, x, additive);
    }
    if (!training) {
      additive.close();
    }
    return x;
  }

  /** {@link #embeddings} in a scope of its own that keeps only the two results. */
  private NDList embeddingsReleasing(NDArray ids, NDArray mask) {
    NDManager outer = ids.getManager();
    try (NDManager scope = outer.newSubManager()) {
      ids.tempAttach(scope);
      mask.tempAttach(scope);
      NDList out = embeddings(ids, mask, false);
      out.attach(outer);
      return out;
    }
  }

  /**
   * The embedded input [B, T, H] and the additive attention mask [B, 1, 1, T]: 0 where attended,
   * the most negative float where padded.
   */
  private NDList embeddings(NDArray ids, NDArray mask, boolean training) {
    long b = ids.getShape().get(0);
    long t = ids.getShape().get(1);
    long pad = config.padTokenId();
    // RoBERTa numbers real tokens from padding_idx + 1 and gives padding the padding index.
    NDArray notPad = ids.neq(pad).toType(DataType.INT64, false);
    NDArray positions = notPad.cumSum(1).mul(notPad).add(pad);
    NDArray x = embed(ids, P + "embeddings.word_embeddings.weight");
    x = x.add(embed(positions, P + "embeddings.position_embeddings.weight"));
    x = x.add(embed(ids.zerosLike(), P + "embeddings.token_type_embeddings.weight"));
    x = layerNorm(x, P + "embeddings.LayerNorm");
    x = dropout(x, (float) config.hiddenDropout(), training);
    NDArray additive =
        mask.toType(DataType.FLOAT32, false)
            .neg()
            .add(1f)
            .mul(-Float.MAX_VALUE)
            .reshape(b, 1, 1, t);
    return new NDList(x, additive);
  }

  /**
   * One layer in inference: everything it creates lives in a scope of its own, and the layer's
   * input and every intermediate are freed once its output exists, as PyTorch frees them in
   * inference. Otherwise each layer's activations of a batch (the attention scores of 32 × 12 × 256
   * × 256 floats alone are 100 MB a layer) stay alive until the whole batch ends: a roberta-base
   * predictor peaked at 11.6 GB.
   */
  private NDArray layerReleasing(int l, NDArray x, NDArray additive) {
    NDManager outer = x.getManager();
    try (NDManager scope = outer.newSubManager()) {
      x.attach(scope);
      NDArray out = layer(l, x, additive, false);
      out.attach(outer);
      return out;
    }
  }

  /**
   * Encoder layer {@code l}. Intermediates land in {@code x}'s manager. When {@code training} is
   * false the largest of them (attention scores, the feed-forward expansion) are also closed as
   * soon as they are consumed, so that a layer holds at most two of them at once.
   */
  private NDArray layer(int l, NDArray x, NDArray additive, boolean training) {
    int hid = config.hiddenSize();
    long b = x.getShape().get(0);
    long t = x.getShape().get(1);
    float drop = (float) config.hiddenDropout();
    float attnDrop = (float) config.attentionDropout();
    int heads = config.numHeads();
    int hd = config.headDim();
    float scale = (float) (1.0 / Math.sqrt(hd));
    String layer = P + "encoder.layer." + l + ".";
    NDArray q = Djl.times(linear(x, layer + "attention.self.query"), scale);
    NDArray k = linear(x, layer + "attention.self.key");
    NDArray v = linear(x, layer + "attention.self.value");
    q = q.reshape(b, t, heads, hd).transpose(0, 2, 1, 3);
    k = k.reshape(b, t, heads, hd).transpose(0, 2, 3, 1);
    v = v.reshape(b, t, heads, hd).transpose(0, 2, 1, 3);
    NDArray scores = q.matMul(k);
    NDArray probs;
    if (training) {
      probs = dropout(scores.add(additive).softmax(-1), attnDrop, true);
    } else {
      probs = scores.addi(additive).softmax(-1);
      scores.close();
    }
    NDArray ctx = probs.matMul(v).transpose(0, 2, 1, 3).reshape(b, t, hid);
    if (!training) {
      probs.close();
    }
    NDArray attn = dropout(linear(ctx, layer + "attention.output.dense"), drop, training);
    NDArray h = layerNorm(attn.add(x), layer + "attention.output.LayerNorm");
    NDArray inter = linear(h, layer + "intermediate.dense");
    NDArray act = gelu(inter);
    if (!training) {
      inter.close();
    }
    NDArray out = dropout(linear(act, layer + "output.dense"), drop, training);
    if (!training) {
      act.close();
    }
    return layerNorm(out.add(h), layer + "output.LayerNorm");
  }

  private NDArray embed(NDArray ids, String table) {
    return Embedding.embedding(ids, p(table), SparseFormat.DENSE).singletonOrThrow();
  }

  private NDArray linear(NDArray x, String prefix) {
    return Linear.linear(x, p(prefix + ".weight"), p(prefix + ".bias")).singletonOrThrow();
  }

  private NDArray layerNorm(NDArray x, String prefix) {
    NDList out =
        LayerNorm.layerNorm(
            x,
            new Shape(config.hiddenSize()),
            p(prefix + ".weight"),
            p(prefix + ".bias"),
            (float) config.layerNormEps());
    return out.singletonOrThrow();
  }

  /**
   * Inverted dropout as torch.nn.functional.dropout: each element kept with probability 1 − rate
   * and scaled by 1 / (1 − rate), from libtorch's generator; the identity when not training.
   */
  static NDArray dropout(NDArray x, float rate, boolean training) {
    if (!training || rate <= 0f) {
      return x;
    }
    return Dropout.dropout(x, rate, true).singletonOrThrow();
  }

  /** libtorch's default gelu is the exact (erf) form that Hugging Face's "gelu" means. */
  private static NDArray gelu(NDArray x) {
    return Activation.gelu(x);
  }

  @Override
  public void close() {
    manager.close();
  }
}
