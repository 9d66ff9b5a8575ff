package dev.kret.train;

import dev.kret.model.DeviceChoice;
import java.io.PrintStream;
import java.util.Locale;

/** A progress bar with step, loss, samples/s and ETA, then one table row per epoch. */
public final class ConsoleSink implements ProgressSink {

  private final PrintStream out;
  private final boolean interactive;
  private boolean headerPrinted;
  private boolean barShown;
  private long lastLine;

  public ConsoleSink(PrintStream out, boolean interactive) {
    this.out = out;
    this.interactive = interactive;
  }

  @Override
  public void device(DeviceChoice.Decision d) {
    out.println(d.message());
  }

  @Override
  public void note(String line) {
    clearBar();
    out.println(line);
  }

  @Override
  public void started(RunPlan p) {
    out.printf(
        Locale.ROOT,
        "run %s: %d train / %d validation examples, %,d parameters, %s, epochs %d..%d, %d steps/epoch%n",
        p.name(),
        p.trainExamples(),
        p.validationExamples(),
        p.parameters(),
        p.device(),
        p.startEpoch(),
        p.totalEpochs(),
        p.stepsPerEpoch());
  }

  @Override
  public void step(StepProgress s) {
    bar("epoch", s);
  }

  @Override
  public void mlmStep(StepProgress s) {
    bar("masked-LM epoch", s);
  }

  @Override
  public void mlmEpoch(MlmEpoch r) {
    clearBar();
    out.printf(
        Locale.ROOT,
        "masked-LM epoch %d/%d: loss %.4f, %.1f samples/s%n",
        r.epoch(),
        r.epochs(),
        r.loss(),
        r.samplesPerSecond());
  }

  private void bar(String label, StepProgress s) {
    long now = System.nanoTime();
    if (!interactive && now - lastLine < 30_000_000_000L && s.step() != s.steps()) {
      return;
    }
    lastLine = now;
    int width = 24;
    int filled = (int) Math.round(width * (double) s.step() / Math.max(1, s.steps()));
    String bar =
        "=".repeat(filled)
            + (filled < width ? ">" : "")
            + " ".repeat(Math.max(0, width - filled - 1));
    String line =
        String.format(
            Locale.ROOT,
            "%s %d/%d [%s] %d/%d loss %.4f %.1f samples/s ETA %s",
            label,
            s.epoch(),
            s.totalEpochs(),
            bar,
            s.step(),
            s.steps(),
            s.loss(),
            s.samplesPerSecond(),
            eta(s.etaSeconds()));
    if (interactive) {
      out.print("\r" + line);
      barShown = true;
    } else {
      out.println(line);
    }
    out.flush();
  }

  private static String eta(double seconds) {
    long s = Math.round(seconds);
    return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
  }

  private void clearBar() {
    if (barShown) {
      out.print("\r" + " ".repeat(120) + "\r");
      barShown = false;
    }
  }

  @Override
  public void epoch(EpochRecord r, boolean best) {
    clearBar();
    if (!headerPrinted) {
      out.printf(
          Locale.ROOT,
          "%5s %10s %9s %9s %9s %9s %10s%n",
          "epoch",
          "train_loss",
          "eval_loss",
          "accuracy",
          "micro_f1",
          "auprc",
          "samples/s");
      headerPrinted = true;
    }
    out.printf(
        Locale.ROOT,
        "%5d %10.4f %9.4f %9.2f %9.2f %9.2f %10.1f%s%n",
        r.epoch(),
        r.trainLoss(),
        r.evalLoss(),
        r.accuracy(),
        r.microF1(),
        r.auprc(),
        r.samplesPerSecond(),
        best ? "  *best" : "");
  }

  @Override
  public void finished(RunSummary s) {
    out.printf(
        Locale.ROOT,
        "best epoch %d: %s %.2f -> %s%s%n",
        s.bestEpoch(),
        s.metric(),
        s.value(),
        s.modelPath(),
        s.earlyStopped() ? " (early stopped)" : "");
  }

  @Override
  public void stopped(String message) {
    if (barShown) {
      out.println();
      barShown = false;
    }
    out.println(message);
    out.flush();
  }
}
