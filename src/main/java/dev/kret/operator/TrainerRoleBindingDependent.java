package dev.kret.operator;

import dev.kret.api.v1alpha1.FineTuneRun;
import dev.kret.contract.Labels;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/** Grants the trainer's Role to the trainer's ServiceAccount. */
@KubernetesDependent(informer = @Informer(labelSelector = Labels.MANAGED_SELECTOR))
public class TrainerRoleBindingDependent
    extends CRUDKubernetesDependentResource<RoleBinding, FineTuneRun> {

  public TrainerRoleBindingDependent() {
    super(RoleBinding.class);
  }

  public static String name(FineTuneRun run) {
    return run.getMetadata().getName() + "-trainer";
  }

  @Override
  protected RoleBinding desired(FineTuneRun run, Context<FineTuneRun> context) {
    return desired(run);
  }

  static RoleBinding desired(FineTuneRun run) {
    return new RoleBindingBuilder()
        .withNewMetadata()
        .withName(name(run))
        .withNamespace(run.getMetadata().getNamespace())
        .withLabels(Labels.forRun(run, "trainer"))
        .endMetadata()
        .withNewRoleRef()
        .withApiGroup("rbac.authorization.k8s.io")
        .withKind("Role")
        .withName(TrainerRoleDependent.name(run))
        .endRoleRef()
        .addNewSubject()
        .withKind("ServiceAccount")
        .withName(TrainerServiceAccountDependent.name(run))
        .withNamespace(run.getMetadata().getNamespace())
        .endSubject()
        .build();
  }
}
