package dev.kret.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HubTest {

  private static final String TOKEN = "hf_s3cr3tT0kenValue";

  @TempDir Path cache;

  private FakeServer server;

  @BeforeEach
  void start() throws IOException {
    server = new FakeServer();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private HubConfig config() {
    return HubConfig.defaults()
        .withCacheDir(cache)
        .withEndpoint(server.url(""))
        .withRetries(3, Duration.ofMillis(1));
  }

  /** A model directory under prefix: weights, vocab.txt (no tokenizer.json), tokenizer config. */
  private void serveModel(String prefix) {
    server.put(prefix + "config.json", "{\"model_type\": \"roberta\"}");
    server.put(prefix + "model.safetensors", "weights");
    server.put(prefix + "vocab.txt", "[PAD]\n[UNK]\n");
    server.put(prefix + "tokenizer_config.json", "{}");
  }

  @Test
  void downloadsHuggingFaceLayout() throws IOException {
    serveModel("/klue/tiny/resolve/v1.0/");

    Path dir = new Hub(config()).resolveModel("hf://klue/tiny@v1.0");

    assertThat(dir).startsWith(cache);
    assertThat(dir.resolve("config.json")).hasContent("{\"model_type\": \"roberta\"}");
    assertThat(dir.resolve("model.safetensors")).hasContent("weights");
    assertThat(dir.resolve("vocab.txt")).exists();
    assertThat(dir.resolve("tokenizer_config.json")).exists();
    assertThat(server.paths()).contains("/klue/tiny/resolve/v1.0/config.json");
  }

  @Test
  void resolvesBareOrgNameAtGivenRevisionOrMain() {
    serveModel("/klue/tiny/resolve/main/");
    serveModel("/klue/tiny/resolve/abc123/");
    Hub hub = new Hub(config());

    Path main = hub.resolveModel("klue/tiny");
    Path pinned = hub.resolveModel("klue/tiny", "abc123");

    assertThat(main).isNotEqualTo(pinned);
    assertThat(server.paths())
        .contains("/klue/tiny/resolve/main/config.json", "/klue/tiny/resolve/abc123/config.json");
  }

  @Test
  void downloadsModelDirectoryFromBaseUrl() {
    serveModel("/models/run-1/epoch-3/");

    Path dir = new Hub(config()).resolveModel(server.url("/models/run-1/epoch-3"));

    assertThat(dir.resolve("model.safetensors")).hasContent("weights");
    assertThat(dir.toString()).contains("run-1").contains("epoch-3");
  }

  @Test
  void downloadsShardsNamedByIndex() {
    String p = "/org/big/resolve/main/";
    server.put(p + "config.json", "{}");
    server.put(
        p + "model.safetensors.index.json",
        "{\"weight_map\": {\"a\": \"model-00001-of-00002.safetensors\","
            + " \"b\": \"model-00002-of-00002.safetensors\","
            + " \"c\": \"model-00001-of-00002.safetensors\"}}");
    server.put(p + "model-00001-of-00002.safetensors", "one");
    server.put(p + "model-00002-of-00002.safetensors", "two");
    server.put(p + "tokenizer.json", "{}");

    Path dir = new Hub(config()).resolveModel("org/big");

    assertThat(dir.resolve("model-00001-of-00002.safetensors")).hasContent("one");
    assertThat(dir.resolve("model-00002-of-00002.safetensors")).hasContent("two");
    assertThat(server.paths()).doesNotContain(p + "vocab.txt", p + "pytorch_model.bin");
  }

  @Test
  void fallsBackToPytorchModelBin() {
    String p = "/org/old/resolve/main/";
    server.put(p + "config.json", "{}");
    server.put(p + "pytorch_model.bin", "pickle");
    server.put(p + "vocab.txt", "[PAD]");

    assertThat(new Hub(config()).resolveModel("org/old").resolve("pytorch_model.bin"))
        .hasContent("pickle");
  }

  @Test
  void sendsBearerToken() {
    serveModel("/klue/tiny/resolve/main/");

    new Hub(config().withToken(TOKEN)).resolveModel("klue/tiny");

    assertThat(server.authorizations()).isNotEmpty().allMatch(("Bearer " + TOKEN)::equals);
  }

  @Test
  void sendsNoAuthorizationWithoutToken() {
    serveModel("/klue/tiny/resolve/main/");

    new Hub(config()).resolveModel("klue/tiny");

    assertThat(server.authorizations()).isNotEmpty().allMatch(""::equals);
  }

  @Test
  void unauthorizedErrorSaysTokenRejectedWithoutShowingIt() {
    server.status("/private/model/resolve/main/config.json", 401);
    Hub hub = new Hub(config().withToken(TOKEN));

    assertThatThrownBy(() -> hub.resolveModel("private/model"))
        .isInstanceOf(HubException.class)
        .hasMessageContaining("401")
        .hasMessageContaining("token was rejected")
        .hasMessageContaining(server.url("/private/model/resolve/main/config.json"))
        .satisfies(e -> assertThat(e.toString()).doesNotContain(TOKEN))
        .satisfies(e -> assertThat(((HubException) e).status()).isEqualTo(401));
    assertThat(hub.config().toString()).doesNotContain(TOKEN);
  }

  @Test
  void unauthorizedWithoutTokenSaysOneIsNeeded() {
    server.status("/private/model/resolve/main/config.json", 401);

    assertThatThrownBy(() -> new Hub(config()).resolveModel("private/model"))
        .hasMessageContaining("HF_TOKEN");
  }

  @Test
  void forbiddenErrorSaysAccessDenied() {
    server.status("/gated/model/resolve/main/config.json", 403);

    assertThatThrownBy(() -> new Hub(config().withToken(TOKEN)).resolveModel("gated/model"))
        .hasMessageContaining("access denied (403)")
        .satisfies(e -> assertThat(e.toString()).doesNotContain(TOKEN));
  }

  @Test
  void cachedSecondCallMakesNoRequests() {
    serveModel("/klue/tiny/resolve/main/");
    Hub hub = new Hub(config());
    Path first = hub.resolveModel("klue/tiny");
    int requests = server.paths().size();

    Path second = new Hub(config()).resolveModel("klue/tiny");

    assertThat(second).isEqualTo(first);
    assertThat(server.paths()).hasSize(requests);
  }

  @Test
  void skipsFilesAlreadyCachedAfterAnInterruptedRun() {
    String p = "/klue/tiny/resolve/main/";
    serveModel(p);
    server.status(p + "vocab.txt", 503);
    assertThatThrownBy(() -> new Hub(config()).resolveModel("klue/tiny"))
        .hasMessageContaining("HTTP 503");
    server.put(p + "vocab.txt", "[PAD]");
    server.clearRequests();

    new Hub(config()).resolveModel("klue/tiny");

    assertThat(server.paths()).doesNotContain(p + "config.json", p + "model.safetensors");
  }

  @Test
  void toleratesMissingOptionalFiles() {
    serveModel("/klue/tiny/resolve/main/");

    Path dir = new Hub(config()).resolveModel("klue/tiny");

    assertThat(server.paths()).contains("/klue/tiny/resolve/main/special_tokens_map.json");
    assertThat(dir.resolve("special_tokens_map.json")).doesNotExist();
    assertThat(dir.resolve("tokenizer.json")).doesNotExist();
  }

  @Test
  void missingRequiredFileNamesTheUrl() {
    server.put("/klue/tiny/resolve/main/model.safetensors", "weights");

    assertThatThrownBy(() -> new Hub(config()).resolveModel("klue/tiny"))
        .isInstanceOf(HubException.class)
        .hasMessage("not found (404): " + server.url("/klue/tiny/resolve/main/config.json"));
  }

  @Test
  void missingWeightsListsWhatWasTried() {
    server.put("/klue/tiny/resolve/main/config.json", "{}");

    assertThatThrownBy(() -> new Hub(config()).resolveModel("klue/tiny"))
        .hasMessageContaining("no weights")
        .hasMessageContaining("model.safetensors")
        .hasMessageContaining("pytorch_model.bin");
  }

  @Test
  void interruptedDownloadLeavesNoFinalFile() throws IOException {
    String p = "/klue/tiny/resolve/main/";
    serveModel(p);
    server.truncate(p + "model.safetensors", 1000, 10);

    assertThatThrownBy(() -> new Hub(config()).resolveModel("klue/tiny"))
        .isInstanceOf(HubException.class)
        .hasMessageContaining(server.url(p + "model.safetensors"))
        .hasMessageContaining("after 3 attempt(s)");

    try (Stream<Path> files = Files.walk(cache)) {
      List<String> names = files.map(f -> f.getFileName().toString()).toList();
      assertThat(names).doesNotContain("model.safetensors", Hub.MANIFEST);
      assertThat(names).noneMatch(n -> n.endsWith(".part"));
    }
    assertThat(server.count(p + "model.safetensors")).isEqualTo(3); // retried
  }

  @Test
  void retriesServerErrors() {
    String p = "/klue/tiny/resolve/main/";
    serveModel(p);
    server.failFirst(p + "model.safetensors", 2, 502);

    Path dir = new Hub(config()).resolveModel("klue/tiny");

    assertThat(dir.resolve("model.safetensors")).hasContent("weights");
  }

  @Test
  void followsRedirectsButKeepsTokenOnItsHost() throws IOException {
    try (FakeServer cdn = new FakeServer()) {
      String p = "/klue/tiny/resolve/main/";
      serveModel(p);
      cdn.put("/blob/weights", "from-cdn");
      server.redirect(p + "model.safetensors", cdn.url("/blob/weights"));

      Path dir = new Hub(config().withToken(TOKEN)).resolveModel("klue/tiny");

      assertThat(dir.resolve("model.safetensors")).hasContent("from-cdn");
      assertThat(cdn.authorizations()).containsExactly("");
    }
  }

  /** A dataset URL on another host must not receive the hub token (it would leak the Secret). */
  @Test
  void sendsNoTokenToAHostThatIsNotTheHub() throws IOException {
    try (FakeServer elsewhere = new FakeServer()) {
      elsewhere.put("/data/train.json", "[]");
      Hub hub = new Hub(config().withToken(TOKEN));

      hub.resolveFile(elsewhere.url("/data/train.json"));

      assertThat(elsewhere.authorizations()).containsExactly("");
    }
  }

  @Test
  void sendsTheTokenForDataOnTheHubItself() {
    server.put("/datasets/klue/resolve/main/train.json", "[]");

    new Hub(config().withToken(TOKEN))
        .resolveFile(server.url("/datasets/klue/resolve/main/train.json"));

    assertThat(server.authorizations()).containsExactly("Bearer " + TOKEN);
  }

  @Test
  void sendsTheTokenOverHttpsOrToALocalHttpEndpointOnly() {
    HubConfig base = HubConfig.defaults().withCacheDir(cache).withToken(TOKEN);
    Hub https = new Hub(base.withEndpoint("https://hub.example"));
    assertThat(https.sendsToken(java.net.URI.create("https://hub.example/org/m/resolve/main/x")))
        .isTrue();
    assertThat(https.sendsToken(java.net.URI.create("http://hub.example/org/m/resolve/main/x")))
        .isFalse();
    assertThat(https.sendsToken(java.net.URI.create("https://cdn.example/blob"))).isFalse();
    Hub plainRemote = new Hub(base.withEndpoint("http://hub.example"));
    assertThat(plainRemote.sendsToken(java.net.URI.create("http://hub.example/x"))).isFalse();
    Hub plainLocal = new Hub(base.withEndpoint("http://localhost:8080"));
    assertThat(plainLocal.sendsToken(java.net.URI.create("http://localhost:8080/x"))).isTrue();
    assertThat(
            new Hub(base.withToken(null).withEndpoint("https://hub.example"))
                .sendsToken(java.net.URI.create("https://hub.example/x")))
        .isFalse();
  }

  @Test
  void reportsProgress() {
    serveModel("/klue/tiny/resolve/main/");
    List<String> seen = new CopyOnWriteArrayList<>();

    new Hub(config(), (url, file, bytes, total) -> seen.add(file + ":" + bytes + "/" + total))
        .resolveModel("klue/tiny");

    assertThat(seen).contains("model.safetensors:7/7", "config.json:25/25");
  }

  @Test
  void downloadsDataFileOnceIntoCache() {
    server.put("/data/train.json", "[]");
    Hub hub = new Hub(config());

    Path file = hub.resolveFile(server.url("/data/train.json"));
    hub.resolveFile(server.url("/data/train.json"));

    assertThat(file).hasContent("[]").startsWith(cache);
    assertThat(server.count("/data/train.json")).isEqualTo(1);
  }

  @Test
  void usesLocalPathsInPlace() throws IOException {
    Path model = Files.createDirectories(cache.resolve("local-model"));
    Hub hub = new Hub(config());

    assertThat(hub.resolveModel(model.toString())).isEqualTo(model);
    assertThat(hub.resolveModel(model.toUri().toString())).isEqualTo(model);
    assertThat(server.paths()).isEmpty();
  }

  @Test
  void mapsPvcUriUnderMountRoot() throws IOException {
    Path root = Files.createDirectories(cache.resolve("mnt"));
    Path epoch = Files.createDirectories(root.resolve("ns/run/epoch-3"));
    Hub hub = new Hub(config().withPvcRoot(root));

    assertThat(hub.resolveModel("pvc://kret-models/ns/run/epoch-3")).isEqualTo(epoch);
    assertThatThrownBy(() -> hub.resolveModel("pvc://kret-models/../../etc"))
        .hasMessageContaining("leaves the volume");
  }

  @Test
  void readsConfigFromEnvironment() {
    HubConfig c =
        HubConfig.fromEnvironment(
            Map.of(
                "KRET_CACHE", "/tmp/kc", "HF_ENDPOINT", "http://mirror:8080/", "HF_TOKEN", TOKEN));

    assertThat(c.cacheDir()).isEqualTo(Path.of("/tmp/kc"));
    assertThat(c.endpoint()).isEqualTo("http://mirror:8080");
    assertThat(c.token()).isEqualTo(TOKEN);
    assertThat(c.toString()).doesNotContain(TOKEN);
    assertThat(HubConfig.fromEnvironment(Map.of()).endpoint()).isEqualTo("https://huggingface.co");
    assertThat(HubConfig.fromEnvironment(Map.of()).pvcRoot()).isEqualTo(Path.of("/models"));
  }

  /** A tiny HTTP server on 127.0.0.1 with canned responses and a request log. */
  static final class FakeServer implements AutoCloseable {
    private final HttpServer http;
    private final Map<String, byte[]> bodies = new ConcurrentHashMap<>();
    private final Map<String, Integer> statuses = new ConcurrentHashMap<>();
    private final Map<String, String> redirects = new ConcurrentHashMap<>();
    private final Map<String, int[]> truncations = new ConcurrentHashMap<>();
    private final Map<String, int[]> failures = new ConcurrentHashMap<>();
    private final List<String[]> requests = new CopyOnWriteArrayList<>();

    FakeServer() throws IOException {
      http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      http.createContext("/", this::handle);
      http.start();
    }

    String url(String path) {
      return "http://127.0.0.1:" + http.getAddress().getPort() + path;
    }

    void put(String path, String body) {
      statuses.remove(path);
      bodies.put(path, body.getBytes(StandardCharsets.UTF_8));
    }

    void status(String path, int status) {
      statuses.put(path, status);
    }

    void redirect(String path, String location) {
      redirects.put(path, location);
    }

    void truncate(String path, int announced, int sent) {
      truncations.put(path, new int[] {announced, sent});
    }

    void failFirst(String path, int times, int status) {
      failures.put(path, new int[] {times, status});
    }

    List<String> paths() {
      List<String> out = new ArrayList<>();
      requests.forEach(r -> out.add(r[0]));
      return out;
    }

    List<String> authorizations() {
      List<String> out = new ArrayList<>();
      requests.forEach(r -> out.add(r[1]));
      return out;
    }

    long count(String path) {
      return paths().stream().filter(path::equals).count();
    }

    void clearRequests() {
      requests.clear();
    }

    private void handle(HttpExchange ex) throws IOException {
      String path = ex.getRequestURI().getRawPath();
      String auth = ex.getRequestHeaders().getFirst("Authorization");
      requests.add(new String[] {path, auth == null ? "" : auth});
      int[] fail = failures.get(path);
      if (fail != null && fail[0] > 0) {
        fail[0]--;
        ex.sendResponseHeaders(fail[1], -1);
        ex.close();
        return;
      }
      if (redirects.containsKey(path)) {
        ex.getResponseHeaders().add("Location", redirects.get(path));
        ex.sendResponseHeaders(302, -1);
        ex.close();
        return;
      }
      int[] cut = truncations.get(path);
      if (cut != null) {
        ex.sendResponseHeaders(200, cut[0]);
        ex.getResponseBody().write(new byte[cut[1]]);
        ex.getResponseBody().flush();
        // Closing before the announced length drops the connection: the client sees a short body.
        try {
          ex.close();
        } catch (RuntimeException ignored) {
          // the server complains about the short body; that is the point
        }
        return;
      }
      Integer status = statuses.get(path);
      byte[] body = bodies.get(path);
      if (status != null || body == null) {
        ex.sendResponseHeaders(status != null ? status : 404, -1);
        ex.close();
        return;
      }
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    }

    @Override
    public void close() {
      http.stop(0);
    }
  }
}
