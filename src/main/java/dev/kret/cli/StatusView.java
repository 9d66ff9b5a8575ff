package dev.kret.cli;

import dev.kret.api.v1alpha1.BestStatus;
import dev.kret.api.v1alpha1.Condition;
import dev.kret.api.v1alpha1.EpochStatus;
import dev.kret.api.v1alpha1.FailureStatus;
import dev.kret.api.v1alpha1.FineTuneRun;
import dev.kret.api.v1alpha1.FineTuneRunStatus;
import dev.kret.api.v1alpha1.ObjectiveSpec;
import dev.kret.api.v1alpha1.ProgressStatus;
import dev.kret.api.v1alpha1.ServingStatus;
import dev.kret.api.v1alpha1.TrainingStatus;
import dev.kret.contract.Reason;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/** Renders FineTuneRuns for {@code kretctl status}: pure functions of the objects and a clock. */
public final class StatusView {

  /** What the detail view shows besides the run itself; any part may be null or empty. */
  public record Detail(
      FineTuneRun run, Job job, List<Pod> pods, List<Event> warnings, Deployment predictor) {}

  private StatusView() {}

  // ---------------------------------------------------------------- table

  public static String table(
      List<FineTuneRun> runs, boolean allNamespaces, boolean wide, Instant now) {
    List<String> header = new ArrayList<>();
    if (allNamespaces) {
      header.add("NAMESPACE");
    }
    header.addAll(List.of("NAME", "STATE", "EPOCH", "BEST", "SERVING", "AGE"));
    if (wide) {
      header.addAll(List.of("GPU", "JOB", "ENDPOINT"));
    }
    header.add("REASON");
    List<List<String>> rows = new ArrayList<>();
    rows.add(header);
    for (FineTuneRun r : runs) {
      FineTuneRunStatus s = r.getStatus();
      List<String> row = new ArrayList<>();
      if (allNamespaces) {
        row.add(r.getMetadata().getNamespace());
      }
      row.add(r.getMetadata().getName());
      row.add(state(s));
      row.add(epoch(s));
      row.add(best(s));
      row.add(
          s == null || s.serving() == null || s.serving().name() == null
              ? "-"
              : s.serving().name());
      row.add(age(r.getMetadata().getCreationTimestamp(), now));
      if (wide) {
        Integer gpus =
            r.getSpec() == null || r.getSpec().resources() == null
                ? null
                : r.getSpec().resources().gpus();
        row.add(gpus == null ? "-" : gpus.toString());
        row.add(
            s == null || s.training() == null || s.training().jobName() == null
                ? "-"
                : s.training().jobName());
        row.add(
            s == null || s.serving() == null || s.serving().url() == null
                ? "-"
                : s.serving().url());
      }
      row.add(problem(s));
      rows.add(row);
    }
    return columns(rows, "");
  }

  static String state(FineTuneRunStatus s) {
    return s == null || s.state() == null ? FineTuneRunStatus.PENDING : s.state();
  }

  static String epoch(FineTuneRunStatus s) {
    if (s == null || s.progress() == null) {
      return "-";
    }
    ProgressStatus p = s.progress();
    return p.inMaskedLm()
        ? "mlm " + fraction(p.mlmEpoch(), p.mlmEpochs())
        : fraction(p.epoch(), p.totalEpochs());
  }

  /** "done/total", with 0 for an unknown count done and ? for an unknown total. */
  static String fraction(Integer done, Integer total) {
    return (done == null ? 0 : done) + "/" + (total == null ? "?" : total);
  }

  /** "2/4 epochs, loss 5.0912" for a run with masked-LM epochs first; null without. */
  static String maskedLm(FineTuneRunStatus s) {
    ProgressStatus p = s == null ? null : s.progress();
    if (p == null || p.mlmEpochs() == null || p.mlmEpochs() == 0) {
      return null;
    }
    return fraction(p.mlmEpoch(), p.mlmEpochs())
        + " epochs"
        + (p.mlmLoss() == null ? "" : ", loss " + loss(p.mlmLoss()));
  }

  static String best(FineTuneRunStatus s) {
    BestStatus b = s == null ? null : s.best();
    if (b == null || b.value() == null) {
      return "-";
    }
    return b.metric() + "=" + number(b.value());
  }

  /**
   * The reason when something is wrong or waits for the user: a Warning reason (Unschedulable,
   * OOMKilled, ...), a retried failure while training goes on, or a manual promotion to approve.
   */
  static String problem(FineTuneRunStatus s) {
    if (s == null) {
      return "";
    }
    if (s.reason() != null && isWarning(s.reason())) {
      return s.reason();
    }
    if (FineTuneRunStatus.TRAINING.equals(s.state())
        && s.training() != null
        && s.training().lastFailure() != null
        && s.training().lastFailure().reason() != null) {
      return "Retried after " + s.training().lastFailure().reason();
    }
    return s.condition("Promoted")
        .filter(c -> Reason.AwaitingManualPromotion.name().equals(c.reason()))
        .map(Condition::reason)
        .orElse("");
  }

  static boolean isWarning(String reason) {
    try {
      return "Warning".equals(Reason.valueOf(reason).eventType());
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  // ---------------------------------------------------------------- detail

  public static String detail(Detail d, Instant now) {
    FineTuneRun run = d.run();
    FineTuneRunStatus s = run.getStatus() == null ? FineTuneRunStatus.empty() : run.getStatus();
    StringBuilder b = new StringBuilder();
    List<List<String>> head = new ArrayList<>();
    head.add(List.of("Name:", run.getMetadata().getName()));
    head.add(List.of("Namespace:", run.getMetadata().getNamespace()));
    head.add(List.of("Age:", age(run.getMetadata().getCreationTimestamp(), now)));
    String state =
        state(s)
            + (s.reason() != null && !s.reason().equals(state(s)) ? " (" + s.reason() + ")" : "");
    head.add(List.of("State:", state));
    if (run.getSpec() != null && run.getSpec().model() != null) {
      var m = run.getSpec().model();
      head.add(
          List.of(
              "Model:", m.name() != null ? m.name() : Objects.toString(m.uri(), "random init")));
    }
    head.add(List.of("Epoch:", epoch(s)));
    String maskedLm = maskedLm(s);
    if (maskedLm != null) {
      head.add(List.of("Masked-LM:", maskedLm));
    }
    if (s.best() != null && s.best().value() != null) {
      head.add(
          List.of(
              "Best:",
              best(s) + " at epoch " + s.best().epoch() + " (" + s.best().modelPath() + ")"));
    }
    b.append(columns(head, ""));

    b.append("\nConditions:\n");
    List<List<String>> conds = new ArrayList<>();
    conds.add(List.of("TYPE", "STATUS", "REASON", "SINCE", "MESSAGE"));
    for (Condition c : s.conditions() == null ? List.<Condition>of() : s.conditions()) {
      conds.add(
          List.of(
              c.type(),
              c.status(),
              Objects.toString(c.reason(), ""),
              age(c.lastTransitionTime(), now),
              Objects.toString(c.message(), "")));
    }
    b.append(conds.size() == 1 ? "  <none>\n" : columns(conds, "  "));

    b.append(epochs(s, now));
    b.append(chart(s));
    b.append(training(s.training(), d.job(), d.pods(), now));
    b.append(serving(s.serving(), d.predictor()));

    b.append("\nWarning events:\n");
    List<Event> events = d.warnings() == null ? List.of() : d.warnings();
    if (events.isEmpty()) {
      b.append("  <none>\n");
    } else {
      List<List<String>> rows = new ArrayList<>();
      rows.add(List.of("LAST SEEN", "REASON", "OBJECT", "COUNT", "MESSAGE"));
      for (Event e : events) {
        rows.add(
            List.of(
                age(eventTime(e), now),
                Objects.toString(e.getReason(), ""),
                e.getInvolvedObject() == null
                    ? ""
                    : e.getInvolvedObject().getKind().toLowerCase(Locale.ROOT)
                        + "/"
                        + e.getInvolvedObject().getName(),
                e.getCount() == null ? "1" : e.getCount().toString(),
                Objects.toString(e.getMessage(), "").strip()));
      }
      b.append(columns(rows, "  "));
    }
    return b.toString();
  }

  static String epochs(FineTuneRunStatus s, Instant now) {
    StringBuilder b = new StringBuilder("\nEpochs:\n");
    List<EpochStatus> epochs = s.epochs() == null ? List.of() : s.epochs();
    if (epochs.isEmpty()) {
      return b.append("  <none yet>\n").toString();
    }
    Integer best = s.best() == null ? null : s.best().epoch();
    List<List<String>> rows = new ArrayList<>();
    rows.add(
        List.of(
            "", "EPOCH", "TRAIN LOSS", "EVAL LOSS", "ACCURACY", "MICRO F1", "AUPRC", "FINISHED"));
    for (EpochStatus e : epochs) {
      rows.add(
          List.of(
              Objects.equals(e.epoch(), best) ? "*" : "",
              Objects.toString(e.epoch(), "?"),
              loss(e.trainLoss()),
              loss(e.evalLoss()),
              number(e.accuracy()),
              number(e.microF1()),
              number(e.auprc()),
              e.time() == null ? "-" : age(e.time(), now) + " ago"));
    }
    b.append(columns(rows, " "));
    if (best != null) {
      b.append("  * best by ").append(s.best().metric()).append('\n');
    }
    return b.toString();
  }

  static final int CHART_WIDTH = 30;

  /** One horizontal bar per epoch, scaled between a floor below the minimum and the maximum. */
  static String chart(FineTuneRunStatus s) {
    List<EpochStatus> epochs = s.epochs() == null ? List.of() : s.epochs();
    String metric =
        s.best() != null && s.best().metric() != null
            ? s.best().metric()
            : ObjectiveSpec.DEFAULT_METRIC;
    List<EpochStatus> points = epochs.stream().filter(e -> e.metric(metric) != null).toList();
    if (points.isEmpty()) {
      return "";
    }
    double min = points.stream().mapToDouble(e -> e.metric(metric)).min().orElse(0);
    double max = points.stream().mapToDouble(e -> e.metric(metric)).max().orElse(0);
    double floor = max > min ? Math.max(0, min - (max - min) / 2) : 0;
    if (max <= floor) {
      floor = max > 0 ? 0 : max - 1;
    }
    Integer best = s.best() == null ? null : s.best().epoch();
    StringBuilder b = new StringBuilder("\n").append(metric).append(" per epoch:\n");
    int numberWidth =
        points.stream().mapToInt(e -> String.valueOf(e.epoch()).length()).max().orElse(1);
    for (EpochStatus e : points) {
      double v = e.metric(metric);
      int len = (int) Math.round((v - floor) / (max - floor) * CHART_WIDTH);
      len = Math.max(len, 1);
      b.append(Objects.equals(e.epoch(), best) ? "  * " : "    ")
          .append(String.format(Locale.ROOT, "%" + numberWidth + "d", e.epoch()))
          .append(" │")
          .append("█".repeat(len))
          .append(" ".repeat(CHART_WIDTH - len + 1))
          .append(number(v))
          .append('\n');
    }
    return b.toString();
  }

  static String training(TrainingStatus t, Job job, List<Pod> pods, Instant now) {
    StringBuilder b = new StringBuilder("\nTraining:\n");
    String jobName = t == null ? null : t.jobName();
    if (jobName == null && job == null) {
      b.append("  Job:      <none yet>\n");
    } else {
      b.append("  Job:      ").append(jobName == null ? job.getMetadata().getName() : jobName);
      if (job == null) {
        b.append(" (gone: removed after its TTL)");
      } else if (job.getStatus() != null) {
        var js = job.getStatus();
        b.append(
            String.format(
                Locale.ROOT,
                " (active %d, succeeded %d, failed %d%s)",
                js.getActive() == null ? 0 : js.getActive(),
                js.getSucceeded() == null ? 0 : js.getSucceeded(),
                js.getFailed() == null ? 0 : js.getFailed(),
                Boolean.TRUE.equals(job.getSpec() == null ? null : job.getSpec().getSuspend())
                    ? ", suspended"
                    : ""));
      }
      b.append('\n');
    }
    if (t != null && t.attempts() != null) {
      b.append("  Attempts: ").append(t.attempts()).append('\n');
    }
    if (t != null && t.device() != null) {
      b.append("  Device: ").append(t.device()).append('\n');
    }
    if (t != null && t.lastFailure() != null) {
      FailureStatus f = t.lastFailure();
      b.append("  Last failure: ")
          .append(Objects.toString(f.reason(), "?"))
          .append(f.exitCode() == null ? "" : " (exit code " + f.exitCode() + ")")
          .append(f.time() == null ? "" : ", " + age(f.time(), now) + " ago")
          .append(f.message() == null ? "" : ": " + f.message().strip())
          .append('\n');
    }
    List<Pod> ps = pods == null ? List.of() : pods;
    if (!ps.isEmpty()) {
      List<List<String>> rows = new ArrayList<>();
      rows.add(List.of("POD", "PHASE", "CONTAINER", "RESTARTS", "AGE"));
      for (Pod p : ps) {
        rows.add(
            List.of(
                p.getMetadata().getName(),
                p.getStatus() == null
                    ? "Unknown"
                    : Objects.toString(p.getStatus().getPhase(), "Unknown"),
                container(p),
                String.valueOf(restarts(p)),
                age(p.getMetadata().getCreationTimestamp(), now)));
      }
      b.append(columns(rows, "  "));
    }
    return b.toString();
  }

  static String container(Pod p) {
    if (p.getStatus() == null || p.getStatus().getContainerStatuses() == null) {
      return "-";
    }
    for (ContainerStatus c : p.getStatus().getContainerStatuses()) {
      var st = c.getState();
      if (st == null) {
        continue;
      }
      if (st.getWaiting() != null) {
        return "Waiting: " + Objects.toString(st.getWaiting().getReason(), "?");
      }
      if (st.getTerminated() != null) {
        return "Terminated: "
            + Objects.toString(st.getTerminated().getReason(), "?")
            + " (exit code "
            + st.getTerminated().getExitCode()
            + ")";
      }
      if (st.getRunning() != null) {
        return "Running";
      }
    }
    return "-";
  }

  static int restarts(Pod p) {
    if (p.getStatus() == null || p.getStatus().getContainerStatuses() == null) {
      return 0;
    }
    return p.getStatus().getContainerStatuses().stream()
        .mapToInt(c -> c.getRestartCount() == null ? 0 : c.getRestartCount())
        .sum();
  }

  static String serving(ServingStatus s, Deployment predictor) {
    StringBuilder b = new StringBuilder("\nServing:\n");
    if (s == null || s.name() == null) {
      return b.append("  <not promoted>\n").toString();
    }
    b.append("  Name:     ").append(s.name());
    if (predictor != null && predictor.getStatus() != null) {
      var ds = predictor.getStatus();
      b.append(
          String.format(
              Locale.ROOT,
              " (ready %d/%d)",
              ds.getReadyReplicas() == null ? 0 : ds.getReadyReplicas(),
              predictor.getSpec() == null || predictor.getSpec().getReplicas() == null
                  ? 1
                  : predictor.getSpec().getReplicas()));
    }
    b.append('\n');
    if (s.url() != null) {
      b.append("  Endpoint: ").append(s.url()).append('\n');
    }
    if (s.activeModel() != null) {
      b.append("  Model:    ").append(s.activeModel()).append('\n');
    }
    if (s.previousModel() != null) {
      b.append("  Previous: ")
          .append(s.previousModel())
          .append(" (kretctl rollback ")
          .append(s.name())
          .append(")\n");
    }
    return b.toString();
  }

  /** The latest Warning events about the run, its Job or its pods, newest first. */
  public static List<Event> latestWarnings(
      List<Event> events, java.util.Set<String> names, int limit) {
    return events.stream()
        .filter(e -> "Warning".equals(e.getType()))
        .filter(
            e -> e.getInvolvedObject() != null && names.contains(e.getInvolvedObject().getName()))
        .sorted(
            Comparator.comparing(
                StatusView::eventTime, Comparator.nullsLast(Comparator.reverseOrder())))
        .limit(limit)
        .toList();
  }

  static String eventTime(Event e) {
    if (e.getLastTimestamp() != null) {
      return e.getLastTimestamp();
    }
    if (e.getEventTime() != null && e.getEventTime().getTime() != null) {
      return e.getEventTime().getTime();
    }
    return e.getMetadata() == null ? null : e.getMetadata().getCreationTimestamp();
  }

  // ---------------------------------------------------------------- helpers

  static String number(Double v) {
    return v == null ? "-" : String.format(Locale.ROOT, "%.2f", v);
  }

  static String loss(Double v) {
    return v == null ? "-" : String.format(Locale.ROOT, "%.4f", v);
  }

  /** kubectl's human-readable age of an RFC 3339 time. */
  static String age(String time, Instant now) {
    if (time == null) {
      return "<unknown>";
    }
    try {
      return age(Duration.between(OffsetDateTime.parse(time).toInstant(), now));
    } catch (RuntimeException e) {
      return "<unknown>";
    }
  }

  static String age(Duration d) {
    long s = Math.max(0, d.getSeconds());
    long m = s / 60;
    long h = m / 60;
    long days = h / 24;
    if (s < 120) {
      return s + "s";
    }
    if (m < 10) {
      return m + "m" + (s % 60 == 0 ? "" : (s % 60) + "s");
    }
    if (m < 180) {
      return m + "m";
    }
    if (h < 8) {
      return h + "h" + (m % 60 == 0 ? "" : (m % 60) + "m");
    }
    if (h < 48) {
      return h + "h";
    }
    if (h < 24 * 8) {
      return days + "d" + (h % 24 == 0 ? "" : (h % 24) + "h");
    }
    if (days < 365 * 2) {
      return days + "d";
    }
    return days / 365 + "y";
  }

  /** Left-aligned columns separated by three spaces, kubectl style; trailing blanks trimmed. */
  static String columns(List<List<String>> rows, String indent) {
    int n = rows.stream().mapToInt(List::size).max().orElse(0);
    int[] width = new int[n];
    for (List<String> r : rows) {
      for (int i = 0; i < r.size(); i++) {
        width[i] = Math.max(width[i], r.get(i).length());
      }
    }
    StringBuilder b = new StringBuilder();
    for (List<String> r : rows) {
      StringBuilder line = new StringBuilder(indent);
      for (int i = 0; i < r.size(); i++) {
        if (i > 0 && width[i - 1] > 0) {
          line.append("   ");
        }
        line.append(r.get(i)).append(" ".repeat(width[i] - r.get(i).length()));
      }
      b.append(line.toString().stripTrailing()).append('\n');
    }
    return b.toString();
  }
}
