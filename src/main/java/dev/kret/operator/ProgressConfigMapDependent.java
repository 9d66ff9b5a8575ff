package dev.kret.operator;

import dev.kret.api.v1alpha1.FineTuneRun;
import dev.kret.api.v1alpha1.TrainingProgress;
import dev.kret.contract.Labels;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.GarbageCollected;
import io.javaoperatorsdk.operator.processing.dependent.Creator;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependentResource;

/**
 * The {@code <run>-progress} ConfigMap the trainer writes epochs into. Create-only: the trainer
 * owns its data, so the operator must never overwrite it.
 */
@KubernetesDependent(informer = @Informer(labelSelector = Labels.MANAGED_SELECTOR))
public class ProgressConfigMapDependent extends KubernetesDependentResource<ConfigMap, FineTuneRun>
    implements Creator<ConfigMap, FineTuneRun>, GarbageCollected<FineTuneRun> {

  public ProgressConfigMapDependent() {
    super(ConfigMap.class);
  }

  public static String name(FineTuneRun run) {
    return TrainingProgress.configMapName(run.getMetadata().getName());
  }

  @Override
  protected ConfigMap desired(FineTuneRun run, Context<FineTuneRun> context) {
    return desired(run);
  }

  static ConfigMap desired(FineTuneRun run) {
    return new ConfigMapBuilder()
        .withNewMetadata()
        .withName(name(run))
        .withNamespace(run.getMetadata().getNamespace())
        .withLabels(Labels.forRun(run, "progress"))
        .endMetadata()
        .build();
  }
}
