package dev.kret.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kret.data.RelationExample;
import io.quarkus.test.junit.main.LaunchResult;
import io.quarkus.test.junit.main.QuarkusMainLauncher;
import io.quarkus.test.junit.main.QuarkusMainTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kretctl predict --url} against an endpoint started in the test. */
@QuarkusMainTest
class PredictUrlCliTest {

  static final String FIXTURE = PredictionServerTest.FIXTURE.toString();

  @TempDir static Path tmp;
  static Path data;
  static RelationExample first;
  static FixtureEndpoint server;

  @BeforeAll
  static void start() throws Exception {
    server = FixtureEndpoint.start("tiny", tmp, 10);
    data = server.data();
    first = server.first();
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void predictsOneQueryFromFlagsAndPrintsLabelScoreAndTopK(QuarkusMainLauncher launcher) {
    LaunchResult r =
        launcher.launch(
            "predict",
            "--url",
            server.baseUrl(),
            "--name",
            "tiny",
            "--sentence",
            first.sentence(),
            "--subject-start",
            String.valueOf(first.subject().start()),
            "--subject-end",
            String.valueOf(first.subject().end()),
            "--subject-type",
            first.subject().type(),
            "--object-start",
            String.valueOf(first.object().start()),
            "--object-end",
            String.valueOf(first.object().end()),
            "--object-type",
            first.object().type(),
            "--top",
            "3");
    assertThat(r.exitCode()).as(r.getErrorOutput()).isZero();
    List<String> lines = r.getOutput().lines().toList();
    assertThat(lines).hasSize(4);
    assertThat(lines.get(0)).startsWith("query\t");
    assertThat(lines.get(1)).startsWith("  1. ");
    assertThat(lines.get(3)).startsWith("  3. ");
  }

  @Test
  void writesTheSameProbabilitiesAsOfflinePredict(QuarkusMainLauncher launcher) throws Exception {
    Path remote = tmp.resolve("remote.jsonl");
    Path local = tmp.resolve("local.jsonl");
    LaunchResult r =
        launcher.launch(
            "predict",
            "--url",
            server.baseUrl(),
            "--name",
            "tiny",
            "--data",
            data.toString(),
            "--output",
            remote.toString(),
            "--batch-size",
            "4");
    assertThat(r.exitCode()).as(r.getErrorOutput()).isZero();
    LaunchResult l =
        launcher.launch(
            "predict", "--model", FIXTURE, "--data", data.toString(), "--output", local.toString());
    assertThat(l.exitCode()).as(l.getErrorOutput()).isZero();
    List<String> a = Files.readAllLines(remote);
    List<String> b = Files.readAllLines(local);
    assertThat(a).hasSize(10);
    ObjectMapper json = new ObjectMapper();
    for (int i = 0; i < a.size(); i++) {
      JsonNode x = json.readTree(a.get(i));
      JsonNode y = json.readTree(b.get(i));
      assertThat(x.get("guid")).isEqualTo(y.get("guid"));
      assertThat(x.get("label")).isEqualTo(y.get("label"));
      for (int j = 0; j < 30; j++) {
        assertThat(x.get("probabilities").get(j).asDouble())
            .isCloseTo(y.get("probabilities").get(j).asDouble(), within(1e-5));
      }
    }
  }

  @Test
  void reportsTheEndpointsErrorAndExitsWithInvalidConfig(QuarkusMainLauncher launcher) {
    LaunchResult r =
        launcher.launch(
            "predict",
            "--url",
            server.baseUrl(),
            "--name",
            "tiny",
            "--sentence",
            "짧은 문장",
            "--subject-start",
            "0",
            "--subject-end",
            "40",
            "--subject-type",
            "PER",
            "--object-start",
            "3",
            "--object-end",
            "4",
            "--object-type",
            "ORG");
    assertThat(r.exitCode()).isEqualTo(3);
    assertThat(r.getErrorOutput()).contains("instances[0].subject_entity.end_idx 40 is outside");
  }

  @Test
  void refusesBothModelAndUrl(QuarkusMainLauncher launcher) {
    LaunchResult r =
        launcher.launch(
            "predict", "--model", FIXTURE, "--url", server.baseUrl(), "--data", data.toString());
    assertThat(r.exitCode()).isEqualTo(2);
  }
}
