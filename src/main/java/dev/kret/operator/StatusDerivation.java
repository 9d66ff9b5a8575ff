package dev.kret.operator;

import dev.kret.api.v1alpha1.BestStatus;
import dev.kret.api.v1alpha1.Condition;
import dev.kret.api.v1alpha1.EpochStatus;
import dev.kret.api.v1alpha1.FailureStatus;
import dev.kret.api.v1alpha1.FineTuneRun;
import dev.kret.api.v1alpha1.FineTuneRunSpec;
import dev.kret.api.v1alpha1.FineTuneRunStatus;
import dev.kret.api.v1alpha1.Metric;
import dev.kret.api.v1alpha1.ProgressStatus;
import dev.kret.api.v1alpha1.TrainingProgress;
import dev.kret.api.v1alpha1.TrainingProgress.Summary;
import dev.kret.api.v1alpha1.TrainingSpec;
import dev.kret.api.v1alpha1.TrainingStatus;
import dev.kret.contract.ExitCodes;
import dev.kret.contract.ProgressKeys;
import dev.kret.contract.Reason;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStateWaiting;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/** The status of a run as a pure function of what was observed; no Kubernetes calls. */
public final class StatusDerivation {
  private static final Set<String> IMAGE_PULL =
      Set.of("ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull");
  private static final Set<String> CONFIG_ERROR =
      Set.of("CreateContainerConfigError", "CreateContainerError");

  private StatusDerivation() {}

  /** What the run is doing, why, and in which words. */
  record Verdict(RunState state, Reason reason, String message) {}

  public static FineTuneRunStatus derive(Observed in) {
    FineTuneRun run = in.run();
    FineTuneRunSpec spec = specOf(run);
    FineTuneRunStatus prior =
        Objects.requireNonNullElseGet(run.getStatus(), FineTuneRunStatus::empty);
    long generation = Objects.requireNonNullElse(run.getMetadata().getGeneration(), 0L);
    List<Pod> pods = in.pods() == null ? List.of() : in.pods();

    String namespace = run.getMetadata().getNamespace();
    String name = run.getMetadata().getName();
    List<EpochStatus> epochs = confined(foldEpochs(prior.epochs(), in.progress()), namespace, name);
    // The trainer can write any summary: one about another metric than the objective is ignored.
    Optional<Summary> summary =
        summary(in.progress(), pods)
            .filter(s -> s.metric() == null || s.metric().equals(spec.objective().metric()));
    BestStatus best =
        confined(
            summary
                .map(s -> bestFromSummary(s, epochs, spec))
                .orElseGet(() -> bestOf(epochs, spec.objective().metric())),
            namespace,
            name);
    int lastEpoch = epochs.isEmpty() ? 0 : epochs.get(epochs.size() - 1).epoch();
    ProgressStatus progress = progress(prior.progress(), in.progress(), lastEpoch, spec.training());

    TrainingStatus priorTraining = prior.training();
    FailureStatus lastFailure =
        latestFailure(pods).orElse(priorTraining == null ? null : priorTraining.lastFailure());
    String jobName =
        in.job() != null
            ? in.job().getMetadata().getName()
            : priorTraining == null ? null : priorTraining.jobName();
    String device =
        Optional.ofNullable(in.progress())
            .map(p -> p.get(TrainingProgress.DEVICE_KEY))
            .flatMap(ProgressKeys::parseDevice)
            .map(TrainingProgress.Device::describe)
            .orElse(priorTraining == null ? null : priorTraining.device());
    TrainingStatus training =
        new TrainingStatus(jobName, attempts(in.job(), pods, priorTraining), lastFailure, device);

    Verdict verdict = verdict(in, prior, summary, lastFailure, pods);
    List<Condition> conditions = conditions(prior, verdict, generation, in.now());
    String state = verdict.state().name;
    if (verdict.state() == RunState.SUCCEEDED
        && prior.condition(Conditions.PROMOTED).map(Condition::isTrue).orElse(false)) {
      state = FineTuneRunStatus.PROMOTED;
    }
    return new FineTuneRunStatus(
        generation,
        state,
        verdict.reason().name(),
        conditions,
        progress,
        epochs,
        best,
        training,
        prior.serving());
  }

  /**
   * When to look again although nothing may change: a pod pending for a node is reported only after
   * the pending deadline, and no event marks that moment.
   */
  public static Optional<Duration> recheckAfter(Observed in) {
    Optional<Duration> pending =
        pendingPods(in.pods()).stream()
            .filter(StatusDerivation::unschedulable)
            .map(p -> in.pendingDeadline().minus(Duration.between(created(p), in.now())))
            .filter(d -> !d.isNegative() && !d.isZero())
            .min(Comparator.naturalOrder());
    Optional<Duration> summary =
        in.job() != null && jobCondition(in.job(), "Complete", "SuccessCriteriaMet").isPresent()
            ? summaryGraceLeft(in)
            : Optional.empty();
    return pending.isEmpty()
        ? summary
        : summary.map(s -> s.compareTo(pending.get()) < 0 ? s : pending.get()).or(() -> pending);
  }

  /** Time left to wait for a summary after the Job's completion; empty once it is over. */
  static Optional<Duration> summaryGraceLeft(Observed in) {
    if (in.summaryGrace() == null || in.summaryGrace().isZero() || in.job().getStatus() == null) {
      return Optional.empty();
    }
    String completed = in.job().getStatus().getCompletionTime();
    if (completed == null) {
      return Optional.empty();
    }
    Duration left = in.summaryGrace().minus(Duration.between(Instant.parse(completed), in.now()));
    return left.isNegative() || left.isZero() ? Optional.empty() : Optional.of(left);
  }

  static FineTuneRunSpec specOf(FineTuneRun run) {
    FineTuneRunSpec spec = run.getSpec();
    return (spec == null ? new FineTuneRunSpec(null, null, null, null, null) : spec).withDefaults();
  }

  /** Prior epochs overlaid with the ConfigMap's: one entry per epoch, nothing dropped. */
  static List<EpochStatus> foldEpochs(List<EpochStatus> prior, Map<String, String> progress) {
    TreeMap<Integer, EpochStatus> byEpoch = new TreeMap<>();
    if (prior != null) {
      prior.stream().filter(e -> e.epoch() != null).forEach(e -> byEpoch.put(e.epoch(), e));
    }
    if (progress != null) {
      progress.forEach(
          (key, value) ->
              ProgressKeys.epochOf(key)
                  .flatMap(n -> ProgressKeys.parseEpoch(value).filter(r -> n.equals(r.epoch())))
                  .ifPresent(r -> byEpoch.put(r.epoch(), r.toStatus())));
    }
    return List.copyOf(byEpoch.values());
  }

  /**
   * Epochs finished of those requested; with masked-LM epochs also the last finished one and its
   * loss, from the ConfigMap's {@code mlm-epoch-*} keys or else the prior status.
   */
  static ProgressStatus progress(
      ProgressStatus prior, Map<String, String> progress, int lastEpoch, TrainingSpec training) {
    int mlmEpochs = training.mlmEpochs();
    if (mlmEpochs == 0) {
      return new ProgressStatus(lastEpoch, training.epochs());
    }
    int mlmEpoch = 0;
    Double mlmLoss = null;
    if (prior != null && prior.mlmEpoch() != null) {
      mlmEpoch = prior.mlmEpoch();
      mlmLoss = prior.mlmLoss();
    }
    if (progress != null) {
      for (Map.Entry<String, String> e : progress.entrySet()) {
        if (ProgressKeys.isMlmEpoch(e.getKey())) {
          Optional<TrainingProgress.MlmEpoch> r = ProgressKeys.parseMlmEpoch(e.getValue());
          if (r.isPresent() && r.get().epoch() >= mlmEpoch) {
            mlmEpoch = r.get().epoch();
            mlmLoss = r.get().loss();
          }
        }
      }
    }
    return new ProgressStatus(lastEpoch, training.epochs(), mlmEpoch, mlmEpochs, mlmLoss);
  }

  /** The summary from the ConfigMap, or else from the trainer's termination message. */
  static Optional<Summary> summary(Map<String, String> progress, List<Pod> pods) {
    Optional<Summary> fromMap =
        progress == null
            ? Optional.empty()
            : ProgressKeys.parseSummary(progress.get(ProgressKeys.SUMMARY));
    if (fromMap.isPresent()) {
      return fromMap;
    }
    return pods.stream()
        .flatMap(p -> trainerStatuses(p).stream())
        .map(c -> c.getState() == null ? null : c.getState().getTerminated())
        .filter(t -> t != null && Objects.equals(t.getExitCode(), 0))
        .map(t -> ProgressKeys.parseSummary(t.getMessage()))
        .flatMap(Optional::stream)
        .findFirst();
  }

  static BestStatus bestFromSummary(Summary s, List<EpochStatus> epochs, FineTuneRunSpec spec) {
    String path = s.modelPath();
    if (path == null) {
      path =
          epochs.stream()
              .filter(e -> s.bestEpoch().equals(e.epoch()))
              .map(EpochStatus::modelPath)
              .findFirst()
              .orElse(null);
    }
    return new BestStatus(
        s.bestEpoch(),
        Objects.requireNonNullElse(s.metric(), spec.objective().metric()),
        s.value(),
        path,
        s.model() != null && s.model().plausible() ? s.model() : null);
  }

  /** Epochs whose model path leaves the run's directory keep their metrics but lose the path. */
  static List<EpochStatus> confined(List<EpochStatus> epochs, String namespace, String run) {
    return epochs.stream()
        .map(
            e ->
                e.modelPath() == null
                        || ModelPaths.confined(namespace, run, e.modelPath()).isPresent()
                    ? e
                    : new EpochStatus(
                        e.epoch(),
                        e.trainLoss(),
                        e.evalLoss(),
                        e.accuracy(),
                        e.microF1(),
                        e.auprc(),
                        e.samplesPerSecond(),
                        null,
                        e.time()))
        .toList();
  }

  /** A best epoch whose model path leaves the run's directory has nothing to promote. */
  static BestStatus confined(BestStatus best, String namespace, String run) {
    if (best == null
        || best.modelPath() == null
        || ModelPaths.confined(namespace, run, best.modelPath()).isPresent()) {
      return best;
    }
    return new BestStatus(best.epoch(), best.metric(), best.value(), null);
  }

  /** Highest metric (lowest for eval_loss); the earliest epoch wins a tie. */
  static BestStatus bestOf(List<EpochStatus> epochs, String metric) {
    Metric m = Metric.find(metric).orElse(null);
    if (m == null) {
      return null;
    }
    EpochStatus best = null;
    for (EpochStatus e : epochs) {
      Double v = m.of(e);
      if (v == null || v.isNaN()) {
        continue;
      }
      Double b = best == null ? null : m.of(best);
      if (b == null || m.better(v, b)) {
        best = e;
      }
    }
    return best == null
        ? null
        : new BestStatus(best.epoch(), metric, best.metric(metric), best.modelPath());
  }

  static int attempts(Job job, List<Pod> pods, TrainingStatus prior) {
    int fromJob = 0;
    if (job != null && job.getStatus() != null) {
      JobStatus s = job.getStatus();
      fromJob =
          Objects.requireNonNullElse(s.getActive(), 0)
              + Objects.requireNonNullElse(s.getFailed(), 0)
              + Objects.requireNonNullElse(s.getSucceeded(), 0);
    }
    int fromPrior = prior == null || prior.attempts() == null ? 0 : prior.attempts();
    return Math.max(fromPrior, Math.max(fromJob, pods.size()));
  }

  /** The most recent trainer failure seen on a pod, with its root-cause reason. */
  static Optional<FailureStatus> latestFailure(List<Pod> pods) {
    List<FailureStatus> failures = new ArrayList<>();
    for (Pod pod : pods) {
      boolean disrupted = hasCondition(pod, "DisruptionTarget");
      for (ContainerStatus c : trainerStatuses(pod)) {
        for (ContainerStateTerminated t : terminatedStates(c)) {
          if (t.getExitCode() != null && t.getExitCode() != 0) {
            failures.add(
                new FailureStatus(
                    disrupted ? Reason.Preempted.name() : failureReason(t).name(),
                    t.getExitCode(),
                    describe(pod, t),
                    t.getFinishedAt()));
          }
        }
      }
      if (failures.isEmpty()
          && pod.getStatus() != null
          && "Failed".equals(pod.getStatus().getPhase())
          && "Evicted".equals(pod.getStatus().getReason())) {
        failures.add(
            new FailureStatus(
                Reason.Evicted.name(),
                null,
                pod.getStatus().getMessage(),
                pod.getMetadata().getCreationTimestamp()));
      }
    }
    return failures.stream()
        .max(Comparator.comparing(f -> Objects.requireNonNullElse(f.time(), "")));
  }

  private static Reason failureReason(ContainerStateTerminated t) {
    if ("OOMKilled".equals(t.getReason())) {
      return Reason.OOMKilled;
    }
    if (Objects.equals(t.getExitCode(), ExitCodes.INVALID_CONFIG)) {
      return Reason.InvalidConfiguration;
    }
    return Reason.Error;
  }

  private static String describe(Pod pod, ContainerStateTerminated t) {
    String base =
        "pod "
            + pod.getMetadata().getName()
            + ": trainer exited with code "
            + t.getExitCode()
            + (t.getReason() == null ? "" : " (" + t.getReason() + ")");
    String msg = t.getMessage();
    return msg == null || msg.isBlank() ? base : base + ": " + msg.strip();
  }

  static Verdict verdict(
      Observed in,
      FineTuneRunStatus prior,
      Optional<Summary> summary,
      FailureStatus lastFailure,
      List<Pod> pods) {
    if (in.specProblems() != null && !in.specProblems().isEmpty()) {
      return new Verdict(RunState.FAILED, Reason.InvalidSpec, String.join("; ", in.specProblems()));
    }
    Job job = in.job();
    if (job == null) {
      Optional<Verdict> finished = priorTerminal(prior);
      return finished.orElseGet(
          () -> new Verdict(RunState.PENDING, Reason.Pending, "Creating the training Job."));
    }
    Optional<JobCondition> complete = jobCondition(job, "Complete", "SuccessCriteriaMet");
    if (complete.isPresent()) {
      if (summary.isEmpty() && summaryGraceLeft(in).isPresent()) {
        return new Verdict(
            RunState.TRAINING,
            Reason.AwaitingSummary,
            "The training Job completed; waiting for summary.json.");
      }
      if (summary.isEmpty()) {
        return new Verdict(
            RunState.FAILED,
            Reason.NoMetricsReceived,
            "The training Job succeeded but the trainer reported no summary.json.");
      }
      Summary s = summary.get();
      boolean early = Boolean.TRUE.equals(s.earlyStopped());
      return new Verdict(
          RunState.SUCCEEDED,
          early ? Reason.EarlyStopped : Reason.Succeeded,
          String.format(
              "%s after %s epochs; best epoch %s with %s %s.",
              early ? "Stopped early" : "Finished",
              s.epochsRun(),
              s.bestEpoch(),
              s.metric(),
              s.value()));
    }
    Optional<JobCondition> failed = jobCondition(job, "Failed", "FailureTarget");
    if (failed.isPresent()) {
      Reason reason = rootCause(failed.get().getReason(), lastFailure);
      String message = Objects.requireNonNullElse(failed.get().getMessage(), "Job failed.");
      if (lastFailure != null && lastFailure.message() != null) {
        message = message + " Last failure: " + lastFailure.message();
      }
      return new Verdict(RunState.FAILED, reason, message);
    }
    if (Boolean.TRUE.equals(job.getSpec() == null ? null : job.getSpec().getSuspend())) {
      return new Verdict(RunState.PENDING, Reason.Queued, "The Job waits for admission by Kueue.");
    }
    Optional<Pod> current =
        pods.stream().filter(p -> !isFinished(p)).max(Comparator.comparing(p -> created(p)));
    if (current.isPresent()) {
      Pod pod = current.get();
      if ("Running".equals(pod.getStatus() == null ? null : pod.getStatus().getPhase())) {
        return new Verdict(
            RunState.TRAINING,
            Reason.Training,
            "Pod " + pod.getMetadata().getName() + " is training.");
      }
      return pendingVerdict(pod, in);
    }
    return new Verdict(RunState.PENDING, Reason.Pending, "Waiting for a training pod to start.");
  }

  private static Verdict pendingVerdict(Pod pod, Observed in) {
    for (ContainerStatus c : trainerStatuses(pod)) {
      ContainerStateWaiting w = c.getState() == null ? null : c.getState().getWaiting();
      if (w == null) {
        continue;
      }
      if (IMAGE_PULL.contains(w.getReason())) {
        return new Verdict(
            RunState.PENDING,
            Reason.ImagePullFailed,
            "Cannot pull " + c.getImage() + ": " + Objects.requireNonNullElse(w.getMessage(), ""));
      }
      if (CONFIG_ERROR.contains(w.getReason())) {
        return new Verdict(
            RunState.PENDING,
            Reason.ContainerConfigError,
            Objects.requireNonNullElse(w.getMessage(), w.getReason()));
      }
    }
    if (unschedulable(pod)
        && Duration.between(created(pod), in.now()).compareTo(in.pendingDeadline()) >= 0) {
      String scheduler = podCondition(pod, "PodScheduled").map(PodCondition::getMessage).orElse("");
      return new Verdict(
          RunState.PENDING,
          Reason.Unschedulable,
          "Pod "
              + pod.getMetadata().getName()
              + " unschedulable for more than "
              + shortDuration(in.pendingDeadline())
              + ": "
              + scheduler);
    }
    return new Verdict(
        RunState.PENDING, Reason.Pending, "Pod " + pod.getMetadata().getName() + " is pending.");
  }

  /** 5m, 90s, 1h, 1h30m: as the deadline was written (the minutes alone printed 20s as 0m). */
  static String shortDuration(Duration d) {
    long s = d.toSeconds();
    if (s == 0 || s % 60 != 0) {
      return s + "s";
    }
    long h = s / 3600;
    long m = (s % 3600) / 60;
    return h == 0 ? m + "m" : m == 0 ? h + "h" : h + "h" + m + "m";
  }

  /** Kubernetes says why the Job failed; the pods say what that meant for the trainer. */
  static Reason rootCause(String jobReason, FailureStatus lastFailure) {
    String podReason = lastFailure == null ? null : lastFailure.reason();
    if ("DeadlineExceeded".equals(jobReason)) {
      return Reason.DeadlineExceeded;
    }
    if ("PodFailurePolicy".equals(jobReason)
        || Reason.InvalidConfiguration.name().equals(podReason)) {
      return Reason.InvalidConfiguration;
    }
    if (Reason.OOMKilled.name().equals(podReason)) {
      return Reason.OOMKilled;
    }
    if ("BackoffLimitExceeded".equals(jobReason)) {
      return Reason.BackoffLimitExceeded;
    }
    return Reason.JobFailed;
  }

  private static Optional<Verdict> priorTerminal(FineTuneRunStatus prior) {
    for (String type : List.of(Conditions.SUCCEEDED, Conditions.FAILED)) {
      Optional<Condition> c = prior.condition(type).filter(Condition::isTrue);
      if (c.isPresent()) {
        RunState state = type.equals(Conditions.SUCCEEDED) ? RunState.SUCCEEDED : RunState.FAILED;
        return Optional.of(
            new Verdict(state, Reason.of(c.get().reason(), Reason.JobFailed), c.get().message()));
      }
    }
    return Optional.empty();
  }

  static List<Condition> conditions(
      FineTuneRunStatus prior, Verdict v, long generation, Instant now) {
    String reason = v.reason().name();
    RunState state = v.state();
    List<Condition> c = prior.conditions();
    c = Conditions.set(c, Conditions.RUNNING, state.running, reason, v.message(), generation, now);
    c =
        Conditions.set(
            c, Conditions.SUCCEEDED, state.succeeded, reason, v.message(), generation, now);
    c = Conditions.set(c, Conditions.FAILED, state.failed, reason, v.message(), generation, now);
    return c;
  }

  private static Optional<JobCondition> jobCondition(Job job, String... types) {
    if (job.getStatus() == null || job.getStatus().getConditions() == null) {
      return Optional.empty();
    }
    for (String type : types) {
      Optional<JobCondition> c =
          job.getStatus().getConditions().stream()
              .filter(jc -> type.equals(jc.getType()) && "True".equals(jc.getStatus()))
              .findFirst();
      if (c.isPresent()) {
        return c;
      }
    }
    return Optional.empty();
  }

  private static List<Pod> pendingPods(List<Pod> pods) {
    return pods == null
        ? List.of()
        : pods.stream()
            .filter(p -> p.getStatus() != null && "Pending".equals(p.getStatus().getPhase()))
            .toList();
  }

  private static boolean unschedulable(Pod pod) {
    return podCondition(pod, "PodScheduled")
        .filter(c -> "False".equals(c.getStatus()) && "Unschedulable".equals(c.getReason()))
        .isPresent();
  }

  private static boolean hasCondition(Pod pod, String type) {
    return podCondition(pod, type).filter(c -> "True".equals(c.getStatus())).isPresent();
  }

  private static Optional<PodCondition> podCondition(Pod pod, String type) {
    if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
      return Optional.empty();
    }
    return pod.getStatus().getConditions().stream()
        .filter(c -> type.equals(c.getType()))
        .findFirst();
  }

  private static boolean isFinished(Pod pod) {
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    return "Succeeded".equals(phase)
        || "Failed".equals(phase)
        || pod.getMetadata().getDeletionTimestamp() != null;
  }

  private static Instant created(Pod pod) {
    String ts = pod.getMetadata().getCreationTimestamp();
    return ts == null ? Instant.EPOCH : Instant.parse(ts);
  }

  private static List<ContainerStatus> trainerStatuses(Pod pod) {
    if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
      return List.of();
    }
    return pod.getStatus().getContainerStatuses().stream()
        .filter(c -> TrainingJobDependent.CONTAINER.equals(c.getName()))
        .toList();
  }

  private static List<ContainerStateTerminated> terminatedStates(ContainerStatus c) {
    List<ContainerStateTerminated> out = new ArrayList<>(2);
    if (c.getState() != null && c.getState().getTerminated() != null) {
      out.add(c.getState().getTerminated());
    }
    if (c.getLastState() != null && c.getLastState().getTerminated() != null) {
      out.add(c.getLastState().getTerminated());
    }
    return out;
  }
}
