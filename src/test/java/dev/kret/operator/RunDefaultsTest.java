package dev.kret.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kret.api.v1alpha1.FineTuneRun;
import dev.kret.api.v1alpha1.FineTuneRunSpec;
import dev.kret.api.v1alpha1.ResourcesSpec;
import dev.kret.api.v1alpha1.StorageSpec;
import dev.kret.contract.Labels;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RunDefaultsTest {
  static final Toleration GPU_TAINT =
      new Toleration("NoSchedule", "nvidia.com/gpu", "Exists", null, null);
  static final Toleration SPOT_TAINT = new Toleration("NoSchedule", "spot", "Exists", null, null);
  static final RunDefaults DEFAULTS =
      new RunDefaults(
          Map.of("nvidia.com/gpu.present", "true"), List.of(GPU_TAINT), "gpu", "team-models");

  static FineTuneRun run(ResourcesSpec resources, StorageSpec storage) {
    FineTuneRun run = Fixtures.run(1);
    run.setSpec(new FineTuneRunSpec(null, null, null, null, null, resources, storage, null, null));
    return run;
  }

  static ResourcesSpec resources(
      Integer gpus, Map<String, String> nodeSelector, List<Toleration> tolerations, String queue) {
    return new ResourcesSpec(gpus, null, null, nodeSelector, tolerations, null, queue);
  }

  @Test
  void runThatSaysNothingGetsEveryOperatorDefault() {
    FineTuneRunSpec spec = DEFAULTS.applyTo(run(null, null));
    assertThat(spec.resources().nodeSelector())
        .containsExactly(Map.entry("nvidia.com/gpu.present", "true"));
    assertThat(spec.resources().tolerations()).containsExactly(GPU_TAINT);
    assertThat(spec.resources().queueName()).isEqualTo("gpu");
    assertThat(spec.storage().claimName()).isEqualTo("team-models");
    assertThat(spec.resources().gpus()).isEqualTo(ResourcesSpec.DEFAULT_GPUS);
  }

  @Test
  void runsOwnPlacementQueueAndClaimWin() {
    FineTuneRunSpec spec =
        DEFAULTS.applyTo(
            run(
                resources(1, Map.of("gpu", "a100"), List.of(SPOT_TAINT), "team-a"),
                new StorageSpec("my-models")));
    assertThat(spec.resources().nodeSelector()).containsExactly(Map.entry("gpu", "a100"));
    assertThat(spec.resources().tolerations()).containsExactly(SPOT_TAINT);
    assertThat(spec.resources().queueName()).isEqualTo("team-a");
    assertThat(spec.storage().claimName()).isEqualTo("my-models");
  }

  @Test
  void eachFieldDefaultsOnItsOwn() {
    FineTuneRunSpec spec =
        DEFAULTS.applyTo(run(resources(1, Map.of("gpu", "a100"), null, null), null));
    assertThat(spec.resources().nodeSelector()).containsExactly(Map.entry("gpu", "a100"));
    assertThat(spec.resources().tolerations()).containsExactly(GPU_TAINT);
    assertThat(spec.resources().queueName()).isEqualTo("gpu");
  }

  @Test
  void explicitlyEmptyValuesOptOutOfTheDefaults() {
    FineTuneRunSpec spec = DEFAULTS.applyTo(run(resources(1, Map.of(), List.of(), ""), null));
    assertThat(spec.resources().nodeSelector()).isEmpty();
    assertThat(spec.resources().tolerations()).isEmpty();
    assertThat(spec.resources().queueName()).isEmpty();
  }

  @Test
  void cpuRunGetsNoGpuPlacementButTheQueueAndClaim() {
    FineTuneRunSpec spec = DEFAULTS.applyTo(run(resources(0, null, null, null), null));
    assertThat(spec.resources().nodeSelector()).isEmpty();
    assertThat(spec.resources().tolerations()).isEmpty();
    assertThat(spec.resources().queueName()).isEqualTo("gpu");
    assertThat(spec.storage().claimName()).isEqualTo("team-models");
  }

  @Test
  void noDefaultsLeavesTheSpecAsTheCrdDefaultsIt() {
    FineTuneRunSpec spec = RunDefaults.NONE.applyTo(run(null, null));
    assertThat(spec).isEqualTo(StatusDerivation.specOf(run(null, null)));
  }

  @Test
  void blankOperatorQueueMeansNoQueue() {
    assertThat(new RunDefaults(Map.of(), List.of(), " ", "kret-models").queueName()).isNull();
  }

  /** TestConfig with the operator defaults of {@link #DEFAULTS}. */
  static OperatorConfig configWithDefaults() {
    return new TestConfig() {
      @Override
      public ConfigValues.NodeSelector gpuNodeSelector() {
        return new ConfigValues.NodeSelector(DEFAULTS.gpuNodeSelector());
      }

      @Override
      public ConfigValues.Tolerations gpuTolerations() {
        return new ConfigValues.Tolerations(DEFAULTS.gpuTolerations());
      }

      @Override
      public Optional<String> queueName() {
        return Optional.of("gpu");
      }

      @Override
      public String modelClaim() {
        return "team-models";
      }
    };
  }

  @Test
  void trainingJobCarriesTheOperatorDefaults() {
    OperatorConfig config = configWithDefaults();
    Job job = TrainingJobDependent.desired(run(null, null), config);
    PodSpec pod = job.getSpec().getTemplate().getSpec();
    assertThat(pod.getNodeSelector()).containsEntry("nvidia.com/gpu.present", "true");
    assertThat(pod.getTolerations()).containsExactly(GPU_TAINT);
    assertThat(pod.getVolumes())
        .anySatisfy(
            v -> assertThat(v.getPersistentVolumeClaim().getClaimName()).isEqualTo("team-models"));
    assertThat(job.getMetadata().getLabels()).containsEntry(Labels.KUEUE_QUEUE, "gpu");
    assertThat(job.getSpec().getSuspend()).isTrue();
  }

  @Test
  void predictorMountsTheClaimTheTrainerWroteTo() {
    var deployment =
        PredictorDeployment.desired(
            run(null, null),
            "klue-re",
            "ml/klue/epoch-1",
            "micro_f1",
            60.0,
            null,
            null,
            configWithDefaults());
    assertThat(deployment.getSpec().getTemplate().getSpec().getVolumes())
        .anySatisfy(
            v -> assertThat(v.getPersistentVolumeClaim().getClaimName()).isEqualTo("team-models"));
  }
}
