package dev.kret.operator;

import dev.kret.api.v1alpha1.FineTuneRun;
import dev.kret.api.v1alpha1.FineTuneRunSpec;
import dev.kret.api.v1alpha1.FineTuneRunStatus;
import dev.kret.api.v1alpha1.TrainingSpec;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Hand-built runs, Jobs and pods as the API server would report them. */
final class Fixtures {
  static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
  static final Duration DEADLINE = Duration.ofMinutes(5);

  private Fixtures() {}

  static FineTuneRun run(int epochs) {
    FineTuneRun run = new FineTuneRun();
    run.setMetadata(
        new ObjectMetaBuilder()
            .withName("klue")
            .withNamespace("ml")
            .withUid("uid-1")
            .withGeneration(1L)
            .build());
    run.setSpec(
        new FineTuneRunSpec(
            null,
            null,
            null,
            new TrainingSpec(
                epochs, null, null, null, null, null, null, null, null, null, null, null, null),
            null));
    return run;
  }

  static FineTuneRun withStatus(FineTuneRun run, FineTuneRunStatus status) {
    run.setStatus(status);
    return run;
  }

  static String epochJson(int epoch, double microF1) {
    return String.format(
        java.util.Locale.ROOT,
        "{\"epoch\":%d,\"trainLoss\":1.5,\"evalLoss\":%.2f,\"accuracy\":70.0,\"microF1\":%.2f,"
            + "\"auprc\":50.0,\"samplesPerSecond\":100.0,\"modelPath\":\"ml/klue/epoch-%d\","
            + "\"finishedAt\":\"2026-03-01T11:0%d:00Z\"}",
        epoch,
        2.0 - microF1 / 100,
        microF1,
        epoch,
        epoch);
  }

  static String summaryJson(int best, double value, boolean earlyStopped) {
    return String.format(
        java.util.Locale.ROOT,
        "{\"bestEpoch\":%d,\"metric\":\"micro_f1\",\"value\":%.2f,\"modelPath\":\"ml/klue/epoch-%d\","
            + "\"epochsRun\":%d,\"earlyStopped\":%b,\"finishedAt\":\"2026-03-01T11:59:00Z\"}",
        best,
        value,
        best,
        best + 1,
        earlyStopped);
  }

  static Map<String, String> progress(String... keyValues) {
    Map<String, String> data = new HashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      data.put(keyValues[i], keyValues[i + 1]);
    }
    return data;
  }

  static Job job() {
    return new JobBuilder()
        .withNewMetadata()
        .withName("klue-train")
        .withNamespace("ml")
        .endMetadata()
        .withNewSpec()
        .endSpec()
        .withNewStatus()
        .endStatus()
        .build();
  }

  static Job activeJob() {
    Job job = job();
    job.getStatus().setActive(1);
    return job;
  }

  static Job jobWithCondition(String type, String reason, String message) {
    Job job = job();
    job.getStatus()
        .setConditions(
            List.of(
                new io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder()
                    .withType(type)
                    .withStatus("True")
                    .withReason(reason)
                    .withMessage(message)
                    .build()));
    return job;
  }

  static Job suspendedJob() {
    Job job = job();
    job.getSpec().setSuspend(true);
    return job;
  }

  static PodBuilder pod(String name, Instant created) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("ml")
        .withCreationTimestamp(created.toString())
        .endMetadata();
  }

  static Pod runningPod() {
    return pod("klue-train-a", NOW.minusSeconds(60))
        .withNewStatus()
        .withPhase("Running")
        .addNewContainerStatus()
        .withName("trainer")
        .withNewState()
        .withNewRunning()
        .endRunning()
        .endState()
        .endContainerStatus()
        .endStatus()
        .build();
  }

  static Pod unschedulablePod(Duration age) {
    return pod("klue-train-a", NOW.minus(age))
        .withNewStatus()
        .withPhase("Pending")
        .addNewCondition()
        .withType("PodScheduled")
        .withStatus("False")
        .withReason("Unschedulable")
        .withMessage("0/3 nodes are available: 3 Insufficient nvidia.com/gpu.")
        .endCondition()
        .endStatus()
        .build();
  }

  static Pod waitingPod(String reason, String message) {
    return pod("klue-train-a", NOW.minusSeconds(30))
        .withNewStatus()
        .withPhase("Pending")
        .addNewContainerStatus()
        .withName("trainer")
        .withImage("ghcr.io/kret-dev/kret:0.1.0")
        .withNewState()
        .withNewWaiting()
        .withReason(reason)
        .withMessage(message)
        .endWaiting()
        .endState()
        .endContainerStatus()
        .endStatus()
        .build();
  }

  static Pod terminatedPod(
      String name, int exitCode, String reason, String message, Instant finished) {
    return pod(name, finished.minusSeconds(600))
        .withNewStatus()
        .withPhase(exitCode == 0 ? "Succeeded" : "Failed")
        .addNewContainerStatus()
        .withName("trainer")
        .withNewState()
        .withNewTerminated()
        .withExitCode(exitCode)
        .withReason(reason)
        .withMessage(message)
        .withFinishedAt(finished.toString())
        .endTerminated()
        .endState()
        .endContainerStatus()
        .endStatus()
        .build();
  }

  static Observed observed(FineTuneRun run, Map<String, String> progress, Job job, List<Pod> pods) {
    return new Observed(run, progress, job, pods, List.of(), NOW, DEADLINE);
  }
}
