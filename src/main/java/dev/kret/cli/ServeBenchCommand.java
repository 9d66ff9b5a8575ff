package dev.kret.cli;

import dev.kret.serve.ServeBench;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code kretctl bench serve}: endpoint throughput and latency against the forward pass alone. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
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

  @Mixin ModelSizeOptions size;

  @Option(names = "--max-length", defaultValue = "128", description = "Of the random model.")
  int maxLength;

  @Option(names = "--concurrency", defaultValue = "1,8,32", split = ",")
  List<Integer> concurrency;

  @Option(names = "--requests", defaultValue = "1000", description = "Per concurrency level.")
  int requests;

  @Option(
      names = "--warmup",
      defaultValue = "1000",
      description =
          "Untimed requests before each level (the JIT compiles the request path for ~30 s of"
              + " CPU here; figures taken earlier measure the compiler).")
  int warmup;

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

  @Option(
      names = "--slow-connections",
      defaultValue = "200",
      description = "Stalled connections open while probe latency is measured, after the levels.")
  int slowConnections;

  @Override
  public Integer call() throws Exception {
    // The run lives in ServeBench: picocli loads every command class at start-up, and model types
    // in this class would pull the model classes into cluster commands.
    return ServeBench.run(
        new ServeBench.Options(
            model,
            size.layers,
            size.hidden,
            size.heads,
            maxLength,
            concurrency,
            requests,
            warmup,
            forwardInstances,
            maxBatch,
            maxWaitMs,
            workers,
            slowConnections),
        command.commandLine().getOut());
  }
}
