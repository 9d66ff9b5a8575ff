package dev.kret.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.kret.Fixtures;
import dev.kret.api.v1alpha1.FineTuneRun;
import dev.kret.api.v1alpha1.FineTuneRunStatus;
import dev.kret.api.v1alpha1.PromotionSpec;
import dev.kret.api.v1alpha1.ServingStatus;
import dev.kret.contract.ExitCodes;
import dev.kret.data.RelationExample;
import dev.kret.serve.FixtureEndpoint;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.utils.ResponseProvider;
import io.quarkus.test.junit.main.LaunchResult;
import io.quarkus.test.junit.main.QuarkusMainLauncher;
import io.quarkus.test.junit.main.QuarkusMainTest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kretctl predict RUN}: the run's serving endpoint through the API server's service proxy.
 * The fabric8 mock API server forwards the proxy path to a real endpoint started in the test.
 */
@Tag("mock-server")
@QuarkusMainTest
class PredictRunCliTest {
  static final String NS = "kret-predict";
  static final String FIXTURE = Fixtures.TINY_ROBERTA.toString();

  @TempDir static Path tmp;
  static KubernetesMockServer api;
  static NamespacedKubernetesClient client;
  static FixtureEndpoint predictor;
  static Path kubeconfig;
  static Path data;
  static RelationExample first;

  @BeforeAll
  static void start() throws Exception {
    predictor = FixtureEndpoint.start("kret", tmp, 6);
    first = predictor.first();
    data = predictor.data();

    api = MockApi.mixed();
    client = api.createClient();
    kubeconfig =
        MockApi.kubeconfig(
            tmp.resolve("mock.kubeconfig"), client.getConfiguration().getMasterUrl(), NS);
    client
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
        .create();
    PromotionSpec auto = new PromotionSpec("Auto", "klue-re", null);
    create(run("served", auto), status("Promoted", "klue-re"));
    create(run("starting", auto), status("Promoted", "warming"));
    create(run("training", auto), status("Training", null));
    create(run("unpromoted", null), status("Succeeded", null));

    api.expect()
        .post()
        .withPath(
            "/api/v1/namespaces/" + NS + "/services/klue-re:8080/proxy/v1/models/kret:predict")
        .andReply(new Forward(predictor.baseUrl() + "/v1/models/kret:predict"))
        .always();
    api.expect()
        .post()
        .withPath(
            "/api/v1/namespaces/" + NS + "/services/warming:8080/proxy/v1/models/kret:predict")
        .andReturn(
            503,
            Map.of(
                "kind", "Status",
                "apiVersion", "v1",
                "status", "Failure",
                "message", "no endpoints available for service \"warming\"",
                "reason", "ServiceUnavailable",
                "code", 503))
        .always();
  }

  @AfterAll
  static void stop() {
    if (client != null) {
      client.close();
    }
    if (api != null) {
      api.destroy();
    }
    if (predictor != null) {
      predictor.close();
    }
  }

  /** Plays the API server's proxy: the request goes to the real endpoint, its answer comes back. */
  static final class Forward implements ResponseProvider<Object> {
    private final URI target;
    private final HttpClient http = HttpClient.newHttpClient();
    private final Map<RecordedRequest, HttpResponse<String>> answers = new ConcurrentHashMap<>();
    private Headers headers = Headers.builder().build();

    Forward(String target) {
      this.target = URI.create(target);
    }

    private HttpResponse<String> answer(RecordedRequest request) {
      return answers.computeIfAbsent(
          request,
          r -> {
            try {
              return http.send(
                  HttpRequest.newBuilder(target)
                      .header("Content-Type", "application/json")
                      .POST(HttpRequest.BodyPublishers.ofString(r.getUtf8Body()))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          });
    }

    @Override
    public int getStatusCode(RecordedRequest request) {
      return answer(request).statusCode();
    }

    @Override
    public Object getBody(RecordedRequest request) {
      return answer(request).body();
    }

    @Override
    public Headers getHeaders() {
      return headers;
    }

    @Override
    public void setHeaders(Headers headers) {
      this.headers = headers;
    }
  }

  static FineTuneRun run(String name, PromotionSpec promotion) throws Exception {
    String yaml = Files.readString(Path.of("k8s/examples/tiny-cpu.yaml"));
    FineTuneRun r = new ObjectMapper(new YAMLFactory()).readValue(yaml, FineTuneRun.class);
    r.getMetadata().setName(name);
    r.getMetadata().setNamespace(NS);
    r.setSpec(r.getSpec().withPromotion(promotion));
    return r;
  }

  static FineTuneRunStatus status(String state, String serving) {
    return new FineTuneRunStatus(
        1L,
        state,
        state,
        List.of(),
        null,
        List.of(),
        null,
        null,
        serving == null
            ? null
            : new ServingStatus(
                serving, "http://" + serving + "." + NS + ".svc:8080", NS + "/x/epoch-1", null));
  }

  static void create(FineTuneRun r, FineTuneRunStatus status) {
    FineTuneRun created = client.resources(FineTuneRun.class).inNamespace(NS).resource(r).create();
    created.setStatus(status);
    client.resources(FineTuneRun.class).inNamespace(NS).resource(created).updateStatus();
  }

  LaunchResult kret(QuarkusMainLauncher launcher, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--kubeconfig");
    all.add(kubeconfig.toString());
    return launcher.launch(all.toArray(String[]::new));
  }

  static String[] query(int subjectEnd) {
    return new String[] {
      "--sentence",
      first.sentence(),
      "--subject-start",
      String.valueOf(first.subject().start()),
      "--subject-end",
      String.valueOf(subjectEnd),
      "--subject-type",
      first.subject().type(),
      "--object-start",
      String.valueOf(first.object().start()),
      "--object-end",
      String.valueOf(first.object().end()),
      "--object-type",
      first.object().type()
    };
  }

  @Test
  void predictsWithTheRunsServingEndpointThroughTheServiceProxy(QuarkusMainLauncher launcher)
      throws Exception {
    Path remote = tmp.resolve("remote.jsonl");
    Path local = tmp.resolve("local.jsonl");
    LaunchResult r =
        kret(
            launcher,
            "predict",
            "served",
            "--data",
            data.toString(),
            "--output",
            remote.toString(),
            "--batch-size",
            "4");
    assertThat(r.exitCode()).as(r.getErrorOutput()).isZero();
    LaunchResult l =
        launcher.launch(
            "predict", "--model", FIXTURE, "--data", data.toString(), "--output", local.toString());
    assertThat(l.exitCode()).as(l.getErrorOutput()).isZero();
    List<String> a = Files.readAllLines(remote);
    List<String> b = Files.readAllLines(local);
    assertThat(a).hasSize(6);
    ObjectMapper json = new ObjectMapper();
    for (int i = 0; i < a.size(); i++) {
      JsonNode x = json.readTree(a.get(i));
      JsonNode y = json.readTree(b.get(i));
      assertThat(x.get("label")).isEqualTo(y.get("label"));
      assertThat(x.get("score").asDouble()).isCloseTo(y.get("score").asDouble(), within(1e-5));
    }
  }

  @Test
  void namespaceFlagPicksTheRunsNamespace(QuarkusMainLauncher launcher) {
    List<String> args = new ArrayList<>(List.of("predict", "served", "-n", NS, "--top", "2"));
    args.addAll(List.of(query(first.subject().end())));
    LaunchResult r = kret(launcher, args.toArray(String[]::new));
    assertThat(r.exitCode()).as(r.getErrorOutput()).isZero();
    assertThat(r.getOutput().lines()).hasSize(3).first().asString().startsWith("query\t");
  }

  @Test
  void thePredictorsRefusalComesThroughWithExitCode3(QuarkusMainLauncher launcher) {
    List<String> args = new ArrayList<>(List.of("predict", "served"));
    args.addAll(List.of(query(999)));
    LaunchResult r = kret(launcher, args.toArray(String[]::new));
    assertThat(r.exitCode()).isEqualTo(ExitCodes.INVALID_CONFIG);
    assertThat(r.getErrorOutput())
        .contains("serving " + NS + "/klue-re", "instances[0].subject_entity.end_idx 999");
  }

  @Test
  void aRunNotServedYetExitsNotFoundAndSaysWhy(QuarkusMainLauncher launcher) {
    LaunchResult r = kret(launcher, "predict", "training", "--data", data.toString());
    assertThat(r.exitCode()).isEqualTo(ExitCodes.NOT_FOUND);
    assertThat(r.getErrorOutput())
        .contains("\"training\"", "has no serving endpoint yet", "state Training", "promoted");
  }

  @Test
  void aRunWithoutPromotionSaysItIsNeverServed(QuarkusMainLauncher launcher) {
    LaunchResult r = kret(launcher, "predict", "unpromoted", "--data", data.toString());
    assertThat(r.exitCode()).isEqualTo(ExitCodes.NOT_FOUND);
    assertThat(r.getErrorOutput()).contains("spec.promotion is not set", "--model");
  }

  @Test
  void anUnknownRunExitsNotFound(QuarkusMainLauncher launcher) {
    LaunchResult r = kret(launcher, "predict", "nosuchrun", "--data", data.toString());
    assertThat(r.exitCode()).isEqualTo(ExitCodes.NOT_FOUND);
    assertThat(r.getErrorOutput()).contains("finetunerun \"nosuchrun\" not found");
  }

  @Test
  void anEndpointWithoutReadyPodsExitsFailedAndSaysToRetry(QuarkusMainLauncher launcher) {
    LaunchResult r = kret(launcher, "predict", "starting", "--data", data.toString());
    assertThat(r.exitCode()).isEqualTo(ExitCodes.FAILED);
    assertThat(r.getErrorOutput())
        .contains("serving warming has no ready predictor pod yet", "no endpoints available");
  }

  @Test
  void anUnreachableClusterExitsClusterUnreachable(QuarkusMainLauncher launcher) throws Exception {
    Path down = tmp.resolve("down.kubeconfig");
    Files.writeString(
        down,
        Files.readString(kubeconfig)
            .replace(client.getConfiguration().getMasterUrl(), "http://127.0.0.1:1/"));
    LaunchResult r =
        launcher.launch(
            "predict", "served", "--data", data.toString(), "--kubeconfig", down.toString());
    assertThat(r.exitCode()).isEqualTo(ExitCodes.CLUSTER_UNREACHABLE);
    assertThat(r.getErrorOutput()).contains("no cluster reachable");
  }

  @Test
  void refusesARunTogetherWithAUrl(QuarkusMainLauncher launcher) {
    LaunchResult r =
        kret(
            launcher, "predict", "served", "--url", predictor.baseUrl(), "--data", data.toString());
    assertThat(r.exitCode()).isEqualTo(ExitCodes.USAGE);
    assertThat(r.getErrorOutput()).contains("exactly one of");
  }
}
