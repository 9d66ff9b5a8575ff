package dev.kret.operator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.kret.api.v1alpha1.FineTuneRun;
import dev.kret.api.v1alpha1.FineTuneRunSpec;
import dev.kret.api.v1alpha1.ResourcesSpec;
import dev.kret.api.v1alpha1.SpecValidation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The run specs users copy must parse strictly, pass validation and yield a Job. */
class ExamplesTest {
  static final ObjectMapper STRICT =
      new ObjectMapper(new YAMLFactory())
          .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);

  /** k8s/examples, and the benchmark specs under bench/ (README points users at both). */
  static Stream<Path> examples() throws IOException {
    return Stream.concat(clusterExamples(), Files.list(Path.of("bench")))
        .filter(p -> p.toString().endsWith(".yaml"))
        .sorted();
  }

  static Stream<Path> clusterExamples() throws IOException {
    return Files.list(Path.of("k8s/examples")).filter(p -> p.toString().endsWith(".yaml")).sorted();
  }

  @ParameterizedTest
  @MethodSource("examples")
  void exampleIsAValidRun(Path file) throws IOException {
    FineTuneRun run = STRICT.readValue(file.toFile(), FineTuneRun.class);
    run.getMetadata().setNamespace("ml");
    assertThat(run.getSpec()).isNotNull();
    assertThat(SpecValidation.errors(run.getSpec())).isEmpty();
    assertThat(TrainingJobDependent.desired(run, new TestConfig()).getMetadata().getName())
        .isEqualTo(run.getMetadata().getName() + "-train");
  }

  /**
   * Data any machine with internet access reaches as written: the bundled sample, the official
   * KLUE-RE files by name, or https; no path of one machine, no placeholder host.
   */
  @ParameterizedTest
  @MethodSource("examples")
  void exampleNamesDataEveryMachineCanReach(Path file) throws IOException {
    FineTuneRunSpec spec = STRICT.readValue(file.toFile(), FineTuneRun.class).getSpec();
    for (String uri :
        List.of(
            spec.withDefaults().dataset().train(), spec.withDefaults().dataset().validation())) {
      assertThat(uri)
          .as(file + ": dataset " + uri)
          .matches("builtin:klue-re-sample(/validation)?|klue-re:v1\\.1/(train|dev)|https://.+")
          .doesNotContain("example.org", "example.com");
    }
  }

  /**
   * A cluster example brings what its pod needs beyond the operator: the volume it mounts, the
   * Kueue queue and PriorityClass it names; and it needs no Secret the user has not made.
   */
  @ParameterizedTest
  @MethodSource("clusterExamples")
  void clusterExampleDeclaresWhatItsPodNeeds(Path file) throws IOException {
    List<JsonNode> docs =
        new ObjectMapper(new YAMLFactory())
            .readerFor(JsonNode.class)
            .<JsonNode>readValues(file.toFile())
            .readAll();
    FineTuneRunSpec spec = STRICT.readValue(file.toFile(), FineTuneRun.class).getSpec();
    assertThat(spec.secrets()).as(file + ": a Secret the user would have to create").isNull();
    assertThat(names(docs, "PersistentVolumeClaim"))
        .as(file + ": the model volume")
        .contains(spec.withDefaults().storage().claimName());
    ResourcesSpec res = spec.withDefaults().resources();
    if (res.queueName() != null && !res.queueName().isBlank()) {
      assertThat(names(docs, "LocalQueue")).as(file + ": the LocalQueue").contains(res.queueName());
    }
    if (res.priorityClassName() != null) {
      assertThat(names(docs, "PriorityClass"))
          .as(file + ": the PriorityClass")
          .contains(res.priorityClassName());
    }
  }

  private static List<String> names(List<JsonNode> docs, String kind) {
    return docs.stream()
        .filter(d -> kind.equals(d.path("kind").asText()))
        .map(d -> d.path("metadata").path("name").asText())
        .toList();
  }
}
