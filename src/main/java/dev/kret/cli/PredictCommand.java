package dev.kret.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kret.data.DatasetException;
import dev.kret.data.KlueReDataset;
import dev.kret.data.LoadOptions;
import dev.kret.hub.Hub;
import dev.kret.model.Djl;
import dev.kret.model.ModelDirectory;
import dev.kret.model.RelationClassifier;
import java.io.BufferedWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code kretctl predict}: offline predictions of a model directory for a KLUE-RE file. */
@Command(
    name = "predict",
    description = "Predict relations for KLUE-RE JSON with a model directory.")
public class PredictCommand implements Callable<Integer> {

  @Spec CommandSpec command;

  @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory.")
  Path model;

  @Option(
      names = "--data",
      required = true,
      paramLabel = "FILE",
      description = "KLUE-RE JSON (labels optional).")
  String data;

  @Option(
      names = "--output",
      required = true,
      paramLabel = "OUT.jsonl",
      description = "One JSON line per example: guid, label, score, probabilities in label order.")
  Path output;

  @Option(names = "--batch-size", defaultValue = "64", description = "Examples per forward pass.")
  int batchSize;

  @Option(names = "--skip-invalid", description = "Skip and count invalid rows.")
  boolean skipInvalid;

  @Option(names = "--verbose", description = "Print stack traces.")
  boolean verbose;

  @Override
  public Integer call() {
    PrintWriter err = command.commandLine().getErr();
    ObjectMapper json = new ObjectMapper();
    try {
      KlueReDataset ds =
          KlueReDataset.load(
              data,
              LoadOptions.defaults().withRequireLabels(false).withSkipInvalid(skipInvalid),
              Hub.fromEnvironment());
      Djl.offline();
      try (ModelDirectory.Opened opened = ModelDirectory.open(model, Djl.device(true))) {
        RelationClassifier clf = new RelationClassifier(opened);
        float[][] p = RelationClassifier.exp(clf.logProbabilities(ds.examples(), batchSize));
        List<String> labels = clf.labels();
        Path abs = output.toAbsolutePath();
        if (abs.getParent() != null) {
          Files.createDirectories(abs.getParent());
        }
        Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp");
        try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
          for (int i = 0; i < p.length; i++) {
            int best = 0;
            for (int j = 1; j < p[i].length; j++) {
              if (p[i][j] > p[i][best]) {
                best = j;
              }
            }
            ObjectNode line = json.createObjectNode();
            line.put("guid", ds.get(i).guid());
            line.put("label", labels.get(best));
            line.put("score", p[i][best]);
            ArrayNode probs = line.putArray("probabilities");
            for (float v : p[i]) {
              probs.add(v);
            }
            w.write(json.writeValueAsString(line));
            w.write('\n');
          }
        }
        Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        err.printf("%d predictions written to %s%n", p.length, output);
        err.flush();
        return ExitCodes.OK;
      }
    } catch (DatasetException | IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
      trace(err, e);
      return ExitCodes.INVALID_CONFIG;
    } catch (Exception e) {
      err.println("error: " + e.getMessage());
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
