package dev.kret.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kret.api.v1alpha1.FineTuneRun;
import dev.kret.api.v1alpha1.ServingStatus;
import dev.kret.contract.ExitCodes;
import dev.kret.data.CodePoints;
import dev.kret.data.DatasetException;
import dev.kret.data.Entity;
import dev.kret.data.KlueReDataset;
import dev.kret.data.LoadOptions;
import dev.kret.data.RelationExample;
import dev.kret.hub.Hub;
import dev.kret.operator.PredictorDeployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
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
        scored = remote(examples, new Direct(url));
      } else {
        try (ClusterConnection connection = cluster.connect()) {
          KubernetesClient client = connection.client();
          scored = remote(examples, ServiceProxy.of(client, cluster.namespace(client), run));
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
    } catch (RemoteException e) {
      return fail(
          err, e, e.status >= 400 && e.status < 500 ? ExitCodes.INVALID_CONFIG : ExitCodes.FAILED);
    } catch (CliException e) {
      return fail(err, e, e.exitCode());
    } catch (KubernetesClientException e) {
      return fail(err, e, apiErrorCode(e));
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
    String m = e.getMessage();
    if (e instanceof KubernetesClientException k) {
      m =
          ClusterCommand.isUnreachable(k)
              ? "no cluster reachable: "
                  + ClusterCommand.rootMessage(k)
                  + " (check kubectl config current-context, --context or --kubeconfig)"
              : ClusterCommand.statusMessage(k);
    }
    err.println(m != null && m.startsWith("error: ") ? m : "error: " + m);
    if (cluster.verbose) {
      e.printStackTrace(err);
    }
    err.flush();
    return code;
  }

  private static int apiErrorCode(KubernetesClientException e) {
    if (ClusterCommand.isUnreachable(e)) {
      return ExitCodes.CLUSTER_UNREACHABLE;
    }
    return switch (e.getCode()) {
      case 401, 403 -> ExitCodes.FORBIDDEN;
      case 404 -> ExitCodes.NOT_FOUND;
      default -> ExitCodes.FAILED;
    };
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

  /** One answer of an endpoint. */
  record Reply(int status, String body) {}

  /** Where the KServe V1 requests go. */
  interface Endpoint {
    /** POSTs JSON to {@code path} (e.g. /v1/models/kret:predict) and returns the answer. */
    Reply post(String path, String json) throws IOException, InterruptedException;

    /** How the endpoint is named in messages. */
    String describe(String path);

    /**
     * The answer was not the predictor's own (a Kubernetes Status from the API server's proxy):
     * turn it into the error to report, or null if the predictor answered.
     */
    default RuntimeException notPredictor(Reply reply, JsonNode json) {
      return null;
    }
  }

  /** A URL given with --url. */
  static final class Direct implements Endpoint {
    private final String base;
    private final HttpClient http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();

    Direct(String url) {
      base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    @Override
    public Reply post(String path, String json) throws IOException, InterruptedException {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(base + path))
                  .header("Content-Type", "application/json")
                  .timeout(Duration.ofMinutes(2))
                  .POST(HttpRequest.BodyPublishers.ofString(json))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return new Reply(r.statusCode(), r.body());
    }

    @Override
    public String describe(String path) {
      return base + path;
    }
  }

  /**
   * A FineTuneRun's serving endpoint: the predictor Service named in status.serving, in the run's
   * namespace, reached through the API server's service proxy with the kubeconfig's credentials.
   */
  static final class ServiceProxy implements Endpoint {
    private final KubernetesClient client;
    private final String base;
    private final String serving;
    private final String namespace;

    private ServiceProxy(KubernetesClient client, String namespace, String serving) {
      this.client = client;
      this.namespace = namespace;
      this.serving = serving;
      String master = client.getMasterUrl().toString();
      this.base =
          (master.endsWith("/") ? master : master + "/")
              + "api/v1/namespaces/"
              + namespace
              + "/services/"
              + serving
              + ":"
              + PredictorDeployment.PORT
              + "/proxy";
    }

    /** The run's endpoint; fails with NOT_FOUND when the run or its serving endpoint is missing. */
    static ServiceProxy of(KubernetesClient client, String namespace, String run) {
      FineTuneRun r = ClusterCommand.getRun(client, namespace, run);
      ServingStatus serving = r.getStatus() == null ? null : r.getStatus().serving();
      if (serving == null || serving.name() == null || serving.name().isBlank()) {
        throw new CliException(ExitCodes.NOT_FOUND, notServed(r, namespace));
      }
      return new ServiceProxy(client, namespace, serving.name());
    }

    static String notServed(FineTuneRun r, String namespace) {
      String name = r.getMetadata().getName();
      String state = r.getStatus() == null ? null : r.getStatus().state();
      boolean promotes = r.getSpec() != null && r.getSpec().promotion() != null;
      return "finetunerun \""
          + name
          + "\" in namespace "
          + namespace
          + " has no serving endpoint yet (state "
          + (state == null ? "Pending" : state)
          + "; "
          + (promotes
              ? "it is served once promoted: kretctl status " + name + " shows why not"
              : "spec.promotion is not set, so it is never served; use --model with its model"
                  + " directory")
          + ")";
    }

    @Override
    public Reply post(String path, String json) throws IOException, InterruptedException {
      io.fabric8.kubernetes.client.http.HttpClient http = client.getHttpClient();
      try {
        io.fabric8.kubernetes.client.http.HttpResponse<String> r =
            http.sendAsync(
                    http.newHttpRequestBuilder()
                        .uri(base + path)
                        .timeout(2, java.util.concurrent.TimeUnit.MINUTES)
                        .post("application/json", json)
                        .build(),
                    String.class)
                .get();
        return new Reply(r.code(), r.body() == null ? "" : r.body());
      } catch (java.util.concurrent.ExecutionException e) {
        Throwable cause = e.getCause();
        throw new KubernetesClientException(
            "cannot reach the API server at " + client.getMasterUrl() + ": " + cause, cause);
      }
    }

    @Override
    public String describe(String path) {
      return "serving " + namespace + "/" + serving + " (" + path + " via the API server)";
    }

    @Override
    public RuntimeException notPredictor(Reply reply, JsonNode json) {
      if (!"Status".equals(json.path("kind").asText())) {
        return null;
      }
      String why = json.path("message").asText("HTTP " + reply.status());
      return switch (reply.status()) {
        case 401 ->
            new CliException(
                ExitCodes.FORBIDDEN,
                "the API server rejected the credentials of the current context (log in again)");
        case 403 ->
            new CliException(
                ExitCodes.FORBIDDEN,
                "forbidden: " + why + " (predicting needs create on services/proxy)");
        case 404 ->
            new CliException(
                ExitCodes.NOT_FOUND,
                "serving "
                    + serving
                    + " has no Service in namespace "
                    + namespace
                    + ": "
                    + why
                    + " (the operator recreates it; kubectl get svc -n "
                    + namespace
                    + ")");
        case 503 ->
            new CliException(
                ExitCodes.FAILED,
                "serving "
                    + serving
                    + " has no ready predictor pod yet: "
                    + why
                    + " (retry once kubectl get deploy "
                    + serving
                    + " -n "
                    + namespace
                    + " shows it ready)");
        default ->
            new CliException(
                ExitCodes.FAILED, "the API server answered " + reply.status() + ": " + why);
      };
    }
  }

  /** KServe V1 requests of --batch-size instances each. */
  private Scored remote(List<RelationExample> examples, Endpoint endpoint)
      throws IOException, InterruptedException, RemoteException {
    ObjectMapper json = new ObjectMapper();
    String predict = "/v1/models/" + name + ":predict";
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
      Reply r = endpoint.post(predict, json.writeValueAsString(body));
      JsonNode reply;
      try {
        reply = json.readTree(r.body());
      } catch (IOException e) {
        throw new RemoteException(
            r.status(), endpoint.describe(predict) + " answered " + r.status());
      }
      if (r.status() != 200) {
        RuntimeException other = endpoint.notPredictor(r, reply);
        if (other != null) {
          throw other;
        }
        String why = reply.path("error").asText(r.body());
        throw new RemoteException(
            r.status(),
            endpoint.describe(predict) + " answered " + r.status() + ": " + shift(why, start));
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
