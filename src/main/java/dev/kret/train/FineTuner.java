package dev.kret.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kret.api.v1alpha1.FineTuneRunSpec;
import dev.kret.api.v1alpha1.Metric;
import dev.kret.api.v1alpha1.ModelConfigSpec;
import dev.kret.api.v1alpha1.ModelShape;
import dev.kret.api.v1alpha1.TrainingSpec;
import dev.kret.data.KlueReDataset;
import dev.kret.data.Labels;
import dev.kret.data.LoadOptions;
import dev.kret.hub.Hub;
import dev.kret.metrics.EvalReport;
import dev.kret.metrics.ReMetrics;
import dev.kret.model.BatchArrays;
import dev.kret.model.DeviceChoice;
import dev.kret.model.DeviceRequest;
import dev.kret.model.Djl;
import dev.kret.model.HeadType;
import dev.kret.model.InputScheme;
import dev.kret.model.MaskedLmHead;
import dev.kret.model.ModelDirectory;
import dev.kret.model.RelationClassifier;
import dev.kret.model.RelationModel;
import dev.kret.model.RobertaConfig;
import dev.kret.model.weights.TensorData;
import dev.kret.model.weights.TensorSource;
import dev.kret.model.weights.WeightFiles;
import dev.kret.text.MarkerScheme;
import dev.kret.text.RelationEncoder;
import dev.kret.text.RelationEncoder.Encoded;
import dev.kret.text.TextTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Runs one FineTuneRun spec in this process: data, tokenizer, model, the AdamW loop with warmup and
 * clipping, per-epoch official metrics, a model directory and a checkpoint per epoch, early
 * stopping, and resume from the last finished epoch.
 *
 * <p>Repeatability: the weights are initialised from the seed in Java, every epoch reseeds the
 * shuffle and libtorch's dropout RNG from (seed, epoch), and the checkpoint holds the exact float32
 * weights and moments, so a resumed run continues exactly where an uninterrupted one would be.
 */
public final class FineTuner {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Where and how to run. */
  public record Options(String runName, Path outputDir, DeviceRequest device, Hub hub) {

    /** {@code wantGpu}: {@code --device auto} (a GPU when libtorch sees one), else the CPU. */
    public Options(String runName, Path outputDir, boolean wantGpu, Hub hub) {
      this(runName, outputDir, DeviceRequest.fromFlag(wantGpu ? "auto" : "cpu"), hub);
    }
  }

  /** Raised for a spec or input that cannot run; the CLI maps it to exit code 3. */
  public static final class InvalidRunException extends RuntimeException {
    public InvalidRunException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private final FineTuneRunSpec spec;
  private final Options options;
  private final List<ProgressSink> sinks;

  public FineTuner(FineTuneRunSpec spec, Options options, List<ProgressSink> sinks) {
    this.spec = spec.withDefaults();
    this.options = options;
    this.sinks = List.copyOf(sinks);
  }

  public FineTuneRunSpec spec() {
    return spec;
  }

  /**
   * Trains to the end (or early stop) and returns the summary; resumes when a checkpoint exists.
   */
  public RunSummary run() throws IOException {
    Djl.offline();
    // First of all: a run that needs a GPU and has none stops before it downloads anything.
    DeviceChoice.Decision decision = Djl.device(options.device());
    if (!decision.ok()) {
      throw new InvalidRunException(decision.error(), null);
    }
    for (ProgressSink s : sinks) {
      s.device(decision);
    }
    Device device = decision.device();
    Files.createDirectories(options.outputDir());
    MarkerScheme markers = parse(() -> MarkerScheme.fromSpec(spec.input().entityMarkers()));
    HeadType head = parse(() -> HeadType.fromSpec(spec.input().head()));
    LoadOptions load = LoadOptions.defaults().withSkipInvalid(spec.dataset().skipInvalid());
    KlueReDataset train = KlueReDataset.load(spec.dataset().train(), load, options.hub());
    KlueReDataset valid = KlueReDataset.load(spec.dataset().validation(), load, options.hub());
    if (train.size() == 0 || valid.size() == 0) {
      throw new InvalidRunException(
          "spec.dataset: training and validation data must not be empty", null);
    }

    ShutdownGuard guard = new ShutdownGuard(SHUTDOWN_WAIT);
    try {
      return train(markers, head, device, train, valid, guard);
    } catch (StoppedException e) {
      // The tensors are released by now; the shutdown waits until the sinks have said why.
      for (ProgressSink s : sinks) {
        s.stopped(e.getMessage());
      }
      throw e;
    } finally {
      guard.close();
    }
  }

  /**
   * What the steps of a run share once the model is open: the spec's training section, the data
   * encoded, the schedule, the optimizer and the checkpoints.
   */
  private static final class Context {
    final TrainingSpec t;
    final Path out;
    final Base base;
    final RelationEncoder encoder;
    final InputScheme scheme;
    final KlueReDataset train;
    final KlueReDataset valid;
    final List<Encoded> trainEnc;
    final List<Encoded> validEnc;
    final int stepsPerEpoch;
    final LinearSchedule schedule;
    final ShutdownGuard guard;
    final String fingerprint;
    final Path ckptDir;
    final Path mlmDir;
    AdamW opt;
    Checkpoint ckpt;

    Context(
        TrainingSpec t,
        Path out,
        Base base,
        RelationEncoder encoder,
        InputScheme scheme,
        KlueReDataset train,
        KlueReDataset valid,
        ShutdownGuard guard,
        String fingerprint) {
      this.t = t;
      this.out = out;
      this.base = base;
      this.encoder = encoder;
      this.scheme = scheme;
      this.train = train;
      this.valid = valid;
      this.trainEnc = encodeAll(encoder, train);
      this.validEnc = encodeAll(encoder, valid);
      this.stepsPerEpoch = EpochLoop.stepsPerEpoch(t, trainEnc.size());
      this.schedule =
          LinearSchedule.of(t.learningRate(), t.warmupRatio(), (long) stepsPerEpoch * t.epochs());
      this.guard = guard;
      this.fingerprint = fingerprint;
      this.ckptDir = out.resolve("checkpoint");
      this.mlmDir = out.resolve("checkpoint-mlm");
    }

    RelationModel model() {
      return base.model;
    }
  }

  /** The epochs trained so far and the best of them. */
  private record Trained(List<EpochRecord> history, BestEpoch best) {}

  /**
   * The run proper, from the initial model to the summary: encode, resume, announce, the masked-LM
   * phase, the fine-tuning epochs, the summary.
   */
  private RunSummary train(
      MarkerScheme markers,
      HeadType head,
      Device device,
      KlueReDataset train,
      KlueReDataset valid,
      ShutdownGuard guard)
      throws IOException {
    try (Base base = openBase(markers, head, device)) {
      Context run =
          new Context(
              spec.training(),
              options.outputDir(),
              base,
              new RelationEncoder(base.tokenizer, markers, spec.input().maxLength()),
              new InputScheme(markers.spec(), head.spec(), spec.input().maxLength()),
              train,
              valid,
              guard,
              fingerprint());
      try (AdamW opt = new AdamW(base.model, run.t.weightDecay())) {
        run.opt = opt;
        Checkpoint.State state = resume(run);
        announce(run, state.epoch() + 1, device);
        if (state.epoch() == 0 && run.t.mlmEpochs() > 0) {
          pretrainMaskedLm(run);
        }
        return summarize(run, fineTune(run, state));
      }
    }
  }

  /** The checkpoint of this spec, if one was written: where to pick up. */
  private static Checkpoint.State resume(Context run) throws IOException {
    run.ckpt = new Checkpoint(run.ckptDir, run.fingerprint);
    return run.ckpt.load(run.model(), run.opt);
  }

  /** Tells the sinks what the run is about to do. */
  private void announce(Context run, int firstEpoch, Device device) {
    for (ProgressSink s : sinks) {
      s.started(
          new ProgressSink.RunPlan(
              options.runName(),
              run.t.epochs(),
              firstEpoch,
              run.stepsPerEpoch,
              run.trainEnc.size(),
              run.validEnc.size(),
              run.model().parameterCount(),
              device.toString()));
    }
  }

  /** The masked-LM epochs ({@code spec.training.mlmEpochs}) before the first fine-tuning one. */
  private void pretrainMaskedLm(Context run) throws IOException {
    TextTokenizer tok = run.base.tokenizer;
    int maskId = tok.maskId();
    if (maskId < 0) {
      throw new InvalidRunException(
          "spec.training.mlmEpochs: the tokenizer has no mask token to train with", null);
    }
    new MaskedLmPretraining(
            run.t,
            run.model(),
            run.base.lmHead,
            maskId,
            tok.specialIds(),
            run.trainEnc,
            run.mlmDir,
            run.fingerprint,
            sinks,
            run.guard)
        .run();
  }

  /**
   * The fine-tuning epochs from the checkpoint's on: train, evaluate, save, track the best epoch,
   * report, checkpoint; until the last epoch or an early stop.
   */
  private Trained fineTune(Context run, Checkpoint.State state) throws IOException {
    List<EpochRecord> history = new ArrayList<>(state.history());
    Metric objective = Metric.named(spec.objective().metric());
    BestEpoch best =
        new BestEpoch(
            state.bestEpoch(),
            state.bestEpoch() == 0 ? Double.NaN : objective.of(byEpoch(history, state.bestEpoch())),
            state.epochsWithoutImprovement(),
            state.earlyStopped());
    int[] trainLabels = run.train.labelIds();
    EpochLoop.Phase phase =
        new EpochLoop.Phase(
            run.t,
            run.t.epochs(),
            run.model(),
            run.trainEnc,
            run.opt,
            run.schedule,
            run.guard,
            p -> sinks.forEach(s -> s.step(p)));
    Engine engine = Djl.engine();
    for (int epoch = state.epoch() + 1; epoch <= run.t.epochs() && !best.stopped(); epoch++) {
      engine.setRandomSeed((int) (run.t.seed() * 1_000_003L + epoch));
      int current = epoch;
      EpochLoop.Result trained =
          EpochLoop.run(
              phase,
              epoch,
              new Random(run.t.seed() * 31 + epoch),
              step ->
                  stoppedByShutdown(
                      "", current, "at step " + step + " of " + run.stepsPerEpoch, run.ckptDir),
              (m, idx, share) -> microStep(run.model(), m, run.trainEnc, trainLabels, idx, share));
      EvalReport report = evaluate(run, epoch);
      EpochRecord rec = record(run, epoch, trained, report);
      best =
          best.after(
              epoch, objective.of(rec), objective, run.t.earlyStoppingPatience(), run.t.epochs());
      ModelDirectory.save(
          Path.of(rec.modelPath()),
          run.model(),
          run.base.tokenizer,
          run.scheme,
          info(rec, report, run.train, run.valid));
      history.add(rec);
      if (best.is(epoch)) {
        writeBest(run.out, rec, objective.specName());
      }
      // Sinks before the checkpoint: a kill in between re-runs this epoch to the same record,
      // and sinks are idempotent per epoch; the other order could lose the record.
      for (ProgressSink s : sinks) {
        s.epoch(rec, best.is(epoch));
      }
      run.ckpt.save(
          run.model(),
          run.opt,
          new Checkpoint.State(
              epoch, history, best.epoch(), best.epochsWithoutImprovement(), best.stopped()));
      // The fine-tuning checkpoint now holds everything masked-LM training produced.
      ModelDirectory.deleteRecursively(run.mlmDir);
    }
    return new Trained(history, best);
  }

  /** The official metrics of the model on the validation data after {@code epoch}. */
  private EvalReport evaluate(Context run, int epoch) {
    RelationClassifier clf =
        new RelationClassifier(run.model(), run.encoder, run.base.tokenizer.padId());
    float[][] logp =
        clf.logProbabilitiesEncoded(
            run.validEnc,
            Math.max(run.t.batchSize(), 64),
            () -> {
              if (run.guard.stopping()) {
                throw stoppedByShutdown("", epoch, "during its evaluation", run.ckptDir);
              }
            });
    int[] validLabels = run.valid.labelIds();
    return ReMetrics.evaluate(
        validLabels,
        RelationClassifier.exp(logp),
        RelationClassifier.meanNll(logp, validLabels),
        Labels.RELATIONS);
  }

  /** The epoch's record, as the sinks and the checkpoint keep it. */
  private static EpochRecord record(
      Context run, int epoch, EpochLoop.Result trained, EvalReport report) {
    return new EpochRecord(
        epoch,
        trained.loss(),
        report.evalLoss(),
        report.accuracy(),
        report.microF1(),
        report.auprc(),
        trained.samplesPerSecond(),
        run.out.resolve(String.format("epoch-%d", epoch)).toString(),
        Instant.now().toString());
  }

  /** The summary of the best epoch, written to summary.json and told to the sinks. */
  private RunSummary summarize(Context run, Trained trained) throws IOException {
    String metric = spec.objective().metric();
    EpochRecord best = byEpoch(trained.history(), trained.best().epoch());
    RunSummary summary =
        new RunSummary(
            trained.best().epoch(),
            metric,
            best.metric(metric),
            best.modelPath(),
            trained.history().size(),
            trained.best().stopped(),
            Instant.now().toString(),
            shape(run.model(), run.scheme.maxLength()));
    JSON.writerWithDefaultPrettyPrinter()
        .writeValue(run.out.resolve("summary.json").toFile(), summary);
    for (ProgressSink s : sinks) {
      s.finished(summary);
    }
    return summary;
  }

  /** The model's size for the summary, from which the operator sizes its predictor. */
  static ModelShape shape(RelationModel model, int maxLength) {
    RobertaConfig c = model.config();
    return new ModelShape(
        model.parameterCount(),
        c.numLayers(),
        c.hiddenSize(),
        c.numHeads(),
        c.intermediateSize(),
        maxLength);
  }

  /**
   * How long a shutdown (SIGTERM) waits for the loop to reach its next step or evaluation batch: a
   * CPU step of a roberta-base batch takes tens of seconds on a small machine.
   */
  static final java.time.Duration SHUTDOWN_WAIT = java.time.Duration.ofSeconds(60);

  /** The run stopped at a safe point because the JVM is shutting down (SIGTERM, Ctrl-C). */
  public static final class StoppedException extends RuntimeException {
    StoppedException(String message) {
      super(message);
    }
  }

  /**
   * Why the run stopped and how to go on: {@code kind} is "" for fine-tuning epochs or "masked-LM "
   * for masked-LM ones, {@code where} the step or phase, {@code checkpoint} the checkpoint of that
   * kind of epoch.
   */
  static StoppedException stoppedByShutdown(String kind, int epoch, String where, Path checkpoint) {
    return new StoppedException(
        "stopped by shutdown in "
            + kind
            + "epoch "
            + epoch
            + " "
            + where
            + "; "
            + (epoch > 2
                ? kind + "epochs 1-" + (epoch - 1) + " are checkpointed in " + checkpoint
                : epoch == 2
                    ? kind + "epoch 1 is checkpointed in " + checkpoint
                    : "no " + kind + "epoch had finished")
            + ": run the same command again to resume from "
            + kind
            + "epoch "
            + epoch);
  }

  private static EpochRecord byEpoch(List<EpochRecord> history, int epoch) {
    return history.stream().filter(r -> r.epoch() == epoch).findFirst().orElseThrow();
  }

  /** Forward and backward of one micro-batch; gradients accumulate, scaled by its share. */
  private static float microStep(
      RelationModel model, NDManager m, List<Encoded> enc, int[] labels, int[] idx, double share) {
    long[] y = new long[idx.length];
    for (int i = 0; i < idx.length; i++) {
      y[i] = labels[idx[i]];
    }
    RelationEncoder.Batch batch = EpochLoop.collate(enc, idx, model.config().padTokenId());
    return TrainStep.forwardBackward(model, m, BatchArrays.of(m, batch), y, share);
  }

  private static List<Encoded> encodeAll(RelationEncoder encoder, KlueReDataset data) {
    List<Encoded> out = new ArrayList<>(data.size());
    for (int i = 0; i < data.size(); i++) {
      try {
        out.add(encoder.encode(data.get(i)));
      } catch (IllegalArgumentException e) {
        throw new InvalidRunException(
            data.source() + ": row " + i + " (guid " + data.get(i).guid() + "): " + e.getMessage(),
            e);
      }
    }
    return out;
  }

  private ObjectNode info(
      EpochRecord rec, EvalReport report, KlueReDataset train, KlueReDataset valid) {
    ObjectNode n = JSON.createObjectNode();
    n.put("format", 1);
    n.put("run", options.runName());
    ObjectNode base = n.putObject("baseModel");
    base.put("name", spec.model().name());
    base.put("revision", spec.model().revision());
    base.put("uri", spec.model().uri());
    base.put("init", spec.model().init());
    ObjectNode data = n.putObject("dataset");
    data.put("train", spec.dataset().train());
    data.put("trainSha256", train.sha256());
    data.put("trainExamples", train.size());
    data.put("validation", spec.dataset().validation());
    data.put("validationSha256", valid.sha256());
    data.put("validationExamples", valid.size());
    n.set("training", JSON.valueToTree(spec.training()));
    n.put("objective", spec.objective().metric());
    n.put("epoch", rec.epoch());
    n.set("metrics", JSON.valueToTree(rec));
    n.set("perClass", JSON.valueToTree(report.perClass()));
    n.set("confusion", JSON.valueToTree(report.confusion()));
    return n;
  }

  private static void writeBest(Path out, EpochRecord rec, String metric) throws IOException {
    ObjectNode b = JSON.createObjectNode();
    b.put("epoch", rec.epoch());
    b.put("metric", metric);
    b.put("value", rec.metric(metric));
    b.put("modelPath", rec.modelPath());
    Path tmp = out.resolve(".best.json.tmp");
    JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), b);
    Files.move(
        tmp,
        out.resolve("best.json"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  /** Everything that changes what an epoch computes; a checkpoint from another spec is refused. */
  private String fingerprint() {
    try {
      ObjectNode training = JSON.valueToTree(spec.training());
      if (spec.training().mlmEpochs() == 0) {
        // As before masked-LM epochs existed, so that earlier checkpoints still resume.
        training.remove(List.of("mlmEpochs", "mlmProbability"));
      }
      return Checkpoint.sha256(
          JSON.writeValueAsString(
              List.of(spec.model(), spec.dataset(), spec.input(), training, spec.objective())));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The tokenizer and initial model a run starts from. */
  private static final class Base implements AutoCloseable {
    final TextTokenizer tokenizer;
    final RelationModel model;

    /** The checkpoint's masked-LM head ({@code lm_head.*}), for masked-LM epochs; may be empty. */
    final Map<String, TensorData> lmHead;

    Base(TextTokenizer tokenizer, RelationModel model, Map<String, TensorData> lmHead) {
      this.tokenizer = tokenizer;
      this.model = model;
      this.lmHead = lmHead;
    }

    @Override
    public void close() {
      model.close();
      tokenizer.close();
    }
  }

  private Base openBase(MarkerScheme markers, HeadType head, Device device) throws IOException {
    long seed = spec.training().seed();
    if (spec.model().fromScratch()) {
      TextTokenizer tok = TextTokenizer.fromSpec(spec.model().tokenizer(), markers.addedTokens());
      ModelConfigSpec c = spec.model().config();
      RobertaConfig cfg =
          RobertaConfig.small(
                  tok.vocabSize(),
                  c.hiddenSize(),
                  c.numLayers(),
                  c.numHeads(),
                  c.intermediateSize(),
                  Labels.RELATIONS)
              .withHead(head);
      if (spec.training().dropout() != null) {
        cfg = cfg.withDropout(spec.training().dropout());
      }
      cfg = cfg.withPadTokenId(tok.padId());
      return new Base(tok, RelationModel.random(cfg, device, seed, c.embeddingInitStd()), Map.of());
    }
    Path dir =
        spec.model().uri() != null
            ? options.hub().resolveModel(spec.model().uri())
            : options.hub().resolveModel(spec.model().name(), spec.model().revision());
    TextTokenizer tok = TextTokenizer.load(dir, markers.addedTokens());
    try {
      RobertaConfig cfg =
          RobertaConfig.read(dir.resolve("config.json"), Labels.RELATIONS)
              .withLabels(Labels.RELATIONS)
              .withHead(head);
      cfg = cfg.withVocabSize(Math.max(cfg.vocabSize(), tok.vocabSize()));
      if (spec.training().dropout() != null) {
        cfg = cfg.withDropout(spec.training().dropout());
      }
      try (TensorSource tensors = WeightFiles.open(dir)) {
        // The masked-LM head's own tensors (its decoder weight is the tied word embeddings).
        Map<String, TensorData> lmHead = new java.util.LinkedHashMap<>();
        for (String name : MaskedLmHead.shapes(cfg).keySet()) {
          if (tensors.shapes().containsKey(name)) {
            lmHead.put(name, tensors.read(name));
          }
        }
        RelationModel.Loaded loaded =
            RelationModel.fromSource(cfg, device, tensors, seed, dir.toString());
        note(loaded.report().summary());
        return new Base(tok, loaded.model(), lmHead);
      }
    } catch (IOException | RuntimeException e) {
      tok.close();
      throw e;
    }
  }

  private void note(String line) {
    for (ProgressSink s : sinks) {
      s.note(line);
    }
  }

  private static <T> T parse(java.util.function.Supplier<T> s) {
    try {
      return s.get();
    } catch (IllegalArgumentException e) {
      throw new InvalidRunException("spec.input: " + e.getMessage(), e);
    }
  }
}
