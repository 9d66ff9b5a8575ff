package dev.kret.operator;

import static dev.kret.contract.Annotations.FROM_RUN;
import static dev.kret.contract.Annotations.METRIC;
import static dev.kret.contract.Annotations.MODEL_PATH;
import static dev.kret.contract.Annotations.PREVIOUS_MODEL_PATH;
import static dev.kret.contract.Annotations.VALUE;

import dev.kret.api.v1alpha1.FineTuneRun;
import dev.kret.api.v1alpha1.ModelShape;
import dev.kret.contract.Labels;
import dev.kret.operator.PromotionDecision.Champion;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import java.util.HashMap;
import java.util.Map;

/**
 * The predictor Deployment behind spec.promotion.serving. Not owned by any run: deleting a run
 * never takes an endpoint down. Its annotations record what it serves, which makes the Deployment
 * itself the champion's record.
 */
public final class PredictorDeployment {
  public static final String CONTAINER = "predictor";
  public static final int PORT = 8080;
  public static final String MALLOC_ARENA_MAX = "2";

  /** The pod keeps serving this long after it is marked for deletion, before it sees SIGTERM. */
  static final long PRE_STOP_SECONDS = 5;

  /**
   * The preStop sleep, kretctl serve's shutdown delay (5 s), its drain of requests in flight (up to
   * 20 s), freeing the model, and a margin.
   */
  static final long TERMINATION_GRACE_SECONDS = 40;

  private PredictorDeployment() {}

  public static Champion champion(Deployment d) {
    if (d == null || d.getMetadata().getAnnotations() == null) {
      return null;
    }
    Map<String, String> a = d.getMetadata().getAnnotations();
    Double value = null;
    try {
      value = a.get(VALUE) == null ? null : Double.valueOf(a.get(VALUE));
    } catch (NumberFormatException e) {
      // An unreadable record is treated as no record: the challenger wins.
    }
    return new Champion(a.get(FROM_RUN), a.get(MODEL_PATH), a.get(METRIC), value);
  }

  /**
   * The Deployment serving its previous model again (for {@code kretctl rollback}); the model it
   * served becomes the previous one, so a second rollback undoes the first. Empty when no previous
   * model is recorded.
   */
  public static java.util.Optional<Deployment> rolledBack(Deployment current) {
    Map<String, String> a = current.getMetadata().getAnnotations();
    String previous = a == null ? null : a.get(PREVIOUS_MODEL_PATH);
    if (previous == null) {
      return java.util.Optional.empty();
    }
    Map<String, String> annotations = new HashMap<>(a);
    annotations.put(MODEL_PATH, previous);
    annotations.put(PREVIOUS_MODEL_PATH, a.get(MODEL_PATH));
    // The metric on record belonged to the rolled-back model; without it any challenger may win.
    annotations.remove(METRIC);
    annotations.remove(VALUE);
    annotations.remove(FROM_RUN);
    Deployment d =
        new DeploymentBuilder(current)
            .editMetadata()
            .withAnnotations(annotations)
            .endMetadata()
            .build();
    var template = d.getSpec().getTemplate();
    template.getMetadata().getAnnotations().put(MODEL_PATH, previous);
    template.getSpec().getContainers().stream()
        .filter(c -> CONTAINER.equals(c.getName()))
        .forEach(c -> c.setArgs(args(previous)));
    return java.util.Optional.of(d);
  }

  /**
   * The predictor's command line. kretctl serve runs its own HTTP server on --port; Quarkus's HTTP
   * server stays off (the Deployment used to turn it on through QUARKUS_HTTP_* on the same port,
   * and on a real node the predictor died at start with "Address already in use").
   */
  static java.util.List<String> args(String modelPath) {
    return java.util.List.of(
        "serve", "--model", mountedPath(modelPath), "--port", String.valueOf(PORT));
  }

  /** The container's view of a model path reported relative to the model volume. */
  public static String mountedPath(String modelPath) {
    if (modelPath.startsWith(TrainingJobDependent.MODELS_DIR + "/")) {
      return modelPath;
    }
    return TrainingJobDependent.MODELS_DIR + "/" + modelPath.replaceFirst("^/+", "");
  }

  /** The operator's image pull secrets, for trainer and predictor pods alike. */
  static java.util.List<LocalObjectReference> pullSecrets(OperatorConfig config) {
    return config.imagePullSecrets().orElse(java.util.List.of()).stream()
        .map(LocalObjectReference::new)
        .toList();
  }

  public static Map<String, String> selector(String serving) {
    return Map.of("app.kubernetes.io/name", serving, Labels.COMPONENT, "predictor");
  }

  /**
   * The desired Deployment serving {@code modelPath}, based on the existing one if any, built in
   * named steps: the Deployment's base and the pod's, volumes, env and security.
   */
  public static Deployment desired(
      FineTuneRun run,
      String serving,
      String modelPath,
      String metric,
      Double value,
      ModelShape model,
      Deployment existing,
      OperatorConfig config) {
    var promotion = StatusDerivation.specOf(run).promotion();
    ResourceRequirements resources =
        PredictorSizing.of(promotion == null ? null : promotion.resources(), model);
    String claim = RunDefaults.of(config).applyTo(run).storage().claimName();
    PodSpecBuilder pod = pod(config);
    ContainerBuilder predictor = predictor(modelPath, resources, config);
    volumes(pod, predictor, claim);
    env(predictor, resources);
    security(pod, predictor, config);
    return base(
        run,
        serving,
        modelPath,
        annotations(run, modelPath, metric, value, existing),
        existing,
        pod.addToContainers(predictor.build()).build());
  }

  /** What the Deployment serves, as {@code kretctl rollback} and the next promotion read it. */
  private static Map<String, String> annotations(
      FineTuneRun run, String modelPath, String metric, Double value, Deployment existing) {
    Map<String, String> annotations = new HashMap<>();
    annotations.put(MODEL_PATH, modelPath);
    annotations.put(METRIC, metric);
    annotations.put(VALUE, String.valueOf(value));
    annotations.put(FROM_RUN, run.getMetadata().getName());
    Champion old = champion(existing);
    if (old != null && old.modelPath() != null) {
      annotations.put(PREVIOUS_MODEL_PATH, old.modelPath());
    }
    return annotations;
  }

  /**
   * The Deployment around the pod: name, labels and annotations, the replicas it has, and a rolling
   * update that keeps the old model serving until the new pod is ready.
   */
  private static Deployment base(
      FineTuneRun run,
      String serving,
      String modelPath,
      Map<String, String> annotations,
      Deployment existing,
      PodSpec pod) {
    Map<String, String> labels = new HashMap<>(selector(serving));
    labels.put(Labels.MANAGED_BY, Labels.OPERATOR);
    DeploymentBuilder b =
        existing == null ? new DeploymentBuilder() : new DeploymentBuilder(existing);
    return b.editOrNewMetadata()
        .withName(serving)
        .withNamespace(run.getMetadata().getNamespace())
        .withLabels(labels)
        .withAnnotations(annotations)
        .endMetadata()
        .editOrNewSpec()
        .withReplicas(
            existing == null || existing.getSpec().getReplicas() == null
                ? 1
                : existing.getSpec().getReplicas())
        .withNewSelector()
        .withMatchLabels(selector(serving))
        .endSelector()
        // The old model serves until the new pod reports ready (model loaded).
        .withNewStrategy()
        .withType("RollingUpdate")
        .withNewRollingUpdate()
        .withMaxUnavailable(new IntOrString(0))
        .withMaxSurge(new IntOrString(1))
        .endRollingUpdate()
        .endStrategy()
        .withNewTemplate()
        .withNewMetadata()
        .withLabels(labels)
        .addToAnnotations(MODEL_PATH, modelPath)
        .endMetadata()
        .withSpec(pod)
        .endTemplate()
        .endSpec()
        .build();
  }

  /** The pod's base: no API token, time to drain, the operator's pull secrets. */
  private static PodSpecBuilder pod(OperatorConfig config) {
    return new PodSpecBuilder()
        // Restricted Pod Security: the predictor talks to no API server, so it gets no token.
        .withAutomountServiceAccountToken(false)
        .withTerminationGracePeriodSeconds(TERMINATION_GRACE_SECONDS)
        .withImagePullSecrets(pullSecrets(config));
  }

  /** The predictor container: image, command, resources, port, probes and the preStop sleep. */
  private static ContainerBuilder predictor(
      String modelPath, ResourceRequirements resources, OperatorConfig config) {
    return new ContainerBuilder()
        .withName(CONTAINER)
        .withImage(config.image())
        .withImagePullPolicy(config.imagePullPolicy())
        .withArgs(args(modelPath))
        .withResources(resources)
        .addNewPort()
        .withName("http")
        .withContainerPort(PORT)
        .endPort()
        .withNewReadinessProbe()
        .withNewHttpGet()
        .withPath("/v2/health/ready")
        .withPort(new IntOrString("http"))
        .endHttpGet()
        .withPeriodSeconds(5)
        .endReadinessProbe()
        // Endpoints are withdrawn while the pod still serves: the preStop sleep, then kretctl
        // serve's own shutdown delay (not ready, still answering), then its drain.
        .withNewLifecycle()
        .withNewPreStop()
        .withNewSleep(PRE_STOP_SECONDS)
        .endPreStop()
        .endLifecycle()
        .withNewLivenessProbe()
        .withNewHttpGet()
        .withPath("/v2/health/live")
        .withPort(new IntOrString("http"))
        .endHttpGet()
        .withInitialDelaySeconds(30)
        .withPeriodSeconds(10)
        .endLivenessProbe();
  }

  /** The model volume, read-only: the predictor only reads the model it serves. */
  private static void volumes(PodSpecBuilder pod, ContainerBuilder predictor, String claim) {
    predictor
        .addNewVolumeMount()
        .withName("models")
        .withMountPath(TrainingJobDependent.MODELS_DIR)
        .withReadOnly(true)
        .endVolumeMount();
    pod.addNewVolume()
        .withName("models")
        .withNewPersistentVolumeClaim()
        .withClaimName(claim)
        .withReadOnly(true)
        .endPersistentVolumeClaim()
        .endVolume();
  }

  /** DJL offline, glibc's arenas, and the JVM's options for the pod's memory. */
  private static void env(ContainerBuilder predictor, ResourceRequirements resources) {
    predictor
        .addNewEnv()
        .withName("OPT_OUT_TRACKING")
        .withValue("true")
        .endEnv()
        .addNewEnv()
        .withName("DJL_OFFLINE")
        .withValue("true")
        .endEnv()
        // glibc: two arenas (64 HTTP threads run the Rust tokenizer, and each would get its
        // own). Fixed mmap and trim thresholds (1–4 MiB) would return a batch's freed activations
        // to the system and cut a roberta-base predictor's RSS by ~0.8 GB, but every large tensor
        // is then page-faulted afresh: 23% fewer requests per second at concurrency 32
        // (docs/serving.md, "A predictor's memory"), so they are not set. Also set in the image.
        .addNewEnv()
        .withName("MALLOC_ARENA_MAX")
        .withValue(MALLOC_ARENA_MAX)
        .endEnv()
        .addNewEnv()
        .withName("JAVA_OPTS_APPEND")
        .withValue(PredictorSizing.javaOptions(resources))
        .endEnv();
  }

  /** Restricted Pod Security ({@link PodSecurity}) for the pod and the predictor. */
  private static void security(
      PodSpecBuilder pod, ContainerBuilder predictor, OperatorConfig config) {
    pod.withSecurityContext(PodSecurity.pod(config));
    predictor.withSecurityContext(PodSecurity.container());
  }
}
