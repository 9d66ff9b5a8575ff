package dev.kret.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kret.api.v1alpha1.FineTuneRun;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The chart's operator-wide defaults reach the training Job of a run that does not override them.
 */
@Tag("mock-server")
@QuarkusTest
@TestProfile(OperatorDefaultsTest.ChartDefaults.class)
@WithKubernetesTestServer(crud = true, setup = MockDiscovery.class)
class OperatorDefaultsTest {
  static final Toleration GPU_TAINT =
      new Toleration("NoSchedule", "nvidia.com/gpu", "Exists", null, null);
  static volatile boolean started;

  /** The values as charts/kret renders them into the operator's environment (JSON, names). */
  public static class ChartDefaults implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of(
          "kret.operator.gpu-node-selector", "{\"nvidia.com/gpu.present\":\"true\"}",
          "kret.operator.gpu-tolerations",
              "[{\"effect\":\"NoSchedule\",\"key\":\"nvidia.com/gpu\",\"operator\":\"Exists\"}]",
          "kret.operator.queue-name", "gpu",
          "kret.operator.model-claim", "team-models");
    }
  }

  @Inject KubernetesClient client;
  @Inject Operator operator;

  @BeforeEach
  void startOperatorOnce() {
    synchronized (OperatorDefaultsTest.class) {
      if (!started) {
        Eventually.createCrd(client);
        operator.start();
        started = true;
      }
    }
  }

  FineTuneRun apply(String yaml) {
    FineTuneRun run = client.getKubernetesSerialization().unmarshal(yaml, FineTuneRun.class);
    return client.resources(FineTuneRun.class).inNamespace("ml").resource(run).create();
  }

  Job job(String run) {
    return Eventually.until(
        run + " Job",
        () -> client.batch().v1().jobs().inNamespace("ml").withName(run + "-train").get(),
        j -> true);
  }

  @Test
  void runWithoutPlacementGetsTheOperatorsGpuPlacementQueueAndClaim() {
    apply(
        """
        apiVersion: kret.dev/v1alpha1
        kind: FineTuneRun
        metadata:
          name: plain
        spec:
          training: {epochs: 1}
        """);
    Job job = job("plain");
    PodSpec pod = job.getSpec().getTemplate().getSpec();
    assertThat(pod.getNodeSelector()).containsExactly(Map.entry("nvidia.com/gpu.present", "true"));
    assertThat(pod.getTolerations()).containsExactly(GPU_TAINT);
    assertThat(pod.getVolumes())
        .anySatisfy(
            v -> assertThat(v.getPersistentVolumeClaim().getClaimName()).isEqualTo("team-models"));
    assertThat(job.getMetadata().getLabels()).containsEntry("kueue.x-k8s.io/queue-name", "gpu");
    assertThat(job.getSpec().getSuspend()).isTrue();
    Eventually.until(
        "plain Queued",
        () -> client.resources(FineTuneRun.class).inNamespace("ml").withName("plain").get(),
        r -> r.getStatus() != null && "Queued".equals(r.getStatus().reason()));
  }

  @Test
  void runsOwnPlacementQueueAndClaimWinOverTheOperatorsDefaults() {
    apply(
        """
        apiVersion: kret.dev/v1alpha1
        kind: FineTuneRun
        metadata:
          name: own
        spec:
          training: {epochs: 1}
          resources:
            nodeSelector: {gpu: a100}
            tolerations: [{key: spot, operator: Exists, effect: NoSchedule}]
            queueName: team-a
          storage: {claimName: own-models}
        """);
    Job job = job("own");
    PodSpec pod = job.getSpec().getTemplate().getSpec();
    assertThat(pod.getNodeSelector()).containsExactly(Map.entry("gpu", "a100"));
    assertThat(pod.getTolerations()).extracting(Toleration::getKey).containsExactly("spot");
    assertThat(pod.getVolumes())
        .anySatisfy(
            v -> assertThat(v.getPersistentVolumeClaim().getClaimName()).isEqualTo("own-models"));
    assertThat(job.getMetadata().getLabels()).containsEntry("kueue.x-k8s.io/queue-name", "team-a");
  }

  @Test
  void cpuRunWithoutAQueueIsNeitherPinnedToGpuNodesNorQueued() {
    apply(
        """
        apiVersion: kret.dev/v1alpha1
        kind: FineTuneRun
        metadata:
          name: cpu
        spec:
          training: {epochs: 1}
          resources: {gpus: 0, queueName: ""}
        """);
    Job job = job("cpu");
    PodSpec pod = job.getSpec().getTemplate().getSpec();
    assertThat(pod.getNodeSelector()).isNullOrEmpty();
    assertThat(pod.getTolerations()).isNullOrEmpty();
    assertThat(job.getMetadata().getLabels()).doesNotContainKey("kueue.x-k8s.io/queue-name");
    assertThat(job.getSpec().getSuspend()).isNull();
  }
}
