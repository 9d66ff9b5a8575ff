package dev.kret.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.kret.api.v1alpha1.TrainingSpec;
import dev.kret.model.BatchArrays;
import dev.kret.model.Djl;
import dev.kret.model.MaskedLmHead;
import dev.kret.model.RelationModel;
import dev.kret.model.weights.NamedTensors;
import dev.kret.model.weights.TensorData;
import dev.kret.text.RelationEncoder;
import dev.kret.text.RelationEncoder.Encoded;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Masked-LM epochs on the training inputs before fine-tuning ({@code spec.training.mlmEpochs}):
 * task-adaptive pretraining as Hugging Face's run_mlm.py does it. The labels are not used. The
 * encoder learns from the training sentences themselves (markers included) what their tokens mean
 * before the classifier sees a label; from random weights that is what a pretrained checkpoint
 * would otherwise bring.
 *
 * <p>The optimizer is a fresh AdamW over the encoder and the {@link MaskedLmHead} (the classifier
 * is left as initialised), with the run's learning rate, warmup ratio, weight decay and clipping
 * over the masked-LM steps. Each epoch ends with a checkpoint of its own ({@code checkpoint-mlm}),
 * so a killed run resumes after the last finished masked-LM epoch; the same seed gives the same
 * masks, shuffles and dropout, so a resumed run ends where an uninterrupted one does.
 */
final class MaskedLmPretraining {

  /** A batch with some tokens masked, the flat positions to predict and what was there. */
  record Masked(RelationEncoder.Batch batch, long[] positions, long[] targets) {}

  private final TrainingSpec t;
  private final RelationModel model;
  private final Map<String, TensorData> headCheckpoint;
  private final List<Encoded> train;
  private final int maskId;
  private final Set<Integer> special;
  private final Path dir;
  private final String fingerprint;
  private final List<ProgressSink> sinks;
  private final ShutdownGuard guard;

  MaskedLmPretraining(
      TrainingSpec t,
      RelationModel model,
      Map<String, TensorData> headCheckpoint,
      int maskId,
      Set<Integer> special,
      List<Encoded> train,
      Path dir,
      String fingerprint,
      List<ProgressSink> sinks,
      ShutdownGuard guard) {
    this.t = t;
    this.model = model;
    this.headCheckpoint = headCheckpoint;
    this.maskId = maskId;
    this.special = special;
    this.train = train;
    this.dir = dir;
    this.fingerprint = fingerprint;
    this.sinks = sinks;
    this.guard = guard;
  }

  /**
   * Chooses each non-special, non-padding token with probability {@code p}; of the chosen, 80%
   * become {@code maskId}, 10% a uniformly random id below {@code vocabSize}, 10% stay (Hugging
   * Face's DataCollatorForLanguageModeling). A batch where nothing was chosen predicts its first
   * maskable token, so every step has a loss. Deterministic in {@code rng}.
   */
  static Masked mask(
      RelationEncoder.Batch batch,
      double p,
      int maskId,
      Set<Integer> special,
      int vocabSize,
      SplittableRandom rng) {
    int n = batch.size();
    int len = batch.sequenceLength();
    long[][] ids = new long[n][];
    List<Long> positions = new ArrayList<>();
    List<Long> targets = new ArrayList<>();
    long firstMaskable = -1;
    for (int i = 0; i < n; i++) {
      ids[i] = batch.ids()[i].clone();
      for (int j = 0; j < len; j++) {
        long id = ids[i][j];
        if (batch.mask()[i][j] == 0 || special.contains((int) id)) {
          continue;
        }
        if (firstMaskable < 0) {
          firstMaskable = (long) i * len + j;
        }
        if (rng.nextDouble() >= p) {
          continue;
        }
        positions.add((long) i * len + j);
        targets.add(id);
        double r = rng.nextDouble();
        if (r < 0.8) {
          ids[i][j] = maskId;
        } else if (r < 0.9) {
          ids[i][j] = rng.nextInt(vocabSize);
        }
      }
    }
    if (positions.isEmpty() && firstMaskable >= 0) {
      int i = (int) (firstMaskable / len);
      int j = (int) (firstMaskable % len);
      positions.add(firstMaskable);
      targets.add(ids[i][j]);
      ids[i][j] = maskId;
    }
    return new Masked(
        new RelationEncoder.Batch(ids, batch.mask(), batch.subjectIndex(), batch.objectIndex()),
        positions.stream().mapToLong(Long::longValue).toArray(),
        targets.stream().mapToLong(Long::longValue).toArray());
  }

  /** Runs (or resumes) the masked-LM epochs; the model's encoder is trained in place. */
  void run() throws IOException {
    int epochs = t.mlmEpochs();
    int stepsPerEpoch = EpochLoop.stepsPerEpoch(t, train.size());
    LinearSchedule schedule =
        LinearSchedule.of(t.learningRate(), t.warmupRatio(), (long) stepsPerEpoch * epochs);
    Engine engine = Djl.engine();
    int vocab = model.config().vocabSize();
    int pad = model.config().padTokenId();
    try (MaskedLmHead head = MaskedLmHead.create(model, headCheckpoint, t.seed())) {
      String origin =
          head.loaded().isEmpty()
              ? "masked-LM head: newly initialized"
              : "masked-LM head: " + head.loaded().size() + " tensors from the checkpoint";
      for (ProgressSink s : sinks) {
        s.note(origin);
      }
      try (AdamW opt =
          new AdamW(parameters(model, head), model.manager(), t.weightDecay(), 0.9, 0.999, 1e-8)) {
        Checkpoint ckpt = new Checkpoint(dir, fingerprint);
        NamedTensors weights = weights(head);
        int first = ckpt.load(weights, opt).epoch() + 1;
        EpochLoop.Phase phase =
            new EpochLoop.Phase(
                t,
                epochs,
                model,
                train,
                opt,
                schedule,
                guard,
                p -> sinks.forEach(s -> s.mlmStep(p)));
        for (int epoch = first; epoch <= epochs; epoch++) {
          engine.setRandomSeed((int) (t.seed() * 1_000_003L - epoch));
          SplittableRandom masks = new SplittableRandom(t.seed() * 1_000_003L - epoch);
          int current = epoch;
          EpochLoop.Result trained =
              EpochLoop.run(
                  phase,
                  epoch,
                  new Random(t.seed() * 31 - epoch),
                  step ->
                      FineTuner.stoppedByShutdown(
                          "masked-LM ", current, "at step " + step + " of " + stepsPerEpoch, dir),
                  (m, idx, share) -> {
                    RelationEncoder.Batch b = EpochLoop.collate(train, idx, pad);
                    Masked mk = mask(b, t.mlmProbability(), maskId, special, vocab, masks);
                    return forwardBackward(head, m, mk, share);
                  });
          ProgressSink.MlmEpoch rec =
              new ProgressSink.MlmEpoch(
                  epoch,
                  epochs,
                  trained.loss(),
                  trained.samplesPerSecond(),
                  Instant.now().toString());
          for (ProgressSink s : sinks) {
            s.mlmEpoch(rec);
          }
          ckpt.save(weights, opt, new Checkpoint.State(epoch, List.of(), 0, 0, false));
        }
      }
    }
  }

  /** What masked-LM training updates: the encoder and the head, not the classifier. */
  static Map<String, NDArray> parameters(RelationModel model, MaskedLmHead head) {
    Map<String, NDArray> params = new LinkedHashMap<>(model.parameters());
    params.keySet().removeIf(k -> k.startsWith("classifier."));
    params.putAll(head.parameters());
    return params;
  }

  /**
   * Forward and backward of one masked micro-batch; the gradient is scaled by {@code share}.
   * Returns the mean loss.
   */
  static float forwardBackward(MaskedLmHead head, NDManager m, Masked mk, double share) {
    BatchArrays in = BatchArrays.of(m, mk.batch());
    try (GradientCollector gc = Djl.engine().newGradientCollector()) {
      NDArray loss =
          head.loss(in.ids(), in.mask(), m.create(mk.positions()), m.create(mk.targets()), true);
      gc.backward(share == 1.0 ? loss : Djl.times(loss, (float) share));
      return loss.getFloat();
    }
  }

  /** The model (classifier included, unchanged) and the head, saved and restored together. */
  private NamedTensors weights(MaskedLmHead head) {
    return new NamedTensors() {
      @Override
      public List<TensorData> toTensors() {
        List<TensorData> all = new ArrayList<>(model.toTensors());
        all.addAll(head.toTensors());
        return all;
      }

      @Override
      public void assign(Collection<TensorData> tensors) {
        List<TensorData> mine = new ArrayList<>();
        List<TensorData> theirs = new ArrayList<>();
        for (TensorData td : tensors) {
          (td.name().startsWith("lm_head.") ? theirs : mine).add(td);
        }
        model.assign(mine);
        head.assign(theirs);
      }
    };
  }
}
