package dev.kret.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kret.api.v1alpha1.FineTuneRun;
import dev.kret.api.v1alpha1.FineTuneRunSpec;
import dev.kret.api.v1alpha1.ResourcesSpec;
import dev.kret.api.v1alpha1.SecretKeyRef;
import dev.kret.api.v1alpha1.SecretsSpec;
import dev.kret.api.v1alpha1.StorageSpec;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TrainingJobDependentTest {

  static FineTuneRun run(ResourcesSpec resources, SecretsSpec secrets) {
    FineTuneRun run = Fixtures.run(3);
    run.setSpec(
        new FineTuneRunSpec(
            null, null, null, null, null, resources, new StorageSpec("models-pvc"), secrets, null));
    return run;
  }

  static Job job(FineTuneRun run) {
    return TrainingJobDependent.desired(run, new TestConfig());
  }

  static Container trainer(Job job) {
    return job.getSpec().getTemplate().getSpec().getContainers().get(0);
  }

  @Test
  void runsKretctlTrainForTheRun() {
    Container c = trainer(job(run(null, null)));
    assertThat(c.getName()).isEqualTo("trainer");
    assertThat(c.getImage()).isEqualTo("ghcr.io/kret-dev/kret:0.1.0");
    assertThat(c.getArgs()).containsExactly("train", "--run", "klue");
  }

  @Test
  void turnsDjlTelemetryOffAndNamesTheNamespace() {
    List<EnvVar> env = trainer(job(run(null, null))).getEnv();
    assertThat(env)
        .extracting(EnvVar::getName)
        .contains("KRET_NAMESPACE", "KRET_RUN", "OPT_OUT_TRACKING", "DJL_OFFLINE")
        .doesNotContain("HF_TOKEN");
    assertThat(env)
        .filteredOn(e -> e.getName().equals("DJL_OFFLINE"))
        .first()
        .extracting(EnvVar::getValue)
        .isEqualTo("true");
    assertThat(env)
        .filteredOn(e -> e.getName().equals("KRET_NAMESPACE"))
        .first()
        .satisfies(
            e ->
                assertThat(e.getValueFrom().getFieldRef().getFieldPath())
                    .isEqualTo("metadata.namespace"));
  }

  @Test
  void passesTheHubTokenByReferenceOnly() {
    Container c = trainer(job(run(null, new SecretsSpec(new SecretKeyRef("hf-token", "token")))));
    EnvVar token =
        c.getEnv().stream().filter(e -> e.getName().equals("HF_TOKEN")).findFirst().orElseThrow();
    assertThat(token.getValue()).isNull();
    assertThat(token.getValueFrom().getSecretKeyRef().getName()).isEqualTo("hf-token");
    assertThat(token.getValueFrom().getSecretKeyRef().getKey()).isEqualTo("token");
  }

  @Test
  void requestsGpusCpuAndMemory() {
    Container c =
        trainer(job(run(new ResourcesSpec(2, "4", "16Gi", null, null, null, null), null)));
    assertThat(c.getResources().getLimits())
        .containsEntry("nvidia.com/gpu", new Quantity("2"))
        .containsEntry("cpu", new Quantity("4"))
        .containsEntry("memory", new Quantity("16Gi"));
  }

  @Test
  void cpuOnlyRunRequestsNoGpu() {
    Container c = trainer(job(run(new ResourcesSpec(0, null, null, null, null, null, null), null)));
    assertThat(c.getResources().getLimits()).doesNotContainKey("nvidia.com/gpu");
  }

  @Test
  void placesThePodAsTheSpecAsks() {
    Toleration gpuTaint = new Toleration("NoSchedule", "nvidia.com/gpu", "Exists", null, null);
    PodSpec pod =
        job(run(
                new ResourcesSpec(
                    1, null, null, Map.of("gpu", "a100"), List.of(gpuTaint), "training-high", null),
                null))
            .getSpec()
            .getTemplate()
            .getSpec();
    assertThat(pod.getNodeSelector()).containsEntry("gpu", "a100");
    assertThat(pod.getTolerations()).containsExactly(gpuTaint);
    assertThat(pod.getPriorityClassName()).isEqualTo("training-high");
  }

  @Test
  void mountsTheModelVolumeAndRunsAsNonRoot() {
    PodSpec pod = job(run(null, null)).getSpec().getTemplate().getSpec();
    assertThat(pod.getVolumes())
        .anySatisfy(
            v -> assertThat(v.getPersistentVolumeClaim().getClaimName()).isEqualTo("models-pvc"));
    assertThat(pod.getContainers().get(0).getVolumeMounts())
        .anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/models"));
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getContainers().get(0).getSecurityContext().getAllowPrivilegeEscalation())
        .isFalse();
    assertThat(pod.getRestartPolicy()).isEqualTo("Never");
    assertThat(pod.getTerminationGracePeriodSeconds()).isEqualTo(120L);
    assertThat(pod.getServiceAccountName()).isEqualTo("klue-trainer");
  }

  @Test
  void retriesDisruptionsAndFailsAtOnceOnInvalidConfiguration() {
    Job job = job(run(null, null));
    var rules = job.getSpec().getPodFailurePolicy().getRules();
    assertThat(rules.get(0).getAction()).isEqualTo("Ignore");
    assertThat(rules.get(0).getOnPodConditions().get(0).getType()).isEqualTo("DisruptionTarget");
    assertThat(rules.get(1).getAction()).isEqualTo("FailJob");
    assertThat(rules.get(1).getOnExitCodes().getValues()).containsExactly(3);
    assertThat(job.getSpec().getBackoffLimit()).isEqualTo(3);
    assertThat(job.getSpec().getActiveDeadlineSeconds()).isEqualTo(72 * 3600L);
    assertThat(job.getSpec().getTtlSecondsAfterFinished()).isEqualTo(168 * 3600);
    assertThat(job.getSpec().getSuspend()).isNull();
  }

  @Test
  void queuedRunIsSuspendedAndLabelledForKueue() {
    Job job = job(run(new ResourcesSpec(null, null, null, null, null, null, "team-a"), null));
    assertThat(job.getSpec().getSuspend()).isTrue();
    assertThat(job.getMetadata().getLabels()).containsEntry("kueue.x-k8s.io/queue-name", "team-a");
  }

  @Test
  void labelsPodsSoTheOperatorCanFindThem() {
    Job job = job(run(null, null));
    assertThat(job.getMetadata().getName()).isEqualTo("klue-train");
    assertThat(job.getSpec().getTemplate().getMetadata().getLabels())
        .containsEntry("kret.dev/run", "klue")
        .containsEntry("app.kubernetes.io/managed-by", "kret-operator");
  }

  @Test
  void trainerRoleGrantsOnlyItsConfigMapAndRun() {
    var role = TrainerRoleDependent.desired(Fixtures.run(1));
    assertThat(role.getRules()).hasSize(2);
    assertThat(role.getRules().get(0).getResourceNames()).containsExactly("klue-progress");
    assertThat(role.getRules().get(0).getVerbs()).containsExactly("get", "patch");
    assertThat(role.getRules().get(1).getResourceNames()).containsExactly("klue");
    assertThat(role.getRules().get(1).getVerbs()).containsExactly("get");
  }
}
