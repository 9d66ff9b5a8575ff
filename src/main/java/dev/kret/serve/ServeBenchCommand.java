package dev.kret.serve;

import dev.kret.cli.ExitCodes;
import dev.kret.data.RelationExample;
import dev.kret.model.Djl;
import dev.kret.model.ModelDirectory;
import dev.kret.model.RelationClassifier;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code kretctl bench serve}: endpoint throughput and latency against the forward pass alone. */
@Command(
    name = "serve",
    description =
        "Serve a model on loopback, load it at several concurrencies with one-instance V1 requests,"
            + " and print throughput, p50, p99 next to the batched forward pass alone.")
public class ServeBenchCommand implements Callable<Integer> {

  @Spec CommandSpec command;

  @Option(
      names = "--model",
      paramLabel = "DIR",
      description = "Model directory; without it a random model of --layers/--hidden is written.")
  Path model;

  @Option(names = "--layers", defaultValue = "12")
  int layers;

  @Option(names = "--hidden", defaultValue = "768")
  int hidden;

  @Option(names = "--heads", defaultValue = "12")
  int heads;

  @Option(names = "--max-length", defaultValue = "128", description = "Of the random model.")
  int maxLength;

  @Option(names = "--concurrency", defaultValue = "1,8,32", split = ",")
  List<Integer> concurrency;

  @Option(names = "--requests", defaultValue = "1000", description = "Per concurrency level.")
  int requests;

  @Option(
      names = "--forward-instances",
      defaultValue = "512",
      description = "Instances timed for the forward pass alone (after as many untimed).")
  int forwardInstances;

  @Option(names = "--max-batch", defaultValue = "32")
  int maxBatch;

  @Option(names = "--max-wait-ms", defaultValue = "5")
  long maxWaitMs;

  @Option(names = "--workers", defaultValue = "1")
  int workers;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = command.commandLine().getOut();
    Djl.offline();
    Path dir = model;
    Path tmp = null;
    if (dir == null) {
      tmp = Files.createTempDirectory("kret-bench-serve");
      dir = ServeBench.randomModel(tmp.resolve("model"), layers, hidden, heads, maxLength);
      out.printf(
          Locale.ROOT,
          "model       random %d layers x %d hidden, max length %d%n",
          layers,
          hidden,
          maxLength);
    } else {
      out.printf("model       %s%n", dir);
    }
    List<RelationExample> queries = ServeBench.queries();
    ModelDirectory.Opened opened = ModelDirectory.open(dir, Djl.device(false));
    RelationClassifier clf = new RelationClassifier(opened);
    ServeBench.Forward fwd = ServeBench.forward(clf, queries, maxBatch, forwardInstances);
    out.printf(
        Locale.ROOT,
        "forward     batch %d alone: %.1f instances/s%n",
        fwd.batch(),
        fwd.instancesPerSecond());
    out.printf(
        Locale.ROOT,
        "server      max batch %d, max wait %d ms, %d workers, %d requests per level%n",
        maxBatch,
        maxWaitMs,
        workers,
        requests);
    out.println("concurrency  req/s     p50 ms   p99 ms   p99/p50  mean batch  errors  RSS MB");
    out.flush();
    ServeConfig config =
        ServeConfig.loopback("bench").withBatching(maxBatch, Duration.ofMillis(maxWaitMs), workers);
    List<ServeBench.Level> levels = new ArrayList<>();
    try (PredictionServer server = PredictionServer.start(config, () -> opened)) {
      server.loaded().get(10, TimeUnit.MINUTES);
      for (int c : concurrency) {
        ServeBench.Level l = ServeBench.load(server, queries, c, requests);
        out.printf(
            Locale.ROOT,
            "%11d  %7.1f  %7.1f  %7.1f  %7.2f  %10.1f  %6d  %d -> %d%n",
            c,
            l.requestsPerSecond(),
            l.p50Ms(),
            l.p99Ms(),
            l.p99Ms() / l.p50Ms(),
            l.meanBatch(),
            l.errors(),
            l.rssBeforeKb() / 1024,
            l.rssAfterKb() / 1024);
        out.flush();
        levels.add(l);
      }
      ServeBench.Forward again = ServeBench.forward(clf, queries, maxBatch, forwardInstances);
      out.printf(
          Locale.ROOT,
          "forward     batch %d alone, after the load: %.1f instances/s%n",
          again.batch(),
          again.instancesPerSecond());
      // The first figure is taken before the JIT has compiled DJL's op path; the one after the
      // load is the steady state the endpoint runs in, so the ratio uses the larger of the two.
      double ceiling = Math.max(fwd.instancesPerSecond(), again.instancesPerSecond());
      for (ServeBench.Level l : levels) {
        out.printf(
            Locale.ROOT,
            "concurrency %d: %.0f%% of the forward pass alone%n",
            l.concurrency(),
            100 * l.requestsPerSecond() / ceiling);
      }
      out.flush();
    } finally {
      if (tmp != null) {
        ModelDirectory.deleteRecursively(tmp);
      }
    }
    return ExitCodes.OK;
  }
}
