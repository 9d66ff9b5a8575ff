package dev.kret.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kret.PackagedApp;
import dev.kret.api.v1alpha1.BestStatus;
import dev.kret.api.v1alpha1.FineTuneRun;
import dev.kret.api.v1alpha1.FineTuneRunStatus;
import dev.kret.api.v1alpha1.ProgressStatus;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged application as the image runs it (failsafe, after {@code mvn package}): the files
 * Dockerfile.jvm copies exist, {@code kretctl --help} works, and {@code kretctl status} against the
 * mock API server with 100 runs loads no DJL class. {@code -Dkret.cli.bench=N} times N status calls
 * and prints the median (docs/cli.md); with {@code -Dkret.cli.launcher=kretctl} through the repo's
 * {@code kretctl} script (flat class path and its class-data archive, recorded by an untimed first
 * call) instead of {@code java -jar}.
 */
@Tag("packaged-jar")
class PackagedCliIT {
  static final Path APP = PackagedApp.APP;
  static final Path JAR = PackagedApp.JAR;
  static final int RUNS = 100;

  @TempDir static Path tmp;
  static KubernetesMockServer server;
  static Path kubeconfig;

  @BeforeAll
  static void start() throws IOException {
    assumeTrue(Files.isRegularFile(JAR), "run mvn package first (failsafe runs this after it)");
    server = MockApi.crud();
    try (NamespacedKubernetesClient client = server.createClient()) {
      for (int i = 0; i < RUNS; i++) {
        FineTuneRun r = new FineTuneRun();
        r.setMetadata(
            new ObjectMetaBuilder()
                .withName(String.format("run-%03d", i))
                .withNamespace("bench")
                .build());
        FineTuneRun created =
            client.resources(FineTuneRun.class).inNamespace("bench").resource(r).create();
        created.setStatus(
            new FineTuneRunStatus(
                1L,
                i % 3 == 0 ? "Training" : "Succeeded",
                null,
                List.of(),
                new ProgressStatus(i % 10, 10),
                List.of(),
                new BestStatus(1, "micro_f1", 60.0 + i / 10.0, "bench/x/epoch-1"),
                null,
                null));
        client.resources(FineTuneRun.class).inNamespace("bench").resource(created).updateStatus();
      }
      kubeconfig =
          MockApi.kubeconfig(
              tmp.resolve("kubeconfig"), client.getConfiguration().getMasterUrl(), "bench");
    }
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.destroy();
    }
  }

  @Test
  void dockerfileCopiesFilesThatExist() throws IOException {
    Pattern copy = Pattern.compile("^COPY\\s+(?:--chown=\\S+\\s+)?(target/\\S+)\\s+\\S+\\s*$");
    List<String> sources = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of("Dockerfile.jvm"))) {
      Matcher m = copy.matcher(line.strip());
      if (m.matches()) {
        sources.add(m.group(1));
      }
    }
    assertThat(sources).contains("target/quarkus-app/lib/", "target/quarkus-app/*.jar");
    for (String s : sources) {
      if (s.endsWith("*.jar")) {
        assertThat(Files.isRegularFile(JAR)).as(s).isTrue();
      } else {
        assertThat(Path.of(s)).as(s).exists();
      }
    }
    assertThat(APP.resolve("lib/main")).isDirectoryContaining("glob:**pytorch-native-cpu*.jar");
  }

  @Test
  void helpWorks() throws Exception {
    Result r = kretctl(List.of(), "--help");
    assertThat(r.code).as(r.err).isZero();
    assertThat(r.out).contains("Usage: kretctl", "status", "operator", "train");
  }

  @Test
  void statusOfAHundredRunsLoadsNoDjlClass() throws Exception {
    Path classes = tmp.resolve("classes.log");
    Result r =
        kretctl(
            List.of("-Xlog:class+load=info:file=" + classes),
            "status",
            "--kubeconfig",
            kubeconfig.toString());
    assertThat(r.code).as(r.err).isZero();
    assertThat(r.out.lines()).hasSize(RUNS + 1);
    String loaded = Files.readString(classes);
    assertThat(loaded).contains("dev.kret.cli.StatusCommand");
    // No libtorch, no model code (picocli does load TrainCommand's exception types: no DJL there).
    assertThat(loaded).doesNotContain(" ai.djl.", " dev.kret.model.");
    // No listening socket: quarkus.http.host-enabled=false keeps the HTTP server down.
    assertThat(loaded).doesNotContain("ServerSocketChannelImpl", "NioServerSocketChannel");
  }

  @Test
  void scriptStatusStartsNoQuarkusRuntimeAndLoadsNoDjlClass() throws Exception {
    String[] status = {"status", "--kubeconfig", kubeconfig.toString()};
    Result first = script(status); // the first call after a build records the archive
    assertThat(first.code).as(first.err).isZero();
    Path classes = tmp.resolve("script-classes.log");
    Result r = scriptLoggingClasses(classes, status);
    assertThat(r.code).as(r.err).isZero();
    assertThat(r.out.lines()).hasSize(RUNS + 1);
    String loaded = Files.readString(classes);
    assertThat(loaded).contains("dev.kret.cli.ClusterMain ", "dev.kret.cli.StatusCommand ");
    // No Quarkus application start, no CDI container, no libtorch, no model code, no port.
    assertThat(loaded)
        .doesNotContain(
            "io.quarkus.runtime.Application ",
            "io.quarkus.arc.impl.ArcContainerImpl ",
            " ai.djl.",
            " dev.kret.model.",
            "ServerSocketChannelImpl",
            "NioServerSocketChannel");
    // Reading the kubeconfig did not load every Kubernetes model class (KubeconfigParsing).
    assertThat(loaded).doesNotContain(" io.fabric8.kubernetes.api.model.gatewayapi.");
    // Help reads no kubeconfig: not even fabric8's mapper is set up.
    Path helpClasses = tmp.resolve("script-help-classes.log");
    Result help = scriptLoggingClasses(helpClasses, "--help");
    assertThat(help.code).as(help.err).isZero();
    assertThat(Files.readString(helpClasses))
        .contains("dev.kret.cli.ClusterMain ")
        .doesNotContain(" io.fabric8.kubernetes.client.utils.Serialization ");
  }

  @Test
  void scriptPrintsWhatTheJarPrints() throws Exception {
    String[] status = {"status", "--kubeconfig", kubeconfig.toString()};
    Result jar = kretctl(List.of(), status);
    // First call: flat class path, records the archive; second call: starts from it.
    for (int i = 0; i < 2; i++) {
      Result r = script(status);
      assertThat(r.code).as(r.err).isZero();
      assertThat(withoutAges(r.out)).isEqualTo(withoutAges(jar.out));
    }
    // The script runs these without the Quarkus runtime (ClusterMain): same output, same errors,
    // same exit codes as the application.
    String k = kubeconfig.toString();
    String[][] calls = {
      {"status", "run-007", "--kubeconfig", k},
      {"status", "-o", "json", "run-003", "--kubeconfig", k},
      {"status", "nosuch", "--kubeconfig", k},
      {"status", "--bogus"},
      {"status", "--help"},
      {"delete", "nosuch", "--kubeconfig", k},
      {"logs", "--help"},
      {"--help"},
      {"--version"},
      {"completion"}
    };
    for (String[] call : calls) {
      Result expected = kretctl(List.of(), call);
      Result r = script(call);
      assertThat(r.code).as(String.join(" ", call)).isEqualTo(expected.code);
      assertThat(withoutAges(r.out))
          .as(String.join(" ", call))
          .isEqualTo(withoutAges(expected.out));
      assertThat(r.err).as(String.join(" ", call)).isEqualTo(expected.err);
    }
  }

  /** The AGE column moves between two calls. */
  static String withoutAges(String table) {
    return table.replaceAll("\\b\\d+[smhd]\\b", "AGE");
  }

  @Test
  void benchmark() throws Exception {
    int n = Integer.getInteger("kret.cli.bench", 0);
    assumeTrue(n > 0, "-Dkret.cli.bench=N times N runs of kretctl status");
    boolean script = "kretctl".equals(System.getProperty("kret.cli.launcher"));
    String[] status = {"status", "--kubeconfig", kubeconfig.toString()};
    if (script) {
      // The first call after a build records the class-data archive: not timed.
      Result first = script(status);
      assertThat(first.code).as(first.err).isZero();
      assertThat(first.err).as("the jar is up to date").doesNotContain("building");
    }
    List<Long> ms = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      Result r =
          script
              ? script(status)
              : kretctl(List.of(System.getProperty("kret.cli.jvm", "-Dx=y").split(" ")), status);
      ms.add((System.nanoTime() - t0) / 1_000_000);
      assertThat(r.code).as(r.err).isZero();
      assertThat(r.out.lines()).hasSize(RUNS + 1);
    }
    List<Long> sorted = ms.stream().sorted().toList();
    System.out.printf(
        "kretctl status (%s), %d runs on the mock API server, %d calls: median %d ms, min %d ms,"
            + " max %d ms%n",
        script ? "kretctl script" : "java -jar",
        RUNS,
        n,
        sorted.get(n / 2),
        sorted.get(0),
        sorted.get(n - 1));
  }

  record Result(int code, String out, String err) {}

  static Result kretctl(List<String> jvm, String... args) throws Exception {
    return run(PackagedApp.javaJar(jvm, List.of(args)));
  }

  /** The repo's kretctl script, with this JVM's java first on the PATH. */
  static Result script(String... args) throws Exception {
    return run(scriptCommand(args));
  }

  /** The script, with the class-load log of its JVM written to {@code log}. */
  static Result scriptLoggingClasses(Path log, String... args) throws Exception {
    return run(
        scriptCommand(args), Map.of("JAVA_TOOL_OPTIONS", "-Xlog:class+load=info:file=" + log));
  }

  static List<String> scriptCommand(String... args) {
    List<String> cmd = new ArrayList<>(List.of("sh", "kretctl"));
    cmd.addAll(List.of(args));
    return cmd;
  }

  static Result run(List<String> cmd) throws Exception {
    return run(cmd, Map.of());
  }

  static Result run(List<String> cmd, Map<String, String> env) throws Exception {
    Path out = Files.createTempFile(tmp, "out", ".txt");
    Path err = Files.createTempFile(tmp, "err", ".txt");
    ProcessBuilder pb =
        PackagedApp.process(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().putAll(env);
    Process p = pb.start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("kretctl finished").isTrue();
    return new Result(
        p.exitValue(),
        Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }
}
