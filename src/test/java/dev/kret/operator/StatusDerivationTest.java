package dev.kret.operator;

import static dev.kret.operator.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kret.api.v1alpha1.BestStatus;
import dev.kret.api.v1alpha1.Condition;
import dev.kret.api.v1alpha1.EpochStatus;
import dev.kret.api.v1alpha1.FineTuneRun;
import dev.kret.api.v1alpha1.FineTuneRunStatus;
import dev.kret.api.v1alpha1.ObjectiveSpec;
import dev.kret.api.v1alpha1.ProgressStatus;
import dev.kret.contract.ProgressKeys;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StatusDerivationTest {

  static FineTuneRunStatus build(
      FineTuneRun run,
      Map<String, String> progress,
      io.fabric8.kubernetes.api.model.batch.v1.Job job,
      List<Pod> pods) {
    return StatusDerivation.derive(observed(run, progress, job, pods));
  }

  static String cond(FineTuneRunStatus s, String type) {
    return s.condition(type).map(c -> c.status() + "/" + c.reason()).orElse("absent");
  }

  @Test
  void startsPendingUntilTheJobExists() {
    FineTuneRunStatus s = build(run(3), null, null, List.of());
    assertThat(s.state()).isEqualTo("Pending");
    assertThat(s.observedGeneration()).isEqualTo(1L);
    assertThat(s.progress().totalEpochs()).isEqualTo(3);
    assertThat(s.progress().epoch()).isZero();
    assertThat(cond(s, "Succeeded")).isEqualTo("Unknown/Pending");
    assertThat(cond(s, "Failed")).isEqualTo("False/Pending");
  }

  @Test
  void reportsTrainingWhileThePodRuns() {
    FineTuneRunStatus s = build(run(3), progress(), activeJob(), List.of(runningPod()));
    assertThat(s.state()).isEqualTo("Training");
    assertThat(cond(s, "Running")).isEqualTo("True/Training");
    assertThat(s.training().jobName()).isEqualTo("klue-train");
    assertThat(s.training().attempts()).isEqualTo(1);
  }

  @Test
  void foldsEpochKeysInEpochOrder() {
    var data =
        progress(
            "epoch-0002.json", epochJson(2, 60.0),
            "epoch-0001.json", epochJson(1, 50.0),
            "unrelated", "x");
    FineTuneRunStatus s = build(run(3), data, activeJob(), List.of(runningPod()));
    assertThat(s.epochs()).extracting(EpochStatus::epoch).containsExactly(1, 2);
    assertThat(s.epochs().get(1).microF1()).isEqualTo(60.0);
    assertThat(s.epochs().get(1).modelPath()).isEqualTo("ml/klue/epoch-2");
    assertThat(s.epochs().get(1).time()).isEqualTo("2026-03-01T11:02:00Z");
    assertThat(s.progress().epoch()).isEqualTo(2);
  }

  @Test
  void foldsMaskedLmEpochsIntoProgress() {
    FineTuneRun run = run(3);
    run.setSpec(
        new dev.kret.api.v1alpha1.FineTuneRunSpec(
            null,
            null,
            null,
            new dev.kret.api.v1alpha1.TrainingSpec(
                3, null, null, null, null, null, null, null, null, null, null, 2, null),
            null));
    FineTuneRunStatus before = build(run, progress(), activeJob(), List.of(runningPod()));
    assertThat(before.progress()).isEqualTo(new ProgressStatus(0, 3, 0, 2, null));
    assertThat(before.progress().inMaskedLm()).isTrue();

    String mlm1 = "{\"epoch\":1,\"epochs\":2,\"loss\":6.49,\"samplesPerSecond\":160.0}";
    String mlm2 = "{\"epoch\":2,\"epochs\":2,\"loss\":5.31,\"samplesPerSecond\":161.0}";
    FineTuneRunStatus first =
        build(
            run,
            progress("mlm-epoch-0001.json", mlm1, "mlm-epoch-0002.json", "{not json"),
            activeJob(),
            List.of(runningPod()));
    assertThat(first.progress()).isEqualTo(new ProgressStatus(0, 3, 1, 2, 6.49));
    assertThat(first.epochs()).isEmpty();

    withStatus(run, first);
    FineTuneRunStatus second =
        build(run, progress("mlm-epoch-0002.json", mlm2), activeJob(), List.of(runningPod()));
    assertThat(second.progress()).isEqualTo(new ProgressStatus(0, 3, 2, 2, 5.31));
    assertThat(second.progress().inMaskedLm()).isFalse();

    withStatus(run, second);
    FineTuneRunStatus later =
        build(run, progress("epoch-0001.json", epochJson(1, 50.0)), activeJob(), List.of());
    assertThat(later.progress()).isEqualTo(new ProgressStatus(1, 3, 2, 2, 5.31));

    assertThat(
            build(run(3), progress("mlm-epoch-0001.json", mlm1), activeJob(), List.of()).progress())
        .isEqualTo(new ProgressStatus(0, 3));
  }

  @Test
  void keepsEpochsMissingFromTheConfigMap() {
    FineTuneRun run = run(3);
    FineTuneRunStatus first =
        build(run, progress("epoch-0001.json", epochJson(1, 50.0)), activeJob(), List.of());
    withStatus(run, first);
    FineTuneRunStatus second =
        build(run, progress("epoch-0002.json", epochJson(2, 55.0)), activeJob(), List.of());
    assertThat(second.epochs()).extracting(EpochStatus::epoch).containsExactly(1, 2);
  }

  @Test
  void resentEpochReplacesItsEntryInsteadOfDuplicating() {
    FineTuneRun run = run(3);
    withStatus(
        run, build(run, progress("epoch-0001.json", epochJson(1, 50.0)), activeJob(), List.of()));
    FineTuneRunStatus s =
        build(run, progress("epoch-0001.json", epochJson(1, 52.0)), activeJob(), List.of());
    assertThat(s.epochs()).hasSize(1);
    assertThat(s.epochs().get(0).microF1()).isEqualTo(52.0);
  }

  @Test
  void ignoresMalformedEpochKeys() {
    var data = progress("epoch-0001.json", "{not json", "epoch-0002.json", epochJson(2, 40.0));
    FineTuneRunStatus s = build(run(3), data, activeJob(), List.of());
    assertThat(s.epochs()).extracting(EpochStatus::epoch).containsExactly(2);
  }

  @Test
  void bestIsTheHighestObjectiveBeforeTheSummaryArrives() {
    var data =
        progress(
            "epoch-0001.json", epochJson(1, 50.0),
            "epoch-0002.json", epochJson(2, 65.0),
            "epoch-0003.json", epochJson(3, 60.0));
    FineTuneRunStatus s = build(run(3), data, activeJob(), List.of());
    assertThat(s.best()).isEqualTo(new BestStatus(2, "micro_f1", 65.0, "ml/klue/epoch-2"));
  }

  @Test
  void bestOfEvalLossIsTheLowest() {
    FineTuneRun run = run(3);
    var spec = run.getSpec();
    run.setSpec(
        new dev.kret.api.v1alpha1.FineTuneRunSpec(
            spec.model(),
            spec.dataset(),
            spec.input(),
            spec.training(),
            new ObjectiveSpec("eval_loss")));
    var data =
        progress("epoch-0001.json", epochJson(1, 50.0), "epoch-0002.json", epochJson(2, 65.0));
    FineTuneRunStatus s = build(run, data, activeJob(), List.of());
    assertThat(s.best().epoch()).isEqualTo(2);
    assertThat(s.best().metric()).isEqualTo("eval_loss");
    assertThat(s.best().value()).isEqualTo(1.35);
  }

  @Test
  void succeedsWhenTheJobCompletesWithASummary() {
    var data =
        progress(
            "epoch-0001.json", epochJson(1, 50.0),
            "epoch-0002.json", epochJson(2, 65.0),
            "summary.json", summaryJson(2, 65.0, false));
    FineTuneRunStatus s = build(run(2), data, jobWithCondition("Complete", null, null), List.of());
    assertThat(s.state()).isEqualTo("Succeeded");
    assertThat(s.reason()).isEqualTo("Succeeded");
    assertThat(cond(s, "Succeeded")).isEqualTo("True/Succeeded");
    assertThat(cond(s, "Failed")).isEqualTo("False/Succeeded");
    assertThat(cond(s, "Running")).isEqualTo("False/Succeeded");
    assertThat(s.best()).isEqualTo(new BestStatus(2, "micro_f1", 65.0, "ml/klue/epoch-2"));
  }

  @Test
  void theBestEpochCarriesTheModelSizeOnlyWhenItIsPlausible() {
    String model =
        ",\"model\":{\"parameters\":110618398,\"layers\":12,\"hiddenSize\":768,\"heads\":12,"
            + "\"intermediateSize\":3072,\"maxLength\":256}}";
    String summary = summaryJson(2, 65.0, false).replaceFirst("}$", model);
    var data =
        progress(
            "epoch-0001.json", epochJson(1, 50.0),
            "epoch-0002.json", epochJson(2, 65.0),
            "summary.json", summary);
    FineTuneRunStatus s = build(run(2), data, jobWithCondition("Complete", null, null), List.of());
    assertThat(s.best().model())
        .isEqualTo(new dev.kret.api.v1alpha1.ModelShape(110618398L, 12, 768, 12, 3072, 256));
    // The trainer can write anything there: a size the operator cannot believe is dropped.
    var lying =
        progress(
            "epoch-0001.json", epochJson(1, 50.0),
            "epoch-0002.json", epochJson(2, 65.0),
            "summary.json", summary.replace("\"heads\":12", "\"heads\":-12"));
    s = build(run(2), lying, jobWithCondition("Complete", null, null), List.of());
    assertThat(s.best().model()).isNull();
    assertThat(s.best().modelPath()).isEqualTo("ml/klue/epoch-2");
  }

  @Test
  void reportsEarlyStoppedAsASuccess() {
    var data =
        progress("epoch-0001.json", epochJson(1, 50.0), "summary.json", summaryJson(1, 50.0, true));
    FineTuneRunStatus s = build(run(10), data, jobWithCondition("Complete", null, null), List.of());
    assertThat(cond(s, "Succeeded")).isEqualTo("True/EarlyStopped");
    assertThat(s.state()).isEqualTo("Succeeded");
  }

  @Test
  void jobSucceededWithoutSummaryIsNoMetricsReceived() {
    var data = progress("epoch-0001.json", epochJson(1, 50.0));
    FineTuneRunStatus s = build(run(1), data, jobWithCondition("Complete", null, null), List.of());
    assertThat(s.state()).isEqualTo("Failed");
    assertThat(cond(s, "Failed")).isEqualTo("True/NoMetricsReceived");
    assertThat(cond(s, "Succeeded")).isEqualTo("False/NoMetricsReceived");
    assertThat(s.epochs()).hasSize(1);
  }

  @Test
  void waitsBrieflyForASummaryThatIsStillOnItsWay() {
    var job = jobWithCondition("Complete", null, null);
    job.getStatus().setCompletionTime(NOW.minusSeconds(10).toString());
    Observed in =
        new Observed(
            run(1), progress(), job, List.of(), List.of(), NOW, DEADLINE, Duration.ofSeconds(30));
    FineTuneRunStatus s = StatusDerivation.derive(in);
    assertThat(s.reason()).isEqualTo("AwaitingSummary");
    assertThat(cond(s, "Failed")).isEqualTo("False/AwaitingSummary");
    assertThat(StatusDerivation.recheckAfter(in)).contains(Duration.ofSeconds(20));
  }

  @Test
  void noMetricsReceivedOnceTheSummaryGraceIsOver() {
    var job = jobWithCondition("Complete", null, null);
    job.getStatus().setCompletionTime(NOW.minusSeconds(31).toString());
    Observed in =
        new Observed(
            run(1), progress(), job, List.of(), List.of(), NOW, DEADLINE, Duration.ofSeconds(30));
    assertThat(cond(StatusDerivation.derive(in), "Failed")).isEqualTo("True/NoMetricsReceived");
    assertThat(StatusDerivation.recheckAfter(in)).isEmpty();
  }

  @Test
  void takesTheSummaryFromTheTerminationMessageWhenTheConfigMapLacksIt() {
    Pod done =
        terminatedPod(
            "klue-train-a", 0, "Completed", summaryJson(1, 50.0, false), NOW.minusSeconds(5));
    FineTuneRunStatus s =
        build(run(1), progress(), jobWithCondition("Complete", null, null), List.of(done));
    assertThat(cond(s, "Succeeded")).isEqualTo("True/Succeeded");
    assertThat(s.best().epoch()).isEqualTo(1);
  }

  @Test
  void oomKilledPodIsTheRootCauseOfBackoffLimitExceeded() {
    Pod oom = terminatedPod("klue-train-a", 137, "OOMKilled", null, NOW.minusSeconds(10));
    FineTuneRunStatus s =
        build(
            run(3),
            progress(),
            jobWithCondition(
                "Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit"),
            List.of(oom));
    assertThat(s.state()).isEqualTo("Failed");
    assertThat(cond(s, "Failed")).isEqualTo("True/OOMKilled");
    assertThat(s.training().lastFailure().reason()).isEqualTo("OOMKilled");
    assertThat(s.training().lastFailure().exitCode()).isEqualTo(137);
  }

  @Test
  void recordsAnOomKillWhileTheJobRetries() {
    Pod oom = terminatedPod("klue-train-a", 137, "OOMKilled", null, NOW.minusSeconds(10));
    FineTuneRunStatus s = build(run(3), progress(), activeJob(), List.of(oom));
    assertThat(s.state()).isEqualTo("Pending");
    assertThat(s.training().lastFailure().reason()).isEqualTo("OOMKilled");
  }

  @Test
  void backoffLimitExceededWhenPodsFailedWithPlainErrors() {
    Pod err = terminatedPod("klue-train-a", 1, "Error", "boom", NOW.minusSeconds(10));
    FineTuneRunStatus s =
        build(
            run(3),
            progress(),
            jobWithCondition("Failed", "BackoffLimitExceeded", "limit"),
            List.of(err));
    assertThat(cond(s, "Failed")).isEqualTo("True/BackoffLimitExceeded");
    assertThat(s.condition("Failed").get().message()).contains("boom");
  }

  @Test
  void deadlineExceededWins() {
    FineTuneRunStatus s =
        build(
            run(3),
            progress(),
            jobWithCondition(
                "Failed", "DeadlineExceeded", "Job was active longer than specified deadline"),
            List.of());
    assertThat(cond(s, "Failed")).isEqualTo("True/DeadlineExceeded");
  }

  @Test
  void exitCodeThreeIsInvalidConfiguration() {
    Pod bad = terminatedPod("klue-train-a", 3, "Error", "unknown label set", NOW.minusSeconds(10));
    FineTuneRunStatus s =
        build(
            run(3),
            progress(),
            jobWithCondition("Failed", "PodFailurePolicy", "matched FailJob"),
            List.of(bad));
    assertThat(cond(s, "Failed")).isEqualTo("True/InvalidConfiguration");
    assertThat(s.training().lastFailure().exitCode()).isEqualTo(3);
  }

  @Test
  void failureTargetCountsAsFailedBeforeTheFailedCondition() {
    FineTuneRunStatus s =
        build(
            run(3),
            progress(),
            jobWithCondition("FailureTarget", "BackoffLimitExceeded", "x"),
            List.of());
    assertThat(s.state()).isEqualTo("Failed");
  }

  @Test
  void pendingPodIsNotUnschedulableBeforeTheDeadline() {
    FineTuneRunStatus s =
        build(run(3), progress(), activeJob(), List.of(unschedulablePod(Duration.ofMinutes(2))));
    assertThat(s.reason()).isEqualTo("Pending");
    assertThat(
            StatusDerivation.recheckAfter(
                observed(
                    run(3),
                    progress(),
                    activeJob(),
                    List.of(unschedulablePod(Duration.ofMinutes(2))))))
        .contains(Duration.ofMinutes(3));
  }

  @Test
  void unschedulableAfterThePendingDeadlineWithTheSchedulersMessage() {
    FineTuneRunStatus s =
        build(run(3), progress(), activeJob(), List.of(unschedulablePod(Duration.ofMinutes(6))));
    assertThat(s.state()).isEqualTo("Pending");
    assertThat(cond(s, "Succeeded")).isEqualTo("Unknown/Unschedulable");
    assertThat(s.condition("Succeeded").get().message()).contains("Insufficient nvidia.com/gpu");
  }

  @Test
  void imagePullFailureIsReportedAtOnce() {
    FineTuneRunStatus s =
        build(
            run(3),
            progress(),
            activeJob(),
            List.of(waitingPod("ImagePullBackOff", "Back-off pulling image")));
    assertThat(s.reason()).isEqualTo("ImagePullFailed");
    assertThat(s.condition("Running").get().message()).contains("ghcr.io/kret-dev/kret:0.1.0");
  }

  @Test
  void missingSecretIsContainerConfigError() {
    FineTuneRunStatus s =
        build(
            run(3),
            progress(),
            activeJob(),
            List.of(waitingPod("CreateContainerConfigError", "secret \"hf-token\" not found")));
    assertThat(s.reason()).isEqualTo("ContainerConfigError");
  }

  @Test
  void suspendedJobIsQueued() {
    FineTuneRunStatus s = build(run(3), progress(), suspendedJob(), List.of());
    assertThat(s.reason()).isEqualTo("Queued");
    assertThat(s.state()).isEqualTo("Pending");
  }

  @Test
  void invalidSpecFailsWithoutAJob() {
    Observed in =
        new Observed(run(3), null, null, List.of(), List.of("spec.x is wrong"), NOW, DEADLINE);
    FineTuneRunStatus s = StatusDerivation.derive(in);
    assertThat(cond(s, "Failed")).isEqualTo("True/InvalidSpec");
    assertThat(s.condition("Failed").get().message()).isEqualTo("spec.x is wrong");
  }

  @Test
  void finishedRunStaysFinishedAfterItsJobIsDeleted() {
    FineTuneRun run = run(1);
    var data =
        progress(
            "epoch-0001.json", epochJson(1, 50.0), "summary.json", summaryJson(1, 50.0, false));
    withStatus(run, build(run, data, jobWithCondition("Complete", null, null), List.of()));
    FineTuneRunStatus after = build(run, data, null, List.of());
    assertThat(after).isEqualTo(run.getStatus());
  }

  @Test
  void recomputingFromTheSameObservationsChangesNothing() {
    FineTuneRun run = run(3);
    var data = progress("epoch-0001.json", epochJson(1, 50.0));
    withStatus(run, build(run, data, activeJob(), List.of(runningPod())));
    FineTuneRunStatus again =
        StatusDerivation.derive(
            new Observed(
                run,
                data,
                activeJob(),
                List.of(runningPod()),
                List.of(),
                NOW.plusSeconds(3600),
                DEADLINE));
    assertThat(again).isEqualTo(run.getStatus());
  }

  @Test
  void transitionTimeMovesOnlyWhenStatusFlips() {
    FineTuneRun run = run(3);
    withStatus(
        run, build(run, progress(), activeJob(), List.of(unschedulablePod(Duration.ofMinutes(1)))));
    String pendingSince = run.getStatus().condition("Running").get().lastTransitionTime();
    FineTuneRunStatus s =
        StatusDerivation.derive(
            new Observed(
                run,
                progress(),
                activeJob(),
                List.of(unschedulablePod(Duration.ofMinutes(1))),
                List.of(),
                NOW.plusSeconds(600),
                DEADLINE));
    assertThat(s.reason()).isEqualTo("Unschedulable");
    assertThat(s.condition("Running").get().lastTransitionTime()).isEqualTo(pendingSince);
    FineTuneRunStatus running =
        StatusDerivation.derive(
            new Observed(
                withStatus(run, s),
                progress(),
                activeJob(),
                List.of(runningPod()),
                List.of(),
                NOW.plusSeconds(900),
                DEADLINE));
    assertThat(running.condition("Running").get().lastTransitionTime())
        .isEqualTo("2026-03-01T12:15:00Z");
  }

  @Test
  void keepsPromotedStateAndServingFromThePriorStatus() {
    FineTuneRun run = run(1);
    var data =
        progress(
            "epoch-0001.json", epochJson(1, 50.0), "summary.json", summaryJson(1, 50.0, false));
    FineTuneRunStatus done = build(run, data, jobWithCondition("Complete", null, null), List.of());
    List<Condition> promoted =
        Conditions.set(done.conditions(), "Promoted", "True", "Promoted", null, 1, NOW);
    var serving =
        new dev.kret.api.v1alpha1.ServingStatus("klue-re", "http://klue-re.ml:8080", "a", null);
    withStatus(
        run,
        new FineTuneRunStatus(
            done.observedGeneration(),
            "Promoted",
            done.reason(),
            promoted,
            done.progress(),
            done.epochs(),
            done.best(),
            done.training(),
            serving));
    FineTuneRunStatus s = build(run, data, jobWithCondition("Complete", null, null), List.of());
    assertThat(s.state()).isEqualTo("Promoted");
    assertThat(s.serving()).isEqualTo(serving);
    assertThat(cond(s, "Promoted")).isEqualTo("True/Promoted");
  }

  @Test
  void pendingDeadlineIsWrittenAsConfigured() {
    assertThat(StatusDerivation.shortDuration(java.time.Duration.ofSeconds(20))).isEqualTo("20s");
    assertThat(StatusDerivation.shortDuration(java.time.Duration.ofMinutes(5))).isEqualTo("5m");
    assertThat(StatusDerivation.shortDuration(java.time.Duration.ofMinutes(90))).isEqualTo("1h30m");
    assertThat(StatusDerivation.shortDuration(java.time.Duration.ofHours(2))).isEqualTo("2h");
    assertThat(StatusDerivation.shortDuration(java.time.Duration.ofSeconds(90))).isEqualTo("90s");
  }

  @Test
  void showsTheDeviceTheTrainerReportedAndKeepsIt() {
    String device =
        "{\"device\":\"gpu(0)\",\"libtorch\":\"2.7.1\",\"flavor\":\"cu128\","
            + "\"gpusVisible\":1,\"startedAt\":\"2026-03-01T11:00:00Z\"}";
    FineTuneRunStatus s =
        build(run(3), progress("device.json", device), activeJob(), List.of(runningPod()));
    assertThat(s.training().device())
        .isEqualTo("gpu(0) (libtorch 2.7.1, flavor cu128, 1 GPU visible)");
    FineTuneRunStatus later =
        build(withStatus(run(3), s), progress("device.json", "{broken"), activeJob(), List.of());
    assertThat(later.training().device()).isEqualTo(s.training().device());
    assertThat(build(run(3), progress(), activeJob(), List.of()).training().device()).isNull();
  }

  @Test
  void ignoresASummaryAboutAnotherMetricThanTheObjective() {
    FineTuneRunStatus s =
        build(
            run(3),
            progress(
                "epoch-0001.json", epochJson(1, 40.0),
                "epoch-0002.json", epochJson(2, 45.0),
                "summary.json",
                    "{\"bestEpoch\":1,\"metric\":\"accuracy\",\"value\":99.0,\"epochsRun\":2}"),
            activeJob(),
            List.of(runningPod()));
    assertThat(s.best().epoch()).isEqualTo(2);
    assertThat(s.best().metric()).isEqualTo("micro_f1");
    assertThat(s.best().value()).isEqualTo(45.0);
  }

  /** The trainer writes these keys: one the operator cannot use is skipped, never fatal. */
  @Test
  void skipsProgressKeysItCannotUse() {
    FineTuneRunStatus s =
        build(
            run(3),
            progress(
                "epoch-0001.json", epochJson(1, 40.0),
                "epoch-99999999999.json", epochJson(2, 45.0),
                "epoch-0000.json", epochJson(0, 50.0),
                "epoch-0003.json", epochJson(2, 60.0),
                "epoch-0004.json", "{\"epoch\":99999999999}"),
            activeJob(),
            List.of(runningPod()));
    assertThat(s.epochs()).extracting(e -> e.epoch()).containsExactly(1);
    assertThat(ProgressKeys.epochOf("epoch-99999999999.json")).isEmpty();
    assertThat(ProgressKeys.epochOf("epoch-0007.json")).contains(7);
  }
}
