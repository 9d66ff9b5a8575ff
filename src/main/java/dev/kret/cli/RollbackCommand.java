package dev.kret.cli;

import dev.kret.contract.Annotations;
import dev.kret.contract.ExitCodes;
import dev.kret.operator.PredictorDeployment;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code kretctl rollback SERVING}: the predictor Deployment serves its previous model again. No
 * operator involved: the Deployment's annotations are the champion's record, and they are swapped
 * (a second rollback undoes the first). The rolled-back model has no metric on record, so the next
 * challenger that reaches its minimum wins.
 */
@Command(
    name = "rollback",
    mixinStandardHelpOptions = true,
    description = "Serve the previous model again behind a serving endpoint.")
public class RollbackCommand extends ClusterCommand {

  @Parameters(
      paramLabel = "SERVING",
      description = "The predictor Deployment (spec.promotion.serving).")
  String serving;

  @Override
  protected int run(KubernetesClient client, String namespace) {
    Deployment current = client.apps().deployments().inNamespace(namespace).withName(serving).get();
    if (current == null) {
      throw new CliException(
          ExitCodes.NOT_FOUND,
          "serving \""
              + serving
              + "\" not found: no Deployment of that name in namespace "
              + namespace);
    }
    var a = current.getMetadata().getAnnotations();
    if (a == null || a.get(Annotations.MODEL_PATH) == null) {
      throw new CliException(
          ExitCodes.FAILED,
          "deployment " + serving + " is not a kret predictor (no " + Annotations.MODEL_PATH + ")");
    }
    Deployment rolled =
        PredictorDeployment.rolledBack(current)
            .orElseThrow(
                () ->
                    new CliException(
                        ExitCodes.FAILED,
                        "serving "
                            + serving
                            + " has no previous model on record; nothing to roll back to"));
    // update() carries the resourceVersion read above: a promotion in between is a 409, not lost.
    client.apps().deployments().inNamespace(namespace).resource(rolled).update();
    out()
        .println(
            "deployment.apps/"
                + serving
                + " rolled back: serving "
                + rolled.getMetadata().getAnnotations().get(Annotations.MODEL_PATH)
                + " (was "
                + a.get(Annotations.MODEL_PATH)
                + ")");
    return ExitCodes.OK;
  }
}
