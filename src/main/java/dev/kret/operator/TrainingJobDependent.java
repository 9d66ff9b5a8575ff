package dev.kret.operator;

import dev.kret.api.v1alpha1.FineTuneRun;
import dev.kret.api.v1alpha1.FineTuneRunSpec;
import dev.kret.api.v1alpha1.ResourcesSpec;
import dev.kret.api.v1alpha1.SecretKeyRef;
import dev.kret.contract.ExitCodes;
import dev.kret.contract.Labels;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
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

  /** The Job, built in named steps: the pod's base, placement, volumes, env and security. */
  static Job desired(FineTuneRun run, OperatorConfig config) {
    FineTuneRunSpec spec = RunDefaults.of(config).applyTo(run);
    PodSpecBuilder pod = base(run, config);
    ContainerBuilder trainer = trainer(run, spec.resources(), config);
    placement(pod, spec.resources());
    volumes(pod, trainer, spec.storage().claimName());
    trainer.withEnv(env(run, spec));
    security(pod, trainer, config);
    return job(run, spec.resources(), config, pod.addToContainers(trainer.build()).build());
  }

  /**
   * The Job around the pod: its labels (and Kueue's queue, which keeps it suspended until
   * admitted), retries, deadlines, and the failure policy.
   */
  private static Job job(FineTuneRun run, ResourcesSpec res, OperatorConfig config, PodSpec pod) {
    boolean queued = res.queueName() != null && !res.queueName().isBlank();
    Map<String, String> jobLabels = new LinkedHashMap<>(Labels.forRun(run, "training"));
    if (queued) {
      jobLabels.put(Labels.KUEUE_QUEUE, res.queueName());
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
        .withSpec(pod)
        .endTemplate()
        .endSpec()
        .build();
  }

  /**
   * The pod's base: never restarted in place (the Job retries), the trainer's ServiceAccount, time
   * to stop at a safe point, and the operator's pull secrets.
   */
  private static PodSpecBuilder base(FineTuneRun run, OperatorConfig config) {
    return new PodSpecBuilder()
        .withRestartPolicy("Never")
        .withServiceAccountName(TrainerServiceAccountDependent.name(run))
        .withTerminationGracePeriodSeconds(config.terminationGracePeriod().toSeconds())
        .withImagePullSecrets(PredictorDeployment.pullSecrets(config));
  }

  /** The trainer container: image, command, and its requests and limits (GPUs included). */
  private static ContainerBuilder trainer(
      FineTuneRun run, ResourcesSpec res, OperatorConfig config) {
    Map<String, Quantity> requests = new HashMap<>();
    requests.put("cpu", new Quantity(res.cpu()));
    requests.put("memory", new Quantity(res.memory()));
    Map<String, Quantity> limits = new HashMap<>(requests);
    if (res.gpus() > 0) {
      limits.put(GPU, new Quantity(String.valueOf(res.gpus())));
      requests.put(GPU, new Quantity(String.valueOf(res.gpus())));
    }
    return new ContainerBuilder()
        .withName(CONTAINER)
        .withImage(config.image())
        .withImagePullPolicy(config.imagePullPolicy())
        .withArgs("train", "--run", run.getMetadata().getName())
        .withNewResources()
        .withRequests(requests)
        .withLimits(limits)
        .endResources()
        .withTerminationMessagePolicy("File");
  }

  /** Where the pod may run: node selector, tolerations, priority class. */
  private static void placement(PodSpecBuilder pod, ResourcesSpec res) {
    pod.withNodeSelector(res.nodeSelector().isEmpty() ? null : res.nodeSelector())
        .withTolerations(res.tolerations().isEmpty() ? null : res.tolerations())
        .withPriorityClassName(res.priorityClassName());
  }

  /** The model volume (the run's claim) at {@value #MODELS_DIR}, and a writable /tmp. */
  private static void volumes(PodSpecBuilder pod, ContainerBuilder trainer, String claim) {
    trainer
        .addNewVolumeMount()
        .withName("models")
        .withMountPath(MODELS_DIR)
        .endVolumeMount()
        .addNewVolumeMount()
        .withName("tmp")
        .withMountPath("/tmp")
        .endVolumeMount();
    pod.addNewVolume()
        .withName("models")
        .withNewPersistentVolumeClaim()
        .withClaimName(claim)
        .endPersistentVolumeClaim()
        .endVolume()
        .addNewVolume()
        .withName("tmp")
        .withNewEmptyDir()
        .endEmptyDir()
        .endVolume();
  }

  /** Restricted Pod Security ({@link PodSecurity}) for the pod and the trainer. */
  private static void security(
      PodSpecBuilder pod, ContainerBuilder trainer, OperatorConfig config) {
    pod.withSecurityContext(PodSecurity.pod(config));
    trainer.withSecurityContext(PodSecurity.container());
  }

  /** The trainer's environment: where it runs, DJL offline, and the hub token if any. */
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
