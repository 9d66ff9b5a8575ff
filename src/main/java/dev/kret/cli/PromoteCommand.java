package dev.kret.cli;

import dev.kret.api.v1alpha1.FineTuneRun;
import dev.kret.api.v1alpha1.PromotionSpec;
import dev.kret.contract.ExitCodes;
import io.fabric8.kubernetes.client.KubernetesClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code kretctl promote NAME}: approves a run under promotion policy Manual by setting {@code
 * spec.promotion.approved: true}. That bumps the generation, so the operator reconciles at once and
 * serves the run's best epoch (if it reaches spec.promotion.minimum) even if the served model
 * scores better. Under policy Auto the operator decides alone, so this refuses.
 */
@Command(
    name = "promote",
    mixinStandardHelpOptions = true,
    description = "Approve serving a run's best epoch (promotion policy Manual).")
public class PromoteCommand extends ClusterCommand {

  @Parameters(paramLabel = "NAME", description = "The run.")
  String name;

  @Override
  protected int run(KubernetesClient client, String namespace) {
    FineTuneRun run = getRun(client, namespace, name);
    PromotionSpec p = run.getSpec() == null ? null : run.getSpec().promotion();
    if (p == null || p.serving() == null) {
      throw new CliException(
          ExitCodes.INVALID_CONFIG,
          "run "
              + name
              + " has no spec.promotion.serving: nothing to promote to (add spec.promotion with"
              + " policy Manual and a serving name, then kretctl apply)");
    }
    PromotionSpec d = p.withDefaults();
    if (!"Manual".equals(d.policy())) {
      throw new CliException(
          ExitCodes.FAILED,
          "run "
              + name
              + " uses promotion policy "
              + d.policy()
              + ": the operator promotes it when it beats the served model; kretctl promote"
              + " approves runs with policy Manual");
    }
    if (Boolean.TRUE.equals(p.approved())) {
      out().println("finetunerun.kret.dev/" + name + " already approved");
      return ExitCodes.OK;
    }
    runs(client)
        .inNamespace(namespace)
        .withName(name)
        .edit(
            r -> {
              var spec = r.getSpec();
              PromotionSpec q = spec.promotion();
              r.setSpec(
                  spec.withPromotion(
                      new PromotionSpec(
                          q.policy(), q.serving(), q.minimum(), true, q.resources())));
              return r;
            });
    String state = run.getStatus() == null ? null : run.getStatus().state();
    out()
        .println(
            "finetunerun.kret.dev/"
                + name
                + " approved for "
                + p.serving()
                + ("Succeeded".equals(state)
                    ? "; the operator promotes it now (kretctl status " + name + ")"
                    : "; the operator promotes it once training succeeds"));
    return ExitCodes.OK;
  }
}
