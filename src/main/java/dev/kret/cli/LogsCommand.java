package dev.kret.cli;

import dev.kret.api.v1alpha1.FineTuneRun;
import dev.kret.contract.ExitCodes;
import dev.kret.contract.Labels;
import dev.kret.operator.TrainingJobDependent;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.LogWatch;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code kretctl logs NAME [-f]}: the trainer's log from the run's newest training pod (pods are
 * labelled {@code kret.dev/run=NAME}; the Job is status.training.jobName).
 */
@Command(
    name = "logs",
    mixinStandardHelpOptions = true,
    description = "Print the trainer's log of a run (its newest training pod).")
public class LogsCommand extends ClusterCommand {

  @Parameters(paramLabel = "NAME", description = "The run.")
  String name;

  @Option(
      names = {"-f", "--follow"},
      description = "Stream the log until the pod stops.")
  boolean follow;

  @Option(names = "--tail", paramLabel = "N", description = "Only the last N lines.")
  Integer tail;

  @Override
  protected int run(KubernetesClient client, String namespace) throws Exception {
    FineTuneRun run = getRun(client, namespace, name);
    List<Pod> pods =
        client.pods().inNamespace(namespace).withLabel(Labels.RUN, name).list().getItems();
    Pod pod =
        pods.stream()
            .max(Comparator.comparing(p -> String.valueOf(p.getMetadata().getCreationTimestamp())))
            .orElse(null);
    if (pod == null) {
      String state = run.getStatus() == null ? null : run.getStatus().state();
      throw new CliException(
          ExitCodes.NOT_FOUND,
          "run "
              + name
              + " has no training pod"
              + (state == null ? " yet" : " (state " + state + ")")
              + "; finished pods are removed after the Job's TTL (kretctl status "
              + name
              + ")");
    }
    if (pods.size() > 1) {
      err()
          .println(
              "("
                  + pods.size()
                  + " pods; showing the newest, "
                  + pod.getMetadata().getName()
                  + ")");
      err().flush();
    }
    var container =
        client
            .pods()
            .inNamespace(namespace)
            .withName(pod.getMetadata().getName())
            .inContainer(TrainingJobDependent.CONTAINER);
    var lines = tail == null ? container : container.tailingLines(tail);
    if (!follow) {
      out().print(lines.getLog());
      out().flush();
      return ExitCodes.OK;
    }
    try (LogWatch watch = lines.watchLog();
        BufferedReader in =
            new BufferedReader(new InputStreamReader(watch.getOutput(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        out().println(line);
        out().flush();
      }
    }
    return ExitCodes.OK;
  }
}
