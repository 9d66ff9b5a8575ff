package dev.kret.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kret.contract.ExitCodes;
import dev.kret.data.CodePoints;
import dev.kret.data.DatasetException;
import dev.kret.data.Entity;
import dev.kret.data.KlueReDataset;
import dev.kret.data.LoadOptions;
import dev.kret.data.RelationExample;
import dev.kret.hub.Hub;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code kretctl predict}: predictions for a KLUE-RE file or one query from flags, offline with a
 * model directory, against a running {@code kretctl serve} endpoint, or against the endpoint a
 * FineTuneRun was promoted to, reached through the API server's service proxy (so it works from
 * outside the cluster with nothing but a kubeconfig).
 */
@Command(
    name = "predict",
    mixinStandardHelpOptions = true,
    description =
        "Predict relations for KLUE-RE JSON or one query, with a model directory, a running"
            + " endpoint, or the serving endpoint of a FineTuneRun.")
public class PredictCommand implements Callable<Integer> {

  @Spec CommandSpec command;

  @Parameters(
      arity = "0..1",
      paramLabel = "RUN",
      description =
          "A FineTuneRun: predict with the endpoint it was promoted to (status.serving), through"
              + " the API server's service proxy; kubeconfig, --context and -n as for kretctl"
              + " status.")
  String run;

  @Option(names = "--model", paramLabel = "DIR", description = "Model directory (offline).")
  Path model;

  @Option(
      names = "--url",
      paramLabel = "URL",
      description =
          "A running kretctl serve endpoint, e.g. http://localhost:8080 (instead of --model).")
  String url;

  @Option(
      names = "--name",
      defaultValue = "kret",
      description = "Model name at --url (default: ${DEFAULT-VALUE}).")
  String name;

  @Option(
      names = "--data",
      paramLabel = "FILE",
      description = "KLUE-RE JSON (labels optional); or give one query with --sentence ….")
  String data;

  @Option(
      names = "--output",
      paramLabel = "OUT.jsonl",
      description =
          "One JSON line per example: guid, label, score, probabilities in label order. Without it"
              + " the label, score and top-k are printed.")
  Path output;

  @Option(names = "--top", defaultValue = "3", description = "Labels printed per example.")
  int top;

  @ArgGroup(exclusive = false)
  Query query;

  /** One query from flags; the entity words are taken from the spans. */
  static class Query {
    @Option(names = "--sentence", required = true)
    String sentence;

    @Option(names = "--subject-start", required = true, description = "Code point, inclusive.")
    int subjectStart;

    @Option(names = "--subject-end", required = true, description = "Code point, inclusive.")
    int subjectEnd;

    @Option(names = "--subject-type", required = true)
    String subjectType;

    @Option(names = "--object-start", required = true)
    int objectStart;

    @Option(names = "--object-end", required = true)
    int objectEnd;

    @Option(names = "--object-type", required = true)
    String objectType;

    RelationExample example() {
      return new RelationExample(
          "query",
          sentence,
          new Entity(span(subjectStart, subjectEnd), subjectStart, subjectEnd, subjectType),
          new Entity(span(objectStart, objectEnd), objectStart, objectEnd, objectType),
          null,
          null);
    }

    private String span(int start, int end) {
      if (start < 0 || end < start || end >= CodePoints.length(sentence)) {
        return ""; // out of range: the model's validation names the field
      }
      return CodePoints.slice(sentence, start, end);
    }
  }

  @Mixin DataOptions input;

  /** Used with RUN; its -v/--verbose also serves the other modes. */
  @Mixin ClusterOptions cluster;

  @Override
  public Integer call() {
    PrintWriter err = command.commandLine().getErr();
    if ((model != null ? 1 : 0) + (url != null ? 1 : 0) + (run != null ? 1 : 0) != 1) {
      err.println(
          "error: give exactly one of --model DIR (offline), --url URL (a running endpoint) or"
              + " RUN (the serving endpoint of a FineTuneRun, through the cluster)");
      err.flush();
      return ExitCodes.USAGE;
    }
    if ((data == null) == (query == null)) {
      err.println("error: give either --data FILE or one query with --sentence …");
      err.flush();
      return ExitCodes.USAGE;
    }
    try {
      List<RelationExample> examples =
          data != null
              ? KlueReDataset.load(
                      data,
                      LoadOptions.defaults()
                          .withRequireLabels(false)
                          .withSkipInvalid(input.skipInvalid),
                      Hub.fromEnvironment())
                  .examples()
              : List.of(query.example());
      Scored scored;
      if (model != null) {
        scored = offline(examples);
      } else if (url != null) {
        scored =
            new KServeClient(new KServeClient.Direct(url), name, input.batchSize).predict(examples);
      } else {
        try (ClusterConnection connection = cluster.connect()) {
          KubernetesClient client = connection.client();
          KServeClient.Endpoint endpoint =
              KServeClient.ServiceProxy.of(client, cluster.namespace(client), run);
          scored = new KServeClient(endpoint, name, input.batchSize).predict(examples);
        }
      }
      if (output != null) {
        write(examples, scored);
        err.printf("%d predictions written to %s%n", examples.size(), output);
      } else {
        print(examples, scored);
      }
      err.flush();
      return ExitCodes.OK;
    } catch (KServeClient.RemoteException e) {
      return fail(
          err, e, e.status >= 400 && e.status < 500 ? ExitCodes.INVALID_CONFIG : ExitCodes.FAILED);
    } catch (CliException e) {
      return fail(err, e, e.exitCode());
    } catch (KubernetesClientException e) {
      ApiErrors.Failure f = ApiErrors.of(e, cluster::describeMaster);
      return fail(err, f.message(), e, f.exitCode());
    } catch (DatasetException | IllegalArgumentException e) {
      return fail(err, e, ExitCodes.INVALID_CONFIG);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return fail(err, e, ExitCodes.FAILED);
    } catch (Exception e) {
      return fail(err, e, ExitCodes.FAILED);
    }
  }

  private int fail(PrintWriter err, Exception e, int code) {
    return fail(err, e.getMessage(), e, code);
  }

  private int fail(PrintWriter err, String m, Exception e, int code) {
    err.println(m != null && m.startsWith("error: ") ? m : "error: " + m);
    if (cluster.verbose) {
      e.printStackTrace(err);
    }
    err.flush();
    return code;
  }

  private Scored offline(List<RelationExample> examples) throws IOException {
    OfflineModel.Scores scores = OfflineModel.score(model, examples, input.batchSize);
    return new Scored(scores.labels(), scores.probabilities());
  }

  private void print(List<RelationExample> examples, Scored s) {
    PrintWriter out = command.commandLine().getOut();
    for (int i = 0; i < examples.size(); i++) {
      float[] row = s.p()[i];
      Integer[] order = new Integer[row.length];
      for (int j = 0; j < row.length; j++) {
        order[j] = j;
      }
      Arrays.sort(order, (a, b) -> Float.compare(row[b], row[a]));
      out.printf(
          Locale.ROOT,
          "%s\t%s\t%.4f%n",
          examples.get(i).guid(),
          s.labels().get(order[0]),
          row[order[0]]);
      for (int k = 0; k < Math.min(top, row.length); k++) {
        out.printf(
            Locale.ROOT, "  %d. %-36s %.4f%n", k + 1, s.labels().get(order[k]), row[order[k]]);
      }
    }
    out.flush();
  }

  private void write(List<RelationExample> examples, Scored s) throws IOException {
    ObjectMapper json = new ObjectMapper();
    float[][] p = s.p();
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
        line.put("guid", examples.get(i).guid());
        line.put("label", s.labels().get(best));
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
  }
}
