package dev.kret.train;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SinksTest {

  static EpochRecord record(int epoch) {
    return new EpochRecord(epoch, 1.5, 1.2, 60.0, 40.0, 30.0, 200.0, "/m/epoch-" + epoch, "now");
  }

  @Test
  void jsonlKeepsOneLinePerEpochAcrossAResume(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("metrics.jsonl");
    JsonlSink sink = new JsonlSink(file);
    sink.epoch(record(1), true);
    sink.epoch(record(2), false);
    // killed after epoch 2 was reported but before its checkpoint: the run resumes at epoch 2
    sink.started(new ProgressSink.RunPlan("r", 3, 2, 10, 100, 10, 1000, "cpu"));
    sink.epoch(record(2), false);
    sink.epoch(record(3), true);
    List<String> lines = Files.readAllLines(file);
    assertThat(lines).hasSize(3);
    ObjectMapper json = new ObjectMapper();
    assertThat(lines.stream().map(l -> readEpoch(json, l))).containsExactly(1, 2, 3);
    assertThat(json.readTree(lines.get(0)).fieldNames())
        .toIterable()
        .contains(
            "epoch",
            "trainLoss",
            "evalLoss",
            "accuracy",
            "microF1",
            "auprc",
            "samplesPerSecond",
            "modelPath",
            "finishedAt");
  }

  static int readEpoch(ObjectMapper json, String line) {
    try {
      return json.readTree(line).get("epoch").asInt();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void consoleShowsProgressThenOneRowPerEpochWithTheBestMarked() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ConsoleSink sink = new ConsoleSink(new PrintStream(bytes, true, StandardCharsets.UTF_8), false);
    sink.step(new ProgressSink.StepProgress(1, 3, 5, 10, 2.5, 120.0, 4.0));
    sink.epoch(record(1), true);
    String out = bytes.toString(StandardCharsets.UTF_8);
    assertThat(out).contains("epoch 1/3", "5/10", "loss 2.5000", "120.0 samples/s", "ETA 0:00:04");
    assertThat(out).contains("micro_f1", "auprc", "*best");
  }

  @Test
  void epochKeysFollowTheProgressConfigMapContract() {
    assertThat(record(3).key()).isEqualTo("epoch-0003.json");
    assertThat(record(12).metric("micro_f1")).isEqualTo(40.0);
    assertThat(record(12).metric("eval_loss")).isEqualTo(1.2);
  }
}
