package dev.kret.cli;

import dev.kret.api.v1alpha1.FineTuneRun;
import dev.kret.data.DatasetException;
import dev.kret.hub.Hub;
import dev.kret.hub.HubException;
import dev.kret.model.Djl;
import dev.kret.train.ConsoleSink;
import dev.kret.train.FineTuner;
import dev.kret.train.JsonlSink;
import dev.kret.train.ProgressSink;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code kretctl train}: runs a FineTuneRun in this process. */
@Command(
    name = "train",
    description = {
      "Fine-tune a relation-extraction model.",
      "Without arguments: the embedded default (bundled KLUE-RE sample, small model, CPU).",
      "Killed and started again with the same arguments, it resumes from the last finished epoch."
    })
public class TrainCommand implements Callable<Integer> {

  @Spec CommandSpec command;

  @Option(
      names = "--local",
      paramLabel = "FILE",
      description = "A FineTuneRun YAML to run in-process (no cluster).")
  Path local;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "DIR",
      description = "Run directory (epochs, checkpoint, metrics.jsonl). Default: runs/<name>.")
  Path output;

  @Option(
      names = "--device",
      defaultValue = "auto",
      description = "auto (a GPU when present), cpu or gpu.")
  String device;

  @Option(names = "--verbose", description = "Print stack traces.")
  boolean verbose;

  @Override
  public Integer call() {
    PrintWriter err = command.commandLine().getErr();
    try {
      FineTuneRun run = local != null ? RunFiles.read(local) : RunFiles.readDefault();
      String name =
          run.getMetadata() != null && run.getMetadata().getName() != null
              ? run.getMetadata().getName()
              : "run";
      Path out = output != null ? output : Path.of("runs", name);
      Djl.offline();
      List<ProgressSink> sinks = new ArrayList<>();
      sinks.add(new ConsoleSink(System.err, System.console() != null));
      sinks.add(new JsonlSink(out.resolve("metrics.jsonl")));
      FineTuner tuner =
          new FineTuner(
              run.getSpec(),
              new FineTuner.Options(name, out, !device.equals("cpu"), Hub.fromEnvironment()),
              sinks);
      tuner.run();
      return ExitCodes.OK;
    } catch (RunFiles.InvalidSpecException | DatasetException | FineTuner.InvalidRunException e) {
      err.println("error: " + e.getMessage());
      trace(err, e);
      return ExitCodes.INVALID_CONFIG;
    } catch (HubException e) {
      err.println("error: " + e.getMessage());
      trace(err, e);
      return ExitCodes.FAILED;
    } catch (Exception e) {
      err.println("error: " + e);
      trace(err, e);
      return ExitCodes.FAILED;
    }
  }

  private void trace(PrintWriter err, Exception e) {
    if (verbose) {
      e.printStackTrace(err);
    }
    err.flush();
  }
}
