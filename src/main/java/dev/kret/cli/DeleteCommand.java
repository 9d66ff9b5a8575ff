package dev.kret.cli;

import dev.kret.contract.ExitCodes;
import io.fabric8.kubernetes.client.KubernetesClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code kretctl delete NAME}: deletes the run and what it owns (Job, pods, progress ConfigMap,
 * trainer RBAC). The serving endpoint is not owned by any run and stays up; the model directories
 * on the volume stay too.
 */
@Command(
    name = "delete",
    mixinStandardHelpOptions = true,
    description = "Delete a FineTuneRun (its endpoint and model files stay).")
public class DeleteCommand extends ClusterCommand {

  @Parameters(paramLabel = "NAME", description = "The run.")
  String name;

  @Override
  protected int run(KubernetesClient client, String namespace) {
    getRun(client, namespace, name);
    runs(client).inNamespace(namespace).withName(name).delete();
    out().println("finetunerun.kret.dev \"" + name + "\" deleted");
    return ExitCodes.OK;
  }
}
