package dev.kret.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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

  private static String sha256(String text) {
    try {
      return java.util.HexFormat.of()
          .formatHex(
              java.security.MessageDigest.getInstance("SHA-256")
                  .digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  private List<String> filesIn(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).map(f -> f.getFileName().toString()).toList();
    }
  }

  /** A data file above the limit: refused at once, naming the URL (no query) and the limit. */
  @Test
  void refusesAFileAnnouncedLargerThanTheLimitNamingTheRedactedUrlAndTheLimit() throws IOException {
    server.put("/data/train.json", "x".repeat(2000));
    Hub hub = new Hub(config().withMaxBytes(1000));

    assertThatThrownBy(() -> hub.resolveFile(server.url("/data/train.json?X-Amz-Signature=s3cr3t")))
        .isInstanceOf(HubException.class)
        .hasMessageContaining(server.url("/data/train.json") + " is larger than")
        .hasMessageContaining("limit of 1000 bytes")
        .hasMessageContaining("2000 bytes announced")
        .hasMessageContaining("KRET_HUB_MAX_BYTES")
        .hasMessageNotContaining("s3cr3t")
        .satisfies(e -> assertThat(((HubException) e).retryable()).isFalse());
    assertThat(server.count("/data/train.json")).as("not retried").isEqualTo(1);
    assertThat(filesIn(cache)).isEmpty();
  }

  /** The same without Content-Length: counted while streaming, the partial file deleted. */
  @Test
  void refusesAChunkedBodyThatGrowsPastTheLimitAndKeepsNothing() throws IOException {
    server.put("/data/train.json", "x".repeat(200_000));
    server.chunked("/data/train.json");
    Hub hub = new Hub(config().withMaxBytes(100_000));

    assertThatThrownBy(() -> hub.resolveFile(server.url("/data/train.json")))
        .isInstanceOf(HubException.class)
        .hasMessageContaining("larger than the download limit of 100000 bytes")
        .satisfies(e -> assertThat(((HubException) e).retryable()).isFalse());
    assertThat(filesIn(cache)).isEmpty();
  }

  /** A dataset over the limit is invalid data (exit 3), named without its query string. */
  @Test
  void aDatasetOverTheLimitIsInvalidDataNamingTheUrlAndTheLimit() {
    server.put("/data/train.json", "[]".repeat(1000));
    Hub hub = new Hub(config().withMaxBytes(1000));

    assertThatThrownBy(
            () ->
                dev.kret.data.KlueReDataset.load(
                    server.url("/data/train.json?sig=s3cr3t"),
                    dev.kret.data.LoadOptions.defaults(),
                    hub))
        .isInstanceOf(dev.kret.data.DatasetException.class)
        .hasMessageStartingWith(server.url("/data/train.json") + ": ")
        .hasMessageContaining("limit of 1000 bytes")
        .hasMessageNotContaining("s3cr3t");
  }

  /** A body that stops mid-way fails after the read timeout instead of hanging the trainer. */
  @Test
  void aStalledBodyFailsAsRetryableAfterTheReadTimeoutAndLeavesNoPartialFile() {
    String p = "/klue/tiny/resolve/main/";
    serveModel(p);
    server.put(p + "model.safetensors", "w".repeat(10_000));
    server.stall(p + "model.safetensors", 4_000);
    Hub hub =
        new Hub(
            config().withRetries(2, Duration.ofMillis(1)).withReadTimeout(Duration.ofMillis(300)));

    assertTimeoutPreemptively(
        Duration.ofSeconds(20),
        () ->
            assertThatThrownBy(() -> hub.resolveModel("klue/tiny"))
                .isInstanceOf(HubException.class)
                .hasMessageContaining(server.url(p + "model.safetensors"))
                .hasMessageContaining("after 2 attempt(s)")
                .hasMessageContaining("no data for 300 ms after 4000 of 10000 bytes")
                .satisfies(e -> assertThat(((HubException) e).retryable()).isTrue()));
    assertThat(server.count(p + "model.safetensors")).isEqualTo(2);
    assertThat(cache.resolve("hf"))
        .satisfies(d -> assertThat(filesIn(d)).containsOnly("config.json"));
  }

  /** Hugging Face names an LFS file's sha256 in X-Linked-Etag: the bytes must hash to it. */
  @Test
  void acceptsAFileThatHashesToTheSha256ItsLinkedEtagNames() {
    String p = "/klue/tiny/resolve/main/";
    serveModel(p);
    server.header(p + "model.safetensors", "X-Linked-Etag", "\"" + sha256("weights") + "\"");

    Path dir = new Hub(config()).resolveModel("klue/tiny");

    assertThat(dir.resolve("model.safetensors")).hasContent("weights");
  }

  /** The same file, served corrupted once: the second transfer is checked and kept. */
  @Test
  void retriesATransferThatDoesNotHashToItsLinkedEtagOnce() {
    String p = "/klue/tiny/resolve/main/";
    serveModel(p);
    server.header(p + "model.safetensors", "X-Linked-Etag", "\"" + sha256("weights") + "\"");
    server.corruptFirst(p + "model.safetensors", 1);

    Path dir = new Hub(config()).resolveModel("klue/tiny");

    assertThat(dir.resolve("model.safetensors")).hasContent("weights");
    assertThat(server.count(p + "model.safetensors")).isEqualTo(2);
  }

  /** Twice the wrong bytes: another file than the hub names; final, nothing kept. */
  @Test
  void failsForGoodWhenTheBytesTwiceDoNotHashToTheLinkedEtag() throws IOException {
    String p = "/klue/tiny/resolve/main/";
    serveModel(p);
    server.header(p + "model.safetensors", "X-Linked-Etag", "\"" + sha256("other") + "\"");

    assertThatThrownBy(() -> new Hub(config()).resolveModel("klue/tiny"))
        .isInstanceOf(ContentMismatchException.class)
        .hasMessageContaining("model.safetensors from " + server.url(p + "model.safetensors"))
        .hasMessageContaining("X-Linked-Etag")
        .hasMessageContaining("expected " + sha256("other"))
        .hasMessageContaining("actual " + sha256("weights"))
        .satisfies(e -> assertThat(((HubException) e).retryable()).isFalse());
    assertThat(server.count(p + "model.safetensors")).as("one retry, then final").isEqualTo(2);
    assertThat(filesIn(cache))
        .doesNotContain("model.safetensors")
        .noneMatch(n -> n.endsWith(".part"));
  }

  /** Hugging Face's real shape: the sha256 is on the redirect, the CDN's own ETag is opaque. */
  @Test
  void checksTheCdnBytesAgainstTheSha256OnTheRedirect() throws IOException {
    try (FakeServer cdn = new FakeServer()) {
      String p = "/klue/tiny/resolve/main/";
      serveModel(p);
      cdn.put("/blob/weights", "tampered");
      cdn.header("/blob/weights", "ETag", "\"9b2cf535f27731c974343645a3985328\"");
      server.redirect(p + "model.safetensors", cdn.url("/blob/weights"));
      server.header(p + "model.safetensors", "X-Linked-Etag", "\"" + sha256("weights") + "\"");

      assertThatThrownBy(() -> new Hub(config()).resolveModel("klue/tiny"))
          .isInstanceOf(ContentMismatchException.class)
          .hasMessageContaining("expected " + sha256("weights"));
    }
  }

  /** A strong 64-hex ETag on the file itself is checked too. */
  @Test
  void checksASha256Etag() {
    server.put("/data/train.json", "[]");
    server.header("/data/train.json", "ETag", "\"" + sha256("[1]") + "\"");

    assertThatThrownBy(() -> new Hub(config()).resolveFile(server.url("/data/train.json")))
        .isInstanceOf(ContentMismatchException.class)
        .hasMessageContaining("ETag");
  }

  /** A git blob id (small files on the hub), a weak or an opaque ETag says nothing about bytes. */
  @Test
  void ignoresEtagsThatAreNotASha256() {
    server.put("/a.json", "[]");
    server.header("/a.json", "ETag", "\"" + "a".repeat(40) + "\"");
    server.put("/b.json", "[]");
    server.header("/b.json", "ETag", "W/\"" + sha256("[1]") + "\"");
    server.put("/c.json", "[]");
    server.header("/c.json", "ETag", "\"5f3c-1a2b\"");
    Hub hub = new Hub(config());

    for (String f : List.of("/a.json", "/b.json", "/c.json")) {
      assertThat(hub.resolveFile(server.url(f))).as(f).hasContent("[]");
    }
  }

  /** http://h/x and https://h/x are different sources: a plain-http copy never answers https. */
  @Test
  void httpAndHttpsOfTheSameUrlDoNotShareACachedFile() {
    server.put("/data/train.json", "[]");
    Hub hub = new Hub(config().withRetries(1, Duration.ZERO).withTimeout(Duration.ofSeconds(1)));
    Path plain = hub.resolveFile(server.url("/data/train.json"));
    String https = server.url("/data/train.json").replace("http://", "https://");

    // The test server speaks no TLS: the https URL can only fail, never come from the cache.
    assertThatThrownBy(() -> hub.resolveFile(https)).isInstanceOf(HubException.class);
    assertThat(plain).startsWith(cache.resolve("files").resolve("http"));
  }

  /** The same for model directories by URL. */
  @Test
  void httpAndHttpsModelDirectoriesAreCachedApart() {
    serveModel("/models/run-1/epoch-3/");
    Hub hub = new Hub(config().withRetries(1, Duration.ZERO).withTimeout(Duration.ofSeconds(1)));
    Path plain = hub.resolveModel(server.url("/models/run-1/epoch-3/"));
    String https = server.url("/models/run-1/epoch-3/").replace("http://", "https://");

    assertThatThrownBy(() -> hub.resolveModel(https)).isInstanceOf(HubException.class);
    assertThat(plain).startsWith(cache.resolve("url").resolve("http"));
  }

  /** A presigned URL's signature reaches neither a file name in the cache nor the progress. */
  @Test
  void keysAQueryByItsDigestAndShowsNoneOfIt() {
    server.put("/data/train.json", "[]");
    List<String> seen = new CopyOnWriteArrayList<>();
    Hub hub = new Hub(config(), (url, file, bytes, total) -> seen.add(url + " " + file));

    Path one = hub.resolveFile(server.url("/data/train.json?sig=s3cr3t"));
    Path other = hub.resolveFile(server.url("/data/train.json?sig=0ther"));

    assertThat(one).isNotEqualTo(other).hasContent("[]");
    assertThat(one.toString()).doesNotContain("s3cr3t");
    assertThat(seen).isNotEmpty().noneMatch(s -> s.contains("s3cr3t") || s.contains("sig"));
  }

  @Test
  void readsTheDownloadLimitAndReadTimeoutFromEnvironment() {
    HubConfig c =
        HubConfig.fromEnvironment(
            Map.of("KRET_HUB_MAX_BYTES", "2Gi", "KRET_HUB_READ_TIMEOUT", "90s"));

    assertThat(c.maxBytes()).isEqualTo(2L << 30);
    assertThat(c.readTimeout()).isEqualTo(Duration.ofSeconds(90));
    assertThat(HubConfig.fromEnvironment(Map.of("KRET_HUB_MAX_BYTES", "500M")).maxBytes())
        .isEqualTo(500_000_000L);
    assertThat(HubConfig.fromEnvironment(Map.of("KRET_HUB_READ_TIMEOUT", "250ms")).readTimeout())
        .isEqualTo(Duration.ofMillis(250));
    assertThat(HubConfig.fromEnvironment(Map.of()).maxBytes()).isEqualTo(10L << 30);
    assertThat(HubConfig.fromEnvironment(Map.of()).readTimeout()).isEqualTo(Duration.ofSeconds(60));
    assertThatThrownBy(() -> HubConfig.fromEnvironment(Map.of("KRET_HUB_MAX_BYTES", "lots")))
        .isInstanceOf(HubException.class)
        .hasMessageStartingWith("KRET_HUB_MAX_BYTES: ")
        .hasMessageContaining("\"lots\"");
    assertThatThrownBy(() -> HubConfig.fromEnvironment(Map.of("KRET_HUB_READ_TIMEOUT", "0")))
        .hasMessageStartingWith("KRET_HUB_READ_TIMEOUT: ");
  }

  /** A tiny HTTP server on 127.0.0.1 with canned responses and a request log. */
  static final class FakeServer implements AutoCloseable {
    private final HttpServer http;
    private final Map<String, byte[]> bodies = new ConcurrentHashMap<>();
    private final Map<String, Integer> statuses = new ConcurrentHashMap<>();
    private final Map<String, String> redirects = new ConcurrentHashMap<>();
    private final Map<String, int[]> truncations = new ConcurrentHashMap<>();
    private final Map<String, int[]> failures = new ConcurrentHashMap<>();
    private final Map<String, Map<String, String>> headers = new ConcurrentHashMap<>();
    private final Map<String, int[]> corruptions = new ConcurrentHashMap<>();
    private final Map<String, Integer> stalls = new ConcurrentHashMap<>();
    private final Set<String> chunked = ConcurrentHashMap.newKeySet();
    private final List<String[]> requests = new CopyOnWriteArrayList<>();
    private final CountDownLatch closed = new CountDownLatch(1);
    private final ExecutorService workers = Executors.newCachedThreadPool();

    FakeServer() throws IOException {
      http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      http.createContext("/", this::handle);
      // A handler that stalls must not hold up the others (the default runs them one by one).
      http.setExecutor(workers);
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

    /** Adds a response header to path's 200 and redirect responses. */
    void header(String path, String name, String value) {
      headers.computeIfAbsent(path, p -> new ConcurrentHashMap<>()).put(name, value);
    }

    /** Flips a byte of path's body in the first times responses (a corrupted transfer). */
    void corruptFirst(String path, int times) {
      corruptions.put(path, new int[] {times});
    }

    /** Sends the headers and the first sent bytes of path's body, then nothing until closed. */
    void stall(String path, int sent) {
      stalls.put(path, sent);
    }

    /** Sends path's body chunked, without Content-Length. */
    void chunked(String path) {
      chunked.add(path);
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
      headers.getOrDefault(path, Map.of()).forEach(ex.getResponseHeaders()::add);
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
      Integer stallAfter = stalls.get(path);
      if (stallAfter != null) {
        ex.sendResponseHeaders(200, body.length);
        ex.getResponseBody().write(body, 0, stallAfter);
        ex.getResponseBody().flush();
        try {
          closed.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        ex.close();
        return;
      }
      int[] corrupt = corruptions.get(path);
      if (corrupt != null && corrupt[0] > 0) {
        corrupt[0]--;
        body = body.clone();
        body[0] ^= 1;
      }
      ex.sendResponseHeaders(200, chunked.contains(path) ? 0 : body.length);
      ex.getResponseBody().write(body);
      ex.close();
    }

    @Override
    public void close() {
      closed.countDown();
      http.stop(0);
      workers.shutdownNow();
    }
  }
}
