package dev.kret.operator;

import dev.kret.api.v1alpha1.StorageSpec;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithConverter;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** How the operator shapes training Jobs and judges their pods. */
@ConfigMapping(prefix = "kret.operator")
public interface OperatorConfig {
  /** Image of kretctl that training Jobs (and predictors) run. */
  @WithDefault("ghcr.io/kret-dev/kret:0.1.0")
  String image();

  /**
   * Secrets (in each run's namespace) to pull that image with, given to trainer and predictor pods:
   * a comma-separated list, as the chart renders {@code imagePullSecrets}.
   */
  Optional<java.util.List<String>> imagePullSecrets();

  /** Pull policy of that image. */
  @WithDefault("IfNotPresent")
  String imagePullPolicy();

  /** How long a training pod may stay unschedulable before the run reports Unschedulable. */
  @WithDefault("5m")
  Duration pendingDeadline();

  /**
   * How long after a Job completes a missing summary.json is waited for (the ConfigMap and Job
   * informers deliver independently) before the run fails with NoMetricsReceived.
   */
  @WithDefault("30s")
  Duration summaryGrace();

  /** Failed training pods the Job retries (preempted or evicted pods do not count). */
  @WithDefault("3")
  int backoffLimit();

  /** Wall-clock limit of a training Job, retries included. */
  @WithDefault("72h")
  Duration activeDeadline();

  /** How long a finished Job and its pods are kept for inspection. */
  @WithDefault("168h")
  Duration ttlAfterFinished();

  /**
   * Time a trainer gets after SIGTERM to stop at its next safe point and exit (it waits up to 60 s
   * for the current step; the last finished epoch's checkpoint is what a new pod resumes from).
   */
  @WithDefault("120s")
  Duration terminationGracePeriod();

  /** Non-root user and group the trainer runs as (also the model volume's fsGroup). */
  @WithDefault("1001")
  long runAsUser();

  /**
   * Node labels of GPU training pods whose run sets no {@code resources.nodeSelector}: a JSON
   * object, as the chart renders {@code gpu.nodeSelector}.
   */
  @WithDefault("{}")
  @WithConverter(ConfigValues.NodeSelectorConverter.class)
  ConfigValues.NodeSelector gpuNodeSelector();

  /**
   * Tolerations of GPU training pods whose run sets no {@code resources.tolerations}: a JSON array,
   * as the chart renders {@code gpu.tolerations}.
   */
  @WithDefault("[]")
  @WithConverter(ConfigValues.TolerationsConverter.class)
  ConfigValues.Tolerations gpuTolerations();

  /** Kueue LocalQueue of runs that set no {@code resources.queueName}; none when unset. */
  @WithConverter(ConfigValues.QueueNameConverter.class)
  Optional<String> queueName();

  /** Model volume claim of runs that set no {@code storage.claimName}. */
  @WithDefault(StorageSpec.DEFAULT_CLAIM)
  @WithConverter(ConfigValues.ClaimNameConverter.class)
  String modelClaim();
}
