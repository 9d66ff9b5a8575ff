package dev.kret.operator;

import dev.kret.api.v1alpha1.FineTuneRun;
import dev.kret.contract.Labels;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/** Least privilege for the trainer: its own progress ConfigMap and its own run, by name. */
@KubernetesDependent(informer = @Informer(labelSelector = Labels.MANAGED_SELECTOR))
public class TrainerRoleDependent extends CRUDKubernetesDependentResource<Role, FineTuneRun> {

  public TrainerRoleDependent() {
    super(Role.class);
  }

  public static String name(FineTuneRun run) {
    return run.getMetadata().getName() + "-trainer";
  }

  @Override
  protected Role desired(FineTuneRun run, Context<FineTuneRun> context) {
    return desired(run);
  }

  static Role desired(FineTuneRun run) {
    return new RoleBuilder()
        .withNewMetadata()
        .withName(name(run))
        .withNamespace(run.getMetadata().getNamespace())
        .withLabels(Labels.forRun(run, "trainer"))
        .endMetadata()
        .withRules(
            new PolicyRuleBuilder()
                .withApiGroups("")
                .withResources("configmaps")
                .withResourceNames(ProgressConfigMapDependent.name(run))
                .withVerbs("get", "patch")
                .build(),
            new PolicyRuleBuilder()
                .withApiGroups(FineTuneRun.GROUP)
                .withResources("finetuneruns")
                .withResourceNames(run.getMetadata().getName())
                .withVerbs("get")
                .build())
        .build();
  }
}
