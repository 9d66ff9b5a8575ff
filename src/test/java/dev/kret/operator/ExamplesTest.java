package dev.kret.operator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.kret.api.v1alpha1.FineTuneRun;
import dev.kret.api.v1alpha1.SpecValidation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
    return Stream.concat(Files.list(Path.of("k8s/examples")), Files.list(Path.of("bench")))
        .filter(p -> p.toString().endsWith(".yaml"))
        .sorted();
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
}
