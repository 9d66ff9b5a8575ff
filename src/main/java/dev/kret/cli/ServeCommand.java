package dev.kret.cli;

import dev.kret.contract.ExitCodes;
import dev.kret.model.Djl;
import dev.kret.model.RelationClassifier;
import dev.kret.serve.PredictionServer;
import dev.kret.serve.ServeConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code kretctl serve}: the prediction endpoint of one model directory, until SIGTERM. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description =
        "Serve a model directory over KServe V1 (/v1/models/NAME:predict) and the Open Inference"
            + " Protocol (/v2/models/NAME/infer), with health, readiness and /metrics.")
public class ServeCommand implements Callable<Integer> {

  @Spec CommandSpec command;

  @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory.")
  Path model;

  @Option(
      names = "--name",
      defaultValue = ServeConfig.DEFAULT_NAME,
      description = "Model name in URLs (default: ${DEFAULT-VALUE}).")
  String name;

  @Option(names = "--host", defaultValue = "0.0.0.0", description = "Address to bind.")
  String host;

  @Option(names = "--port", defaultValue = "8080", description = "Port (0 picks a free one).")
  int port;

  @Option(
      names = "--max-batch",
      defaultValue = "32",
      description = "Instances per forward pass at most.")
  int maxBatch;

  @Option(
      names = "--max-batch-tokens",
      defaultValue = "" + RelationClassifier.DEFAULT_MAX_BATCH_TOKENS,
      description =
          "Padded tokens (instances × longest) per forward pass at most; a larger batch runs in"
              + " several passes. Bounds the memory a pass holds (default: ${DEFAULT-VALUE}).")
  int maxBatchTokens;

  @Option(
      names = "--max-wait-ms",
      defaultValue = "5",
      description = "How long a batch waits for more instances.")
  long maxWaitMs;

  @Option(
      names = "--workers",
      defaultValue = "1",
      description =
          "Threads running forward passes (1 is fastest on a CPU: libtorch already uses every core).")
  int workers;

  @Option(
      names = "--http-threads",
      defaultValue = "4",
      description =
          "Threads reading, validating and encoding request bodies (none waits for the model).")
  int httpThreads;

  @Option(
      names = "--max-body-bytes",
      defaultValue = "1048576",
      description = "Larger request bodies get 413.")
  long maxBodyBytes;

  @Option(names = "--lenient", description = "Accept an entity word that differs from its span.")
  boolean lenient;

  @Option(
      names = "--drain-seconds",
      defaultValue = "20",
      description = "How long shutdown waits for in-flight requests.")
  long drainSeconds;

  @Option(
      names = "--shutdown-delay-seconds",
      defaultValue = "5",
      description =
          "After SIGTERM: not ready, but still serving for this long while the endpoints are"
              + " withdrawn; then the drain.")
  long shutdownDelaySeconds;

  @Option(
      names = "--max-instances",
      defaultValue = "256",
      description = "Instances in one request at most (more: 413).")
  int maxInstances;

  @Option(
      names = "--max-queue",
      defaultValue = "1024",
      description = "Instances waiting for a forward pass at most (past it: 503 with Retry-After).")
  int maxQueue;

  @Option(
      names = "--queue-timeout-seconds",
      defaultValue = "30",
      description = "A request not computed within this gets 503 with Retry-After.")
  long queueTimeoutSeconds;

  @Option(
      names = "--header-timeout-seconds",
      defaultValue = "10",
      description = "A new connection must send its request line and headers within this.")
  long headerTimeoutSeconds;

  @Option(
      names = "--body-timeout-seconds",
      defaultValue = "30",
      description = "A request must send its body within this once its headers are in (else 408).")
  long bodyTimeoutSeconds;

  @Option(
      names = "--idle-timeout-seconds",
      defaultValue = "60",
      description = "A keep-alive connection idle for this long is closed.")
  long idleTimeoutSeconds;

  @Option(
      names = "--max-buffered-bytes",
      defaultValue = "67108864",
      description =
          "Request body bytes held at once over all connections (past it: 503 with Retry-After).")
  long maxBufferedBytes;

  @Option(names = "--cpu", description = "Run on the CPU even when a GPU is present.")
  boolean cpu;

  @Override
  public Integer call() throws Exception {
    PrintWriter err = command.commandLine().getErr();
    ServeConfig config;
    try {
      config =
          new ServeConfig(
              name,
              host,
              port,
              maxBatch,
              maxBatchTokens,
              Duration.ofMillis(maxWaitMs),
              workers,
              httpThreads,
              maxBodyBytes,
              lenient,
              Duration.ofSeconds(drainSeconds),
              new ServeConfig.Limits(
                  maxInstances,
                  maxQueue,
                  Duration.ofSeconds(queueTimeoutSeconds),
                  Duration.ofSeconds(headerTimeoutSeconds),
                  Duration.ofSeconds(bodyTimeoutSeconds),
                  Duration.ofSeconds(idleTimeoutSeconds),
                  Duration.ofSeconds(shutdownDelaySeconds),
                  maxBufferedBytes));
    } catch (IllegalArgumentException | ArithmeticException e) {
      err.println("error: " + e.getMessage());
      err.flush();
      return ExitCodes.USAGE;
    }
    Djl.offline();
    PredictionServer server =
        PredictionServer.start(config, PredictionServer.Loader.directory(model, !cpu));
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook =
        new Thread(
            () -> {
              server.shutdown();
              stopped.countDown();
            },
            "kret-serve-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    err.printf(
        "serving %s as \"%s\" on %s (loading in the background)%n", model, name, server.baseUrl());
    err.flush();
    try {
      server.loaded().get();
    } catch (ExecutionException e) {
      err.println("error: cannot load " + model + ": " + e.getCause().getMessage());
      err.flush();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException alreadyStopping) {
        // SIGTERM came during the load: the hook is running and closes the server itself.
      }
      server.close();
      return ExitCodes.INVALID_CONFIG;
    }
    err.printf("ready: %s/v2/models/%s/ready%n", server.baseUrl(), name);
    err.flush();
    stopped.await();
    return ExitCodes.OK;
  }
}
