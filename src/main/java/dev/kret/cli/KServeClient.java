package dev.kret.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kret.api.v1alpha1.FineTuneRun;
import dev.kret.api.v1alpha1.ServingStatus;
import dev.kret.contract.ExitCodes;
import dev.kret.data.RelationExample;
import dev.kret.operator.PredictorDeployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The KServe V1 client of {@code kretctl predict}: posts the examples to an endpoint ({@code --url}
 * directly, or a run's serving endpoint through the API server's service proxy) in batches and
 * reads the probabilities back.
 */
final class KServeClient {
  private final Endpoint endpoint;
  private final String model;
  private final int batchSize;

  KServeClient(Endpoint endpoint, String model, int batchSize) {
    this.endpoint = endpoint;
    this.model = model;
    this.batchSize = batchSize;
  }

  /** The examples' probabilities, in KServe V1 requests of {@code batchSize} instances each. */
  Scored predict(List<RelationExample> examples)
      throws IOException, InterruptedException, RemoteException {
    ObjectMapper json = new ObjectMapper();
    String predict = "/v1/models/" + model + ":predict";
    List<String> labels = null;
    float[][] p = new float[examples.size()][];
    for (int start = 0; start < examples.size(); start += batchSize) {
      int end = Math.min(examples.size(), start + batchSize);
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

  /** A refusal of the endpoint, with its HTTP status. */
  static final class RemoteException extends Exception {
    final int status;

    RemoteException(int status, String message) {
      super(message);
      this.status = status;
    }
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
      ApiErrors.Failure failure = ApiErrors.of(reply.status(), why);
      return switch (reply.status()) {
        case 401 -> new CliException(failure.exitCode(), failure.message());
        case 403 ->
            new CliException(
                failure.exitCode(),
                failure.message() + " (predicting needs create on services/proxy)");
        case 404 ->
            new CliException(
                failure.exitCode(),
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
                failure.exitCode(),
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
                failure.exitCode(), "the API server answered " + reply.status() + ": " + why);
      };
    }
  }
}
