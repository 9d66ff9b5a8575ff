package dev.kret.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.kret.api.v1alpha1.FineTuneRun;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Malformed variants of one valid FineTuneRun, each refused by {@code kretctl train --local} and
 * {@code kretctl apply} (exit code 3) with the field named as the API server names it, and its
 * line.
 */
class RunFilesValidationTest {

  static final String VALID =
      """
      apiVersion: kret.dev/v1alpha1
      kind: FineTuneRun
      metadata:
        name: klue-roberta-base
      spec:
        model:
          name: klue/roberta-base
          revision: main
        dataset:
          train: klue-re:v1.1/train
          validation: klue-re:v1.1/dev
        input:
          maxLength: 256
          entityMarkers: typed-punct
          head: entity-start
        training:
          epochs: 10
          batchSize: 32
          learningRate: 2.0e-5
          warmupRatio: 0.1
          mlmProbability: 0.15
        objective:
          metric: micro_f1
        resources:
          gpus: 1
          cpu: "3"
          memory: 12Gi
          tolerations:
            - key: nvidia.com/gpu
              operator: Exists
        storage:
          claimName: klue-re-models
        secrets:
          hubToken: {name: hf-token, key: token}
        promotion:
          policy: Auto
          serving: klue-re
          minimum: {metric: micro_f1, value: 60}
      """;

  @TempDir Path dir;

  /** The valid spec with one line replaced (the text must occur exactly once). */
  static String variant(String line, String replacement) {
    int at = VALID.indexOf(line);
    if (at < 0 || VALID.indexOf(line, at + 1) >= 0) {
      throw new IllegalArgumentException("not exactly once in VALID: " + line);
    }
    return VALID.substring(0, at) + replacement + VALID.substring(at + line.length());
  }

  static FineTuneRun parse(String yaml) throws Exception {
    return RunFiles.parse(
        new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "run.yaml");
  }

  @Test
  void acceptsTheValidSpec() throws Exception {
    assertThat(parse(VALID).getSpec().resources().memory()).isEqualTo("12Gi");
  }

  /** Numbers as YAML writers and kubectl accept them: an exponent needs no dot. */
  @Test
  void acceptsAnExponentWithoutADot() throws Exception {
    FineTuneRun run = parse(variant("learningRate: 2.0e-5", "learningRate: 1e-3"));

    assertThat(run.getSpec().training().learningRate()).isEqualTo(1e-3);
  }

  static Stream<Arguments> malformed() {
    return Stream.of(
        arguments(
            "empty model name",
            variant("name: klue/roberta-base", "name: ''"),
            "line 7: spec.model.name: Invalid value: \"\": must not be empty"),
        arguments(
            "memory that is no quantity",
            variant("memory: 12Gi", "memory: lots"),
            "line 27: spec.resources.memory: Invalid value: \"lots\": should match '^[0-9]+"),
        arguments(
            "cpu that is no quantity",
            variant("cpu: \"3\"", "cpu: 3 cores"),
            "spec.resources.cpu: Invalid value: \"3 cores\": should match"),
        arguments(
            "unknown field",
            variant("epochs: 10", "epochz: 10"),
            "line 17: spec.training.epochz: unknown field"),
        arguments(
            "unknown section",
            variant("objective:", "objectives:"),
            "spec.objectives: unknown field"),
        arguments(
            "unknown field in a list item",
            variant("operator: Exists", "operater: Exists"),
            "spec.resources.tolerations[0].operater: unknown field"),
        arguments(
            "negative epochs",
            variant("epochs: 10", "epochs: -1"),
            "line 17: spec.training.epochs: Invalid value: -1: should be greater than or equal to 1"),
        arguments(
            "epochs as a string",
            variant("epochs: 10", "epochs: \"10\""),
            "spec.training.epochs: Invalid value: \"10\": must be of type integer"),
        arguments(
            "epochs as a word",
            variant("epochs: 10", "epochs: ten"),
            "spec.training.epochs: Invalid value: \"ten\": must be of type integer"),
        arguments(
            "zero learning rate",
            variant("learningRate: 2.0e-5", "learningRate: 0.0"),
            "spec.training.learningRate: Invalid value: 0.0: should be greater than 0"),
        arguments(
            "warmup over 1",
            variant("warmupRatio: 0.1", "warmupRatio: 1.5"),
            "spec.training.warmupRatio: Invalid value: 1.5: should be less than or equal to 1"),
        arguments(
            "mlmProbability of 1",
            variant("mlmProbability: 0.15", "mlmProbability: 1.0"),
            "spec.training.mlmProbability: Invalid value: 1.0: should be less than 1"),
        arguments(
            "maxLength over 512",
            variant("maxLength: 256", "maxLength: 1024"),
            "spec.input.maxLength: Invalid value: 1024: should be less than or equal to 512"),
        arguments(
            "bad marker enum",
            variant("entityMarkers: typed-punct", "entityMarkers: typed_punct"),
            "line 14: spec.input.entityMarkers: Invalid value: \"typed_punct\": should match"
                + " '^(none|entity|typed|typed-punct)$'"),
        arguments(
            "bad head enum",
            variant("head: entity-start", "head: pooler"),
            "spec.input.head: Invalid value: \"pooler\": should match"),
        arguments(
            "bad metric enum",
            variant("metric: micro_f1\n", "metric: f1\n"),
            "spec.objective.metric: Invalid value: \"f1\": should match"),
        arguments(
            "bad policy enum",
            variant("policy: Auto", "policy: auto"),
            "spec.promotion.policy: Invalid value: \"auto\": should match '^(Auto|Manual)$'"),
        arguments(
            "negative gpus",
            variant("gpus: 1", "gpus: -1"),
            "spec.resources.gpus: Invalid value: -1: should be greater than or equal to 0"),
        arguments(
            "serving that is no DNS label",
            variant("serving: klue-re", "serving: Klue.RE"),
            "spec.promotion.serving: Invalid value: \"Klue.RE\": should match"),
        arguments(
            "a secret reference without key",
            variant("hubToken: {name: hf-token, key: token}", "hubToken: {name: hf-token}"),
            "spec.secrets.hubToken.key: Required value"),
        arguments(
            "a section that is no object",
            variant("  storage:\n    claimName: klue-re-models\n", "  storage: klue-re-models\n"),
            "spec.storage: Invalid value: \"klue-re-models\": must be of type object"),
        arguments(
            "both name and uri",
            variant("revision: main", "uri: https://example.com/model/"),
            "spec.model: set name or uri, not both"),
        arguments(
            "empty training data",
            variant("train: klue-re:v1.1/train", "train: ''"),
            "spec.dataset.train: must not be empty"),
        arguments(
            "unknown KLUE-RE file",
            variant("validation: klue-re:v1.1/dev", "validation: klue-re:v1.1/test"),
            "spec.dataset.validation: \"klue-re:v1.1/test\" is not an official KLUE-RE file"),
        arguments(
            "empty claim",
            variant("claimName: klue-re-models", "claimName: ''"),
            "spec.storage.claimName: Invalid value: \"\": must not be empty"),
        arguments(
            "serving missing under promotion",
            variant("    serving: klue-re\n", ""),
            "spec.promotion.serving: names the endpoint and is required with promotion"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformed")
  void refusesAMalformedVariantNamingTheField(String what, String yaml, String expected) {
    assertThatThrownBy(() -> parse(yaml))
        .as(what)
        .isInstanceOf(RunFiles.InvalidSpecException.class)
        .hasMessageStartingWith("run.yaml: ")
        .hasMessageContaining(expected);
  }

  /** Every problem at once, schema and rules alike, so one edit fixes the file. */
  @Test
  void namesEveryProblemAtOnce() {
    String yaml =
        variant("epochs: 10", "epochs: 0")
            .replace("memory: 12Gi", "memory: lots")
            .replace("name: klue/roberta-base", "name: ''");

    assertThatThrownBy(() -> parse(yaml))
        .hasMessageContaining("spec.training.epochs")
        .hasMessageContaining("spec.resources.memory")
        .hasMessageContaining("spec.model.name");
  }

  /**
   * The CRD defaults spec.dataset.train to the bundled sample; a local file that leaves it out is
   * refused rather than trained on 3,000 sample rows.
   */
  @Test
  void aLocalRunMustNameItsTrainingData() throws IOException {
    Path file =
        Files.writeString(
            dir.resolve("run.yaml"),
            variant("    train: klue-re:v1.1/train\n", "").replace("  dataset:\n", "  dataset:\n"));
    Path noDataset =
        Files.writeString(
            dir.resolve("none.yaml"),
            variant(
                "  dataset:\n    train: klue-re:v1.1/train\n    validation: klue-re:v1.1/dev\n",
                ""));

    for (Path f : new Path[] {file, noDataset}) {
      assertThatThrownBy(() -> RunFiles.readLocal(f))
          .as(f.toString())
          .isInstanceOf(RunFiles.InvalidSpecException.class)
          .hasMessageStartingWith(f + ": spec.dataset.train: Required value")
          .hasMessageContaining("builtin:klue-re-sample");
    }
  }

  /** The sample, named, is fine; so is the embedded default run, which names it. */
  @Test
  void aLocalRunMayNameTheBundledSample() throws Exception {
    Path file =
        Files.writeString(
            dir.resolve("run.yaml"),
            variant("train: klue-re:v1.1/train", "train: builtin:klue-re-sample"));

    assertThat(RunFiles.readLocal(file).getSpec().dataset().train())
        .isEqualTo("builtin:klue-re-sample");
    assertThat(RunFiles.namesTrainingData(RunFiles.readDefault())).isTrue();
  }

  /** What the API server accepts, kretctl accepts: a file without data stays valid for apply. */
  @Test
  void aSpecWithoutTrainingDataIsStillValidForTheCluster() throws Exception {
    FineTuneRun run = parse(variant("    train: klue-re:v1.1/train\n", ""));

    assertThat(RunFiles.namesTrainingData(run)).isFalse();
  }

  /** The examples and benchmarks shipped in the repository pass the same check. */
  @Test
  void acceptsTheShippedRunFiles() throws Exception {
    for (String f : new String[] {"bench/klue-re-scratch.yaml", "bench/klue-re-scratch-mlm.yaml"}) {
      assertThat(RunFiles.readLocal(Path.of(f)).getSpec()).as(f).isNotNull();
    }
    assertThat(RunFiles.readDefault().getSpec()).isNotNull();
  }
}
