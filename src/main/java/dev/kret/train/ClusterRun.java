package dev.kret.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kret.api.v1alpha1.FineTuneRun;
import dev.kret.api.v1alpha1.SpecValidation;
import dev.kret.contract.ProgressWriter;
import dev.kret.hub.Hub;
import dev.kret.model.DeviceRequest;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The trainer inside the operator's Job ({@code kretctl train --run NAME}): reads the FineTuneRun
 * from the API server, trains into {@code <volume>/<namespace>/<run>/} (resuming from its
 * checkpoint when the pod was replaced), reports every epoch to the progress ConfigMap and ends
 * with the summary in the ConfigMap and the termination message; a run that fails leaves its error
 * in the termination message instead. See k8s/README.md for the contract.
 */
public final class ClusterRun {

  /** The run could not start because the resource or its spec is unusable (exit code 3). */
  public static final class InvalidRunResource extends RuntimeException {
    public InvalidRunResource(String message) {
      super(message);
    }
  }

  private final KubernetesClient client;
  private final String namespace;
  private final String run;
  private final Path volumeRoot;
  private final Path terminationLog;
  private final PrintStream log;

  public ClusterRun(
      KubernetesClient client,
      String namespace,
      String run,
      Path volumeRoot,
      Path terminationLog,
      PrintStream log) {
    this.client = client;
    this.namespace = namespace;
    this.run = run;
    this.volumeRoot = volumeRoot;
    this.terminationLog = terminationLog;
    this.log = log;
  }

  public Path outputDir() {
    return volumeRoot.resolve(namespace).resolve(run);
  }

  /**
   * Trains the run to the end.
   *
   * @param deviceFlag {@code --device}: {@code auto} (the operator's Job) uses a GPU exactly when
   *     {@code spec.resources.gpus} is above 0, and stops with {@link
   *     FineTuner.InvalidRunException} (exit code 3) when libtorch sees none; {@code cpu} or {@code
   *     gpu} override it
   */
  public RunSummary run(String deviceFlag, boolean interactive) throws IOException {
    try {
      return train(deviceFlag, interactive);
    } catch (FineTuner.StoppedException e) {
      throw e; // SIGTERM: the pod is replaced and resumes; nothing to explain
    } catch (RuntimeException | IOException e) {
      // The operator shows a failed pod's termination message with its exit code
      // (status.training.lastFailure, the Failed condition): the reason, not just "exit code 3".
      writeTerminationText(e.getMessage() == null ? e.toString() : e.getMessage());
      throw e;
    }
  }

  private RunSummary train(String deviceFlag, boolean interactive) throws IOException {
    FineTuneRun resource =
        client.resources(FineTuneRun.class).inNamespace(namespace).withName(run).get();
    if (resource == null) {
      throw new InvalidRunResource(
          "finetunerun " + namespace + "/" + run + " not found (is KRET_NAMESPACE right?)");
    }
    if (resource.getSpec() == null) {
      throw new InvalidRunResource("finetunerun " + namespace + "/" + run + " has no spec");
    }
    List<String> errors = SpecValidation.errors(resource.getSpec());
    if (!errors.isEmpty()) {
      throw new InvalidRunResource(namespace + "/" + run + ": " + String.join("; ", errors));
    }
    Path out = outputDir();
    Files.createDirectories(out);
    ConfigMapSink progress =
        new ConfigMapSink(new ProgressWriter(client, namespace, run), volumeRoot, log);
    FineTuner tuner =
        new FineTuner(
            resource.getSpec(),
            new FineTuner.Options(
                run,
                out,
                DeviceRequest.forClusterRun(
                    deviceFlag, resource.getSpec().withDefaults().resources().gpus()),
                Hub.fromEnvironment()),
            List.of(
                new ConsoleSink(log, interactive),
                new JsonlSink(out.resolve("metrics.jsonl")),
                progress));
    RunSummary summary = tuner.run();
    writeTerminationMessage(progress.toProgress(summary));
    return summary;
  }

  /** Kubernetes keeps 4096 bytes of a termination message; a long message is cut well before. */
  private void writeTerminationText(String message) {
    if (terminationLog == null) {
      return;
    }
    String text = message.length() > 3000 ? message.substring(0, 3000) + " …" : message;
    try {
      Files.writeString(terminationLog, text);
    } catch (IOException e) {
      log.println("warning: cannot write termination message " + terminationLog + ": " + e);
    }
  }

  private void writeTerminationMessage(Object summary) {
    if (terminationLog == null) {
      return;
    }
    try {
      Files.writeString(terminationLog, new ObjectMapper().writeValueAsString(summary));
    } catch (IOException e) {
      log.println("warning: cannot write termination message " + terminationLog + ": " + e);
    }
  }
}
