package dev.kret.cli;

import dev.kret.api.v1alpha1.FineTuneRun;
import dev.kret.contract.ExitCodes;
import dev.kret.data.DatasetException;
import dev.kret.hub.Hub;
import dev.kret.hub.HubException;
import dev.kret.model.DeviceRequest;
import dev.kret.model.Djl;
import dev.kret.train.ClusterRun;
import dev.kret.train.ConsoleSink;
import dev.kret.train.FineTuner;
import dev.kret.train.JsonlSink;
import dev.kret.train.ProgressSink;
import io.fabric8.kubernetes.client.KubernetesClient;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code kretctl train}: runs a FineTuneRun in this process. */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description = {
      "Fine-tune a relation-extraction model.",
      "Without arguments: the embedded default (bundled KLUE-RE sample, small model,",
      "CPU). Killed and started again with the same arguments, it resumes from the last",
      "finished epoch."
    })
public class TrainCommand implements Callable<Integer> {

  @Spec CommandSpec command;

  @Option(
      names = "--local",
      paramLabel = "FILE",
      description = "A FineTuneRun YAML to run in-process (no cluster).")
  Path local;

  @Option(
      names = "--run",
      paramLabel = "NAME",
      description =
          "Train the FineTuneRun NAME read from the cluster (the operator's Job does this):"
              + " progress to <NAME>-progress, output under <models-dir>/<namespace>/<NAME>.")
  String run;

  @Option(
      names = {"-n", "--namespace"},
      description = "Namespace of --run (default: $KRET_NAMESPACE, else default).")
  String namespace;

  @Option(
      names = "--models-dir",
      paramLabel = "DIR",
      description = "Model volume root for --run (default: $KRET_MODELS_DIR, else /models).")
  Path modelsDir;

  @Option(
      names = "--termination-log",
      paramLabel = "FILE",
      description =
          "Where --run writes its summary for the pod status (default /dev/termination-log).")
  Path terminationLog;

  @Inject Instance<KubernetesClient> kubernetes;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "DIR",
      description = "Run directory (epochs, checkpoint, metrics.jsonl). Default: runs/<name>.")
  Path output;

  @Option(
      names = "--device",
      defaultValue = "auto",
      description =
          "auto (a GPU when libtorch sees one, else the CPU), cpu, or gpu (a GPU or exit code 3)."
              + " With --run, auto means a GPU exactly when spec.resources.gpus > 0.")
  String device;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description =
          "Train on DIR/train.json and evaluate on DIR/dev.json (or the official file names"
              + " klue-re-v1.1_train.json, klue-re-v1.1_dev.json) instead of spec.dataset:"
              + " benchmarks on a local copy of KLUE-RE.")
  Path dataDir;

  @Mixin VerboseOption verbosity;

  @Override
  public Integer call() {
    PrintWriter err = command.commandLine().getErr();
    if (run != null && local != null) {
      err.println("error: --run and --local are exclusive: --run reads the spec from the cluster");
      return ExitCodes.USAGE;
    }
    if (run != null && dataDir != null) {
      err.println("error: --data-dir is for local runs: --run reads its data from the spec");
      return ExitCodes.USAGE;
    }
    DeviceRequest request;
    try {
      request = DeviceRequest.fromFlag(device);
    } catch (IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
      return ExitCodes.USAGE;
    }
    try {
      if (run != null) {
        return clusterRun();
      }
      // --data-dir replaces spec.dataset, so the file need not name it then.
      FineTuneRun resource =
          local == null
              ? RunFiles.readDefault()
              : dataDir != null ? RunFiles.read(local) : RunFiles.readLocal(local);
      if (dataDir != null) {
        resource.setSpec(RunFiles.withDataDir(resource.getSpec(), dataDir));
      }
      String name =
          resource.getMetadata() != null && resource.getMetadata().getName() != null
              ? resource.getMetadata().getName()
              : "run";
      Path out = output != null ? output : Path.of("runs", name);
      Djl.offline();
      List<ProgressSink> sinks = new ArrayList<>();
      sinks.add(new ConsoleSink(System.err, System.console() != null));
      sinks.add(new JsonlSink(out.resolve("metrics.jsonl")));
      FineTuner tuner =
          new FineTuner(
              resource.getSpec(),
              new FineTuner.Options(name, out, request, Hub.fromEnvironment()),
              sinks);
      tuner.run();
      return ExitCodes.OK;
    } catch (RunFiles.InvalidSpecException
        | DatasetException
        | FineTuner.InvalidRunException
        | ClusterRun.InvalidRunResource e) {
      err.println("error: " + e.getMessage());
      verbosity.trace(err, e);
      return ExitCodes.INVALID_CONFIG;
    } catch (FineTuner.StoppedException e) {
      // The JVM is shutting down (SIGTERM) and exits with the signal's status, not this one; the
      // console sink has printed why.
      return ExitCodes.FAILED;
    } catch (HubException e) {
      // A transient failure (connection, timeout, 429, 5xx) is worth another pod; a model that
      // is not there, a refused token or a file over the size limit is not.
      err.println("error: " + e.getMessage());
      verbosity.trace(err, e);
      return e.retryable() ? ExitCodes.FAILED : ExitCodes.INVALID_CONFIG;
    } catch (Exception e) {
      err.println("error: " + e);
      verbosity.trace(err, e);
      return ExitCodes.FAILED;
    }
  }

  private int clusterRun() throws java.io.IOException {
    String ns = namespace != null ? namespace : env("KRET_NAMESPACE", "default");
    Path root = modelsDir != null ? modelsDir : Path.of(env("KRET_MODELS_DIR", "/models"));
    Path term = terminationLog;
    if (term == null && Files.isWritable(Path.of("/dev/termination-log"))) {
      term = Path.of("/dev/termination-log");
    }
    Djl.offline();
    new ClusterRun(kubernetes.get(), ns, run, root, term, System.err)
        .run(device, System.console() != null);
    return ExitCodes.OK;
  }

  private static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? fallback : v;
  }
}
