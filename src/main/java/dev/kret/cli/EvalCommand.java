package dev.kret.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kret.contract.ExitCodes;
import dev.kret.data.DatasetException;
import dev.kret.data.KlueReDataset;
import dev.kret.data.LoadOptions;
import dev.kret.hub.Hub;
import dev.kret.metrics.EvalReport;
import dev.kret.metrics.ReMetrics;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code kretctl eval}: the official KLUE-RE metrics of a model directory on a data file. */
@Command(
    name = "eval",
    mixinStandardHelpOptions = true,
    description = "Score a model directory on KLUE-RE data (official metrics).")
public class EvalCommand implements Callable<Integer> {

  @Spec CommandSpec command;

  @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory.")
  Path model;

  @Option(
      names = "--data",
      required = true,
      paramLabel = "FILE",
      description = "KLUE-RE JSON: a path, http(s) URL or builtin:klue-re-sample/validation.")
  String data;

  @Option(names = "--json", description = "Print one JSON object.")
  boolean json;

  @Option(
      names = "--per-class",
      description = "Also print precision, recall, F1 and support per label (text output).")
  boolean perClass;

  @Mixin DataOptions input;

  @Mixin VerboseOption verbosity;

  @Override
  public Integer call() {
    PrintWriter out = command.commandLine().getOut();
    PrintWriter err = command.commandLine().getErr();
    try {
      KlueReDataset ds =
          KlueReDataset.load(
              data,
              LoadOptions.defaults().withSkipInvalid(input.skipInvalid),
              Hub.fromEnvironment());
      OfflineModel.Scores scores = OfflineModel.score(model, ds.examples(), input.batchSize);
      int[] labels = ds.labelIds();
      EvalReport r =
          ReMetrics.evaluate(
              labels, scores.probabilities(), scores.meanNll(labels), scores.labels());
      if (json) {
        ObjectNode n = new ObjectMapper().createObjectNode();
        n.put("examples", r.examples());
        n.put("accuracy", r.accuracy());
        n.put("micro_f1", r.microF1());
        n.put("auprc", r.auprc());
        n.put("eval_loss", r.evalLoss());
        if (ds.skipped() > 0) {
          n.put("skipped", ds.skipped());
        }
        out.println(n);
      } else {
        out.printf(Locale.ROOT, "examples   %d%n", r.examples());
        out.printf(Locale.ROOT, "accuracy   %.2f%n", r.accuracy());
        out.printf(Locale.ROOT, "micro_f1   %.2f%n", r.microF1());
        out.printf(Locale.ROOT, "auprc      %.2f%n", r.auprc());
        out.printf(Locale.ROOT, "eval_loss  %.4f%n", r.evalLoss());
        if (ds.skipped() > 0) {
          out.printf(Locale.ROOT, "skipped    %d invalid rows%n", ds.skipped());
        }
        if (perClass) {
          out.printf(
              Locale.ROOT,
              "%n%-38s %9s %9s %9s %8s%n",
              "label",
              "precision",
              "recall",
              "f1",
              "support");
          for (var c : r.perClass()) {
            out.printf(
                Locale.ROOT,
                "%-38s %9.4f %9.4f %9.4f %8d%n",
                c.label(),
                c.precision(),
                c.recall(),
                c.f1(),
                c.support());
          }
        }
      }
      out.flush();
      return ExitCodes.OK;
    } catch (DatasetException | IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
      verbosity.trace(err, e);
      return ExitCodes.INVALID_CONFIG;
    } catch (Exception e) {
      err.println("error: " + e.getMessage());
      verbosity.trace(err, e);
      return ExitCodes.FAILED;
    }
  }
}
