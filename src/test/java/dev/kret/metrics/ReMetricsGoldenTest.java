package dev.kret.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kret.Fixtures;
import dev.kret.data.Labels;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Golden vectors computed with scikit-learn by the KLUE baseline's own metric code. */
class ReMetricsGoldenTest {

  private static final double TOLERANCE = 1e-6;

  record GoldenCase(
      String name,
      int[] labels,
      float[][] probs,
      int[] preds,
      double accuracy,
      double microF1,
      double auprc) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Arguments> cases() throws IOException {
    JsonNode root = new ObjectMapper().readTree(Fixtures.KLUE_RE_METRICS.toFile());
    List<Arguments> cases = new ArrayList<>();
    for (JsonNode c : root.get("cases")) {
      JsonNode probs = c.get("probs");
      float[][] matrix = new float[probs.size()][];
      for (int i = 0; i < matrix.length; i++) {
        JsonNode row = probs.get(i);
        matrix[i] = new float[row.size()];
        for (int j = 0; j < row.size(); j++) {
          matrix[i][j] = (float) row.get(j).asDouble();
        }
      }
      GoldenCase goldenCase =
          new GoldenCase(
              c.get("name").asText(),
              ints(c.get("labels")),
              matrix,
              ints(c.get("preds")),
              c.get("accuracy").asDouble(),
              c.get("micro_f1").asDouble(),
              c.get("auprc").asDouble());
      cases.add(Arguments.of(goldenCase));
    }
    assertThat(cases).isNotEmpty();
    return cases.stream();
  }

  private static int[] ints(JsonNode array) {
    int[] values = new int[array.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = array.get(i).asInt();
    }
    return values;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void argmaxMatchesNumpy(GoldenCase golden) {
    assertThat(ReMetrics.argmax(golden.probs())).containsExactly(golden.preds());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void headlineMetricsMatchSklearn(GoldenCase golden) {
    int[] preds = ReMetrics.argmax(golden.probs());

    assertThat(ReMetrics.accuracy(golden.labels(), preds))
        .isCloseTo(golden.accuracy(), within(TOLERANCE));
    assertThat(ReMetrics.microF1(golden.labels(), preds))
        .isCloseTo(golden.microF1(), within(TOLERANCE));
    assertThat(ReMetrics.auprc(golden.labels(), golden.probs(), Labels.RELATIONS.size()))
        .isCloseTo(golden.auprc(), within(TOLERANCE));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void evaluateReportsTheSameMetrics(GoldenCase golden) {
    EvalReport report = ReMetrics.evaluate(golden.labels(), golden.probs(), 0.25, Labels.RELATIONS);

    assertThat(report.examples()).isEqualTo(golden.labels().length);
    assertThat(report.accuracy()).isCloseTo(golden.accuracy(), within(TOLERANCE));
    assertThat(report.microF1()).isCloseTo(golden.microF1(), within(TOLERANCE));
    assertThat(report.auprc()).isCloseTo(golden.auprc(), within(TOLERANCE));
    assertThat(report.evalLoss()).isEqualTo(0.25);
    assertThat(report.perClass()).hasSize(Labels.RELATIONS.size());
    assertThat(report.perClass().stream().mapToInt(ClassScore::support).sum())
        .isEqualTo(golden.labels().length);
  }
}
