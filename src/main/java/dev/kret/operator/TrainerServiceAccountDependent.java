package dev.kret.operator;

import dev.kret.api.v1alpha1.FineTuneRun;
import dev.kret.contract.Labels;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.GarbageCollected;
import io.javaoperatorsdk.operator.processing.dependent.Creator;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependentResource;

/** The training pod's identity; create-only because token controllers edit ServiceAccounts. */
@KubernetesDependent(informer = @Informer(labelSelector = Labels.MANAGED_SELECTOR))
public class TrainerServiceAccountDependent
    extends KubernetesDependentResource<ServiceAccount, FineTuneRun>
    implements Creator<ServiceAccount, FineTuneRun>, GarbageCollected<FineTuneRun> {

  public TrainerServiceAccountDependent() {
    super(ServiceAccount.class);
  }

  public static String name(FineTuneRun run) {
    return run.getMetadata().getName() + "-trainer";
  }

  @Override
  protected ServiceAccount desired(FineTuneRun run, Context<FineTuneRun> context) {
    return desired(run);
  }

  static ServiceAccount desired(FineTuneRun run) {
    return new ServiceAccountBuilder()
        .withNewMetadata()
        .withName(name(run))
        .withNamespace(run.getMetadata().getNamespace())
        .withLabels(Labels.forRun(run, "trainer"))
        .endMetadata()
        .withAutomountServiceAccountToken(true)
        .build();
  }
}
