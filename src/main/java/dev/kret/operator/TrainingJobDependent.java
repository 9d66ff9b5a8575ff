package dev.kret.operator;

import dev.kret.api.v1alpha1.FineTuneRun;
import dev.kret.api.v1alpha1.FineTuneRunSpec;
import dev.kret.api.v1alpha1.ResourcesSpec;
import dev.kret.api.v1alpha1.SecretKeyRef;
import dev.kret.contract.ExitCodes;
import dev.kret.contract.Labels;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicyRuleBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.GarbageCollected;
import io.javaoperatorsdk.operator.processing.dependent.Creator;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependentResource;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The training Job, create-only: a Job's pod template is immutable, and a running trainer must not
 * be replaced because the run's mutable fields changed.
 */
@KubernetesDependent(informer = @Informer(labelSelector = Labels.MANAGED_SELECTOR))
public class TrainingJobDependent extends KubernetesDependentResource<Job, FineTuneRun>
    implements Creator<Job, FineTuneRun>, GarbageCollected<FineTuneRun> {
  public static final String CONTAINER = "trainer";
  public static final String MODELS_DIR = "/models";
  public static final String GPU = "nvidia.com/gpu";

  @Inject OperatorConfig config;

  public TrainingJobDependent() {
    super(Job.class);
  }

  public static String name(FineTuneRun run) {
    return run.getMetadata().getName() + "-train";
  }

  @Override
  protected Job desired(FineTuneRun run, Context<FineTuneRun> context) {
    return desired(run, config);
  }

  static Job desired(FineTuneRun run, OperatorConfig config) {
    FineTuneRunSpec spec = RunDefaults.of(config).applyTo(run);
    ResourcesSpec res = spec.resources();
    String runName = run.getMetadata().getName();
    boolean queued = res.queueName() != null && !res.queueName().isBlank();

    Map<String, String> jobLabels = new LinkedHashMap<>(Labels.forRun(run, "training"));
    if (queued) {
      jobLabels.put(Labels.KUEUE_QUEUE, res.queueName());
    }
    Map<String, Quantity> requests = new HashMap<>();
    requests.put("cpu", new Quantity(res.cpu()));
    requests.put("memory", new Quantity(res.memory()));
    Map<String, Quantity> limits = new HashMap<>(requests);
    if (res.gpus() > 0) {
      limits.put(GPU, new Quantity(String.valueOf(res.gpus())));
      requests.put(GPU, new Quantity(String.valueOf(res.gpus())));
    }

    return new JobBuilder()
        .withNewMetadata()
        .withName(name(run))
        .withNamespace(run.getMetadata().getNamespace())
        .withLabels(jobLabels)
        .endMetadata()
        .withNewSpec()
        .withSuspend(queued ? Boolean.TRUE : null)
        .withBackoffLimit(config.backoffLimit())
        .withActiveDeadlineSeconds(config.activeDeadline().toSeconds())
        .withTtlSecondsAfterFinished((int) config.ttlAfterFinished().toSeconds())
        .withNewPodFailurePolicy()
        .withRules(
            // Preemption and node drains are not the trainer's fault: retry without counting.
            new PodFailurePolicyRuleBuilder()
                .withAction("Ignore")
                .addNewOnPodCondition()
                .withType("DisruptionTarget")
                .withStatus("True")
                .endOnPodCondition()
                .build(),
            new PodFailurePolicyRuleBuilder()
                .withAction("FailJob")
                .withNewOnExitCodes()
                .withContainerName(CONTAINER)
                .withOperator("In")
                .withValues(ExitCodes.INVALID_CONFIG)
                .endOnExitCodes()
                .build())
        .endPodFailurePolicy()
        .withNewTemplate()
        .withNewMetadata()
        .withLabels(Labels.forRun(run, "training"))
        .endMetadata()
        .withNewSpec()
        .withRestartPolicy("Never")
        .withServiceAccountName(TrainerServiceAccountDependent.name(run))
        .withTerminationGracePeriodSeconds(config.terminationGracePeriod().toSeconds())
        .withNodeSelector(res.nodeSelector().isEmpty() ? null : res.nodeSelector())
        .withTolerations(res.tolerations().isEmpty() ? null : res.tolerations())
        .withPriorityClassName(res.priorityClassName())
        .withImagePullSecrets(PredictorDeployment.pullSecrets(config))
        .withNewSecurityContext()
        .withRunAsNonRoot(true)
        .withRunAsUser(config.runAsUser())
        .withRunAsGroup(config.runAsUser())
        .withFsGroup(config.runAsUser())
        .withNewSeccompProfile()
        .withType("RuntimeDefault")
        .endSeccompProfile()
        .endSecurityContext()
        .addNewContainer()
        .withName(CONTAINER)
        .withImage(config.image())
        .withImagePullPolicy(config.imagePullPolicy())
        .withArgs("train", "--run", runName)
        .withEnv(env(run, spec))
        .withNewResources()
        .withRequests(requests)
        .withLimits(limits)
        .endResources()
        .withTerminationMessagePolicy("File")
        .withNewSecurityContext()
        .withAllowPrivilegeEscalation(false)
        .withNewCapabilities()
        .withDrop("ALL")
        .endCapabilities()
        .endSecurityContext()
        .addNewVolumeMount()
        .withName("models")
        .withMountPath(MODELS_DIR)
        .endVolumeMount()
        .addNewVolumeMount()
        .withName("tmp")
        .withMountPath("/tmp")
        .endVolumeMount()
        .endContainer()
        .addNewVolume()
        .withName("models")
        .withNewPersistentVolumeClaim()
        .withClaimName(spec.storage().claimName())
        .endPersistentVolumeClaim()
        .endVolume()
        .addNewVolume()
        .withName("tmp")
        .withNewEmptyDir()
        .endEmptyDir()
        .endVolume()
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }

  static List<EnvVar> env(FineTuneRun run, FineTuneRunSpec spec) {
    List<EnvVar> env = new ArrayList<>();
    env.add(
        new EnvVarBuilder()
            .withName("KRET_NAMESPACE")
            .withNewValueFrom()
            .withNewFieldRef()
            .withFieldPath("metadata.namespace")
            .endFieldRef()
            .endValueFrom()
            .build());
    env.add(new EnvVar("KRET_RUN", run.getMetadata().getName(), null));
    env.add(new EnvVar("KRET_MODELS_DIR", MODELS_DIR, null));
    env.add(new EnvVar("OPT_OUT_TRACKING", "true", null));
    env.add(new EnvVar("DJL_OFFLINE", "true", null));
    env.add(new EnvVar("HOME", "/tmp", null));
    SecretKeyRef token = spec.secrets() == null ? null : spec.secrets().hubToken();
    if (token != null) {
      env.add(
          new EnvVarBuilder()
              .withName("HF_TOKEN")
              .withNewValueFrom()
              .withNewSecretKeyRef()
              .withName(token.name())
              .withKey(token.key())
              .withOptional(false)
              .endSecretKeyRef()
              .endValueFrom()
              .build());
    }
    return env;
  }
}
