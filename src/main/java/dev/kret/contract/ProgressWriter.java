package dev.kret.contract;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kret.api.v1alpha1.TrainingProgress;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;

/**
 * The trainer's half of the progress contract, for {@code kretctl train --run}: each call merges
 * one key into {@code <run>-progress} with a JSON merge patch, the only verb besides get the
 * trainer's Role allows. Idempotent: re-sending an epoch after a resume overwrites its own key.
 */
public final class ProgressWriter {
  private final KubernetesClient client;
  private final String namespace;
  private final String configMap;

  public ProgressWriter(KubernetesClient client, String namespace, String run) {
    this.client = client;
    this.namespace = namespace;
    this.configMap = TrainingProgress.configMapName(run);
  }

  public void epoch(TrainingProgress.Epoch epoch) {
    put(TrainingProgress.epochKey(epoch.epoch()), ProgressKeys.write(epoch));
  }

  public void mlmEpoch(TrainingProgress.MlmEpoch epoch) {
    put(TrainingProgress.mlmEpochKey(epoch.epoch()), ProgressKeys.write(epoch));
  }

  public void device(TrainingProgress.Device device) {
    put(TrainingProgress.DEVICE_KEY, ProgressKeys.write(device));
  }

  public void summary(TrainingProgress.Summary summary) {
    put(TrainingProgress.SUMMARY_KEY, ProgressKeys.write(summary));
  }

  private void put(String key, String json) {
    ObjectNode patch = JsonNodeFactory.instance.objectNode();
    patch.putObject("data").put(key, json);
    client
        .resources(ConfigMap.class)
        .inNamespace(namespace)
        .withName(configMap)
        .patch(PatchContext.of(PatchType.JSON_MERGE), patch.toString());
  }
}
