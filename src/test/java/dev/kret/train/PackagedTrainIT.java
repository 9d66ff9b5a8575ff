package dev.kret.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kret.PackagedApp;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged trainer under a real SIGTERM (what {@code kubectl delete} or a preempted node sends
 * a training pod): it stops at a safe point and exits with the signal's status, instead of dying of
 * SIGSEGV inside libtorch while the JVM tears the library down; the last finished epoch's
 * checkpoint stays intact and the same command resumes from it.
 */
@Tag("packaged-jar")
class PackagedTrainIT {

  @Test
  void sigtermStopsAtASafePointAndTheSameCommandResumes(@TempDir Path dir) throws Exception {
    assumeTrue(
        Files.isRegularFile(PackagedApp.JAR),
        "run mvn package first (failsafe runs this after it)");
    Path out = dir.resolve("run");
    Path err = dir.resolve("err.txt");
    // The embedded default: 94 steps per epoch, about ten seconds each here.
    Process p = start(dir, err, "train", "--output", out.toString());
    Path state = out.resolve("checkpoint/state.json");
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (!Files.isRegularFile(state) && p.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertThat(state).as(Files.readString(err)).isRegularFile();
    Thread.sleep(1500); // into epoch 2's steps
    p.destroy(); // SIGTERM
    assertThat(p.waitFor(90, TimeUnit.SECONDS)).as("stopped").isTrue();
    String log = Files.readString(err, StandardCharsets.UTF_8);

    assertThat(p.exitValue()).as(log).isEqualTo(128 + 15);
    assertThat(log).contains("stopped by shutdown in epoch 2", "resume from epoch 2");
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(f -> f.getFileName().toString()))
          .as("JVM crash reports")
          .noneMatch(n -> n.startsWith("hs_err"));
    }
    JsonNode saved = new ObjectMapper().readTree(state.toFile());
    assertThat(saved.path("epoch").asInt()).isEqualTo(1);
    assertThat(Files.readAllLines(out.resolve("metrics.jsonl"))).hasSize(1);

    // The same command picks up after epoch 1; stopped again once it is under way.
    Process again = start(dir, err, "train", "--output", out.toString());
    deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (!Files.readString(err).contains("epochs 2..6") && again.isAlive()) {
      assertThat(System.nanoTime()).isLessThan(deadline);
      Thread.sleep(100);
    }
    again.destroy();
    assertThat(again.waitFor(90, TimeUnit.SECONDS)).isTrue();
    assertThat(Files.readString(err)).contains("epochs 2..6");
  }

  private static Process start(Path dir, Path err, String... args) throws Exception {
    return PackagedApp.process(PackagedApp.javaJar(List.of(), List.of(args)))
        .directory(dir.toFile())
        .redirectOutput(dir.resolve("out.txt").toFile())
        .redirectError(err.toFile())
        .start();
  }
}
