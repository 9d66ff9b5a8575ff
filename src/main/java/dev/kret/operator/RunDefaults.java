package dev.kret.operator;

import dev.kret.api.v1alpha1.FineTuneRun;
import dev.kret.api.v1alpha1.FineTuneRunSpec;
import dev.kret.api.v1alpha1.ResourcesSpec;
import dev.kret.api.v1alpha1.StorageSpec;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.List;
import java.util.Map;

/**
 * What the operator fills in where a FineTuneRun's spec is silent: GPU placement, Kueue queue and
 * model claim (the chart's {@code gpu.*}, {@code kueue.queueName}, {@code modelVolume}).
 *
 * <p>Each field is taken whole from the run when the run sets it, even to an empty value ({@code
 * nodeSelector: {}}, {@code tolerations: []}, {@code queueName: ""} opt out of the default); the
 * operator's value is used only when the field is absent. Lists and maps are not merged: a run that
 * says where it goes is taken at its word. The GPU placement applies only to runs that request
 * GPUs, so CPU runs are not pinned to GPU nodes.
 */
public record RunDefaults(
    Map<String, String> gpuNodeSelector,
    List<Toleration> gpuTolerations,
    String queueName,
    String claimName) {

  public RunDefaults {
    gpuNodeSelector = Map.copyOf(gpuNodeSelector);
    gpuTolerations = List.copyOf(gpuTolerations);
    queueName = queueName == null || queueName.isBlank() ? null : queueName;
  }

  /** No operator defaults: a run gets exactly what its spec (and the CRD's defaults) say. */
  public static final RunDefaults NONE =
      new RunDefaults(Map.of(), List.of(), null, StorageSpec.DEFAULT_CLAIM);

  public static RunDefaults of(OperatorConfig config) {
    return new RunDefaults(
        config.gpuNodeSelector().labels(),
        config.gpuTolerations().tolerations(),
        config.queueName().orElse(null),
        config.modelClaim());
  }

  /** The run's spec with CRD defaults and then these defaults filled in. */
  public FineTuneRunSpec applyTo(FineTuneRun run) {
    FineTuneRunSpec raw = run.getSpec();
    FineTuneRunSpec spec = StatusDerivation.specOf(run);
    ResourcesSpec asked = raw == null ? null : raw.resources();
    ResourcesSpec res = spec.resources();
    boolean gpu = res.gpus() > 0;
    ResourcesSpec resources =
        new ResourcesSpec(
            res.gpus(),
            res.cpu(),
            res.memory(),
            asked != null && asked.nodeSelector() != null
                ? res.nodeSelector()
                : gpu ? gpuNodeSelector : Map.of(),
            asked != null && asked.tolerations() != null
                ? res.tolerations()
                : gpu ? gpuTolerations : List.of(),
            res.priorityClassName(),
            asked != null && asked.queueName() != null ? res.queueName() : queueName);
    StorageSpec storage =
        raw != null && raw.storage() != null && raw.storage().claimName() != null
            ? spec.storage()
            : new StorageSpec(claimName);
    return new FineTuneRunSpec(
        spec.model(),
        spec.dataset(),
        spec.input(),
        spec.training(),
        spec.objective(),
        resources,
        storage,
        spec.secrets(),
        spec.promotion());
  }
}
