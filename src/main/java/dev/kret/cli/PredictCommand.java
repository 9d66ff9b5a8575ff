package dev.kret.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kret.data.DatasetException;
import dev.kret.data.Entity;
import dev.kret.data.KlueReDataset;
import dev.kret.data.LoadOptions;
import dev.kret.data.RelationExample;
import dev.kret.hub.Hub;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code kretctl predict}: predictions for a KLUE-RE file or one query from flags, offline with a
 * model directory or against a running {@code kretctl serve} endpoint.
 */
@Command(
    name = "predict",
    description =
        "Predict relations for KLUE-RE JSON or one query, with a model directory or a running"
            + " endpoint.")
public class PredictCommand implements Callable<Integer> {

  @Spec CommandSpec command;

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
      int n = sentence.codePointCount(0, sentence.length());
      if (start < 0 || end < start || end >= n) {
        return ""; // out of range: the model's validation names the field
      }
      int from = sentence.offsetByCodePoints(0, start);
      return sentence.substring(from, sentence.offsetByCodePoints(from, end + 1 - start));
    }
  }

  @Mixin DataOptions input;

  @Mixin VerboseOption verbosity;

  @Override
  public Integer call() {
    PrintWriter err = command.commandLine().getErr();
    if ((model == null) == (url == null)) {
      err.println(
          "error: give exactly one of --model DIR (offline) or --url URL (a running endpoint)");
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
      Scored scored = url != null ? remote(examples) : offline(examples);
      if (output != null) {
        write(examples, scored);
        err.printf("%d predictions written to %s%n", examples.size(), output);
      } else {
        print(examples, scored);
      }
      err.flush();
      return ExitCodes.OK;
    } catch (RemoteException e) {
      err.println("error: " + e.getMessage());
      verbosity.trace(err, e);
      return e.status >= 400 && e.status < 500 ? ExitCodes.INVALID_CONFIG : ExitCodes.FAILED;
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

  /** Probabilities [n][labels] and the label order. */
  record Scored(List<String> labels, float[][] p) {}

  /** A refusal of the endpoint, with its HTTP status. */
  static final class RemoteException extends Exception {
    final int status;

    RemoteException(int status, String message) {
      super(message);
      this.status = status;
    }
  }

  private Scored offline(List<RelationExample> examples) throws IOException {
    OfflineModel.Scores scores = OfflineModel.score(model, examples, input.batchSize);
    return new Scored(scores.labels(), scores.probabilities());
  }

  /** KServe V1 requests of --batch-size instances each. */
  private Scored remote(List<RelationExample> examples)
      throws IOException, InterruptedException, RemoteException {
    ObjectMapper json = new ObjectMapper();
    HttpClient http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    String base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    URI predict = URI.create(base + "/v1/models/" + name + ":predict");
    List<String> labels = null;
    float[][] p = new float[examples.size()][];
    for (int start = 0; start < examples.size(); start += input.batchSize) {
      int end = Math.min(examples.size(), start + input.batchSize);
      ObjectNode body = json.createObjectNode();
      ArrayNode instances = body.putArray("instances");
      for (RelationExample ex : examples.subList(start, end)) {
        ObjectNode n = json.valueToTree(ex);
        n.remove("label");
        n.remove("source");
        instances.add(n);
      }
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(predict)
                  .header("Content-Type", "application/json")
                  .timeout(Duration.ofMinutes(2))
                  .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body)))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      JsonNode reply;
      try {
        reply = json.readTree(r.body());
      } catch (IOException e) {
        throw new RemoteException(r.statusCode(), predict + " answered " + r.statusCode());
      }
      if (r.statusCode() != 200) {
        String why = reply.path("error").asText(r.body());
        throw new RemoteException(
            r.statusCode(), predict + " answered " + r.statusCode() + ": " + shift(why, start));
      }
      JsonNode preds = reply.path("predictions");
      for (int i = start; i < end; i++) {
        JsonNode probs = preds.get(i - start).path("probabilities");
        if (labels == null) {
          labels = new ArrayList<>();
          probs.fieldNames().forEachRemaining(labels::add);
        }
        p[i] = new float[labels.size()];
        for (int j = 0; j < labels.size(); j++) {
          p[i][j] = (float) probs.path(labels.get(j)).asDouble();
        }
      }
    }
    return new Scored(labels == null ? List.of() : labels, p);
  }

  /** Rewrites the endpoint's instances[i] to the file's row index. */
  private static String shift(String message, int offset) {
    if (offset == 0 || !message.startsWith("instances[")) {
      return message;
    }
    int close = message.indexOf(']');
    try {
      int i = Integer.parseInt(message.substring("instances[".length(), close));
      return "instances[" + (i + offset) + message.substring(close);
    } catch (NumberFormatException e) {
      return message;
    }
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
