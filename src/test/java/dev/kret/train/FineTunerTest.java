package dev.kret.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.kret.Fixtures;
import dev.kret.api.v1alpha1.FineTuneRunSpec;
import dev.kret.hub.Hub;
import dev.kret.hub.HubConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FineTunerTest {

  static Path train;
  static Path valid;

  @BeforeAll
  static void smallData() throws IOException {
    FineTuneRunTestData.ensure();
    train = FineTuneRunTestData.train;
    valid = FineTuneRunTestData.valid;
  }

  static FineTuneRunSpec spec(String training) throws IOException {
    String yaml =
        """
        model:
          init: random
          tokenizer: builtin:klue-roberta-base
          config: {hiddenSize: 32, numLayers: 1, numHeads: 2, intermediateSize: 64}
        dataset: {train: %s, validation: %s}
        input: {maxLength: 64, entityMarkers: typed-punct, head: entity-start}
        training: {%s}
        objective: {metric: micro_f1}
        """
            .formatted(train, valid, training);
    return new ObjectMapper(new YAMLFactory()).readValue(yaml, FineTuneRunSpec.class);
  }

  static RunSummary run(FineTuneRunSpec spec, Path out, ProgressSink... sinks) throws IOException {
    List<ProgressSink> all = new ArrayList<>(List.of(sinks));
    all.add(new JsonlSink(out.resolve("metrics.jsonl")));
    Hub hub = new Hub(HubConfig.defaults().withCacheDir(out.resolve("cache")));
    return new FineTuner(spec, new FineTuner.Options("test", out, false, hub), all).run();
  }

  /** Collects masked-LM epochs and epoch records. */
  static final class Recorder implements ProgressSink {
    final List<MlmEpoch> mlm = new ArrayList<>();
    final List<EpochRecord> epochs = new ArrayList<>();

    @Override
    public void mlmEpoch(MlmEpoch record) {
      mlm.add(record);
    }

    @Override
    public void epoch(EpochRecord record, boolean best) {
      epochs.add(record);
    }
  }

  @Test
  void trainsWithFiniteFallingLossAndWritesModelDirectories(@TempDir Path out) throws IOException {
    Recorder rec = new Recorder();
    RunSummary summary =
        run(
            spec(
                "epochs: 3, batchSize: 16, learningRate: 3.0e-3, seed: 7, earlyStoppingPatience: 0"),
            out,
            rec);
    assertThat(rec.epochs).hasSize(3);
    for (EpochRecord e : rec.epochs) {
      assertThat(e.trainLoss()).isFinite();
      assertThat(e.evalLoss()).isFinite();
    }
    assertThat(rec.epochs.get(2).trainLoss()).isLessThan(rec.epochs.get(0).trainLoss());
    Path best = Path.of(summary.modelPath());
    for (String f :
        List.of(
            "config.json",
            "model.safetensors",
            "tokenizer.json",
            "tokenizer_config.json",
            "kret.json")) {
      assertThat(best.resolve(f)).isRegularFile();
    }
    JsonNode kret = new ObjectMapper().readTree(best.resolve("kret.json").toFile());
    assertThat(kret.path("input").path("entityMarkers").asText()).isEqualTo("typed-punct");
    assertThat(kret.path("dataset").path("trainSha256").asText()).hasSize(64);
    assertThat(kret.path("confusion")).hasSize(30);
    assertThat(kret.path("perClass")).hasSize(30);
    assertThat(out.resolve("best.json")).isRegularFile();
    assertThat(out.resolve("summary.json")).isRegularFile();
    assertThat(Files.readAllLines(out.resolve("metrics.jsonl"))).hasSize(3);
    assertThat(summary.bestEpoch()).isEqualTo(bestByMicroF1(rec.epochs));
    // The size the operator sizes the predictor from, as the model on disk has it.
    JsonNode model =
        new ObjectMapper().readTree(out.resolve("summary.json").toFile()).path("model");
    assertThat(model.path("parameters").asLong()).isGreaterThan(0);
    assertThat(model.path("layers").asInt())
        .isEqualTo(
            new ObjectMapper()
                .readTree(best.resolve("config.json").toFile())
                .path("num_hidden_layers")
                .asInt());
    assertThat(model.path("maxLength").asInt())
        .isEqualTo(kret.path("input").path("maxLength").asInt());
    assertThat(summary.model().plausible()).isTrue();
  }

  static int bestByMicroF1(List<EpochRecord> epochs) {
    EpochRecord best = epochs.get(0);
    for (EpochRecord e : epochs) {
      if (e.microF1() > best.microF1()) {
        best = e;
      }
    }
    return best.epoch();
  }

  /**
   * Simulates a kill: throws from inside the loop once the given epoch (a masked-LM epoch when
   * {@code mlm}) reaches the given step.
   */
  static final class KillAt implements ProgressSink {
    final int epoch;
    final int step;
    final boolean mlm;

    KillAt(int epoch, int step) {
      this(epoch, step, false);
    }

    KillAt(int epoch, int step, boolean mlm) {
      this.epoch = epoch;
      this.step = step;
      this.mlm = mlm;
    }

    @Override
    public void step(StepProgress p) {
      kill(p, false);
    }

    @Override
    public void mlmStep(StepProgress p) {
      kill(p, true);
    }

    private void kill(StepProgress p, boolean inMlm) {
      if (inMlm == mlm && p.epoch() == epoch && p.step() == step) {
        throw new IllegalStateException("killed");
      }
    }

    @Override
    public void epoch(EpochRecord record, boolean best) {}
  }

  @Test
  void resumesFromLastCheckpointToTheSameMetrics(@TempDir Path a, @TempDir Path b)
      throws IOException {
    FineTuneRunSpec s =
        spec("epochs: 3, batchSize: 32, learningRate: 2.0e-3, seed: 11, earlyStoppingPatience: 0");
    Recorder whole = new Recorder();
    run(s, a, whole);

    assertThatThrownBy(() -> run(s, b, new KillAt(2, 3))).hasMessageContaining("killed");
    Recorder resumed = new Recorder();
    run(s, b, resumed);

    assertThat(resumed.epochs).extracting(EpochRecord::epoch).containsExactly(2, 3);
    for (int i = 0; i < 2; i++) {
      EpochRecord x = whole.epochs.get(i + 1);
      EpochRecord y = resumed.epochs.get(i);
      assertThat(y.trainLoss()).isEqualTo(x.trainLoss());
      assertThat(y.evalLoss()).isEqualTo(x.evalLoss());
      assertThat(y.microF1()).isEqualTo(x.microF1());
      assertThat(y.auprc()).isEqualTo(x.auprc());
    }
    List<String> lines = Files.readAllLines(b.resolve("metrics.jsonl"));
    assertThat(lines).hasSize(3);
  }

  @Test
  void maskedLmEpochsTrainTheEncoderFirstAndResumeToTheSameMetrics(
      @TempDir Path a, @TempDir Path b, @TempDir Path c, @TempDir Path d) throws IOException {
    String training =
        "epochs: 2, batchSize: 32, learningRate: 3.0e-3, seed: 5, earlyStoppingPatience: 0";
    FineTuneRunSpec s = spec(training + ", mlmEpochs: 2");
    Recorder whole = new Recorder();
    run(s, a, whole);
    assertThat(whole.mlm).extracting(ProgressSink.MlmEpoch::epoch).containsExactly(1, 2);
    for (ProgressSink.MlmEpoch e : whole.mlm) {
      assertThat(e.loss()).isFinite().isPositive();
    }
    assertThat(whole.mlm.get(1).loss()).isLessThan(whole.mlm.get(0).loss());
    assertThat(whole.epochs).hasSize(2);
    assertThat(a.resolve("checkpoint-mlm")).doesNotExist();

    // The same spec without masked-LM epochs starts fine-tuning from other weights.
    Recorder plain = new Recorder();
    run(spec(training), b, plain);
    assertThat(plain.mlm).isEmpty();
    assertThat(plain.epochs.get(0).trainLoss()).isNotEqualTo(whole.epochs.get(0).trainLoss());

    // Killed in masked-LM epoch 2: resumes there, then fine-tunes to the same metrics.
    assertThatThrownBy(() -> run(s, c, new KillAt(2, 3, true))).hasMessageContaining("killed");
    assertThat(c.resolve("checkpoint-mlm/state.json")).isRegularFile();
    Recorder resumed = new Recorder();
    run(s, c, resumed);
    assertThat(resumed.mlm).extracting(ProgressSink.MlmEpoch::epoch).containsExactly(2);
    assertThat(resumed.mlm.get(0).loss()).isEqualTo(whole.mlm.get(1).loss());
    assertSameEpochs(resumed.epochs, whole.epochs);

    // Killed in fine-tuning epoch 1: the masked-LM epochs are not run again.
    assertThatThrownBy(() -> run(s, d, new KillAt(1, 2))).hasMessageContaining("killed");
    Recorder again = new Recorder();
    run(s, d, again);
    assertThat(again.mlm).isEmpty();
    assertSameEpochs(again.epochs, whole.epochs);
  }

  private static void assertSameEpochs(List<EpochRecord> got, List<EpochRecord> want) {
    assertThat(got).hasSameSizeAs(want);
    for (int i = 0; i < want.size(); i++) {
      assertThat(got.get(i).epoch()).isEqualTo(want.get(i).epoch());
      assertThat(got.get(i).trainLoss()).isEqualTo(want.get(i).trainLoss());
      assertThat(got.get(i).evalLoss()).isEqualTo(want.get(i).evalLoss());
      assertThat(got.get(i).microF1()).isEqualTo(want.get(i).microF1());
      assertThat(got.get(i).auprc()).isEqualTo(want.get(i).auprc());
    }
  }

  @Test
  void refusesCheckpointOfAnotherSpec(@TempDir Path out) throws IOException {
    run(spec("epochs: 1, batchSize: 32, seed: 1"), out);
    assertThatThrownBy(() -> run(spec("epochs: 1, batchSize: 16, seed: 1"), out))
        .isInstanceOf(FineTuner.InvalidRunException.class)
        .hasMessageContaining("different spec");
  }

  @Test
  void stopsEarlyAfterPatienceEpochsWithoutImprovement(@TempDir Path out) throws IOException {
    // A zero learning rate never improves on epoch 1, so patience 1 stops after epoch 2.
    Recorder rec = new Recorder();
    RunSummary s =
        run(
            spec("epochs: 5, batchSize: 32, learningRate: 1.0e-30, earlyStoppingPatience: 1"),
            out,
            rec);
    assertThat(rec.epochs).hasSize(2);
    assertThat(s.earlyStopped()).isTrue();
    assertThat(s.bestEpoch()).isEqualTo(1);
  }

  @Test
  void fineTunesAPretrainedCheckpointWithAddedMarkerTokens(@TempDir Path out) throws IOException {
    Path fixture = Fixtures.TINY_ROBERTA.toAbsolutePath();
    String yaml =
        """
        model: {uri: %s}
        dataset: {train: %s, validation: %s}
        input: {maxLength: 64, entityMarkers: typed, head: entity-start}
        training: {epochs: 1, batchSize: 32, learningRate: 1.0e-3}
        """
            .formatted(fixture.toUri(), train, valid);
    FineTuneRunSpec spec =
        new ObjectMapper(new YAMLFactory()).readValue(yaml, FineTuneRunSpec.class);
    RunSummary summary = run(spec, out);
    Path best = Path.of(summary.modelPath());
    JsonNode config = new ObjectMapper().readTree(best.resolve("config.json").toFile());
    // 32,000 pretrained rows plus 24 typed marker tokens
    assertThat(config.get("vocab_size").asInt()).isEqualTo(32024);
    assertThat(config.get("hidden_size").asInt()).isEqualTo(32);
    JsonNode tokenizer = new ObjectMapper().readTree(best.resolve("tokenizer.json").toFile());
    assertThat(tokenizer.path("added_tokens").findValuesAsText("content"))
        .contains("<subj:PER>", "</obj:LOC>");
  }
}
