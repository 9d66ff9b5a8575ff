package dev.kret.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Resolves model references and data URIs to local paths, downloading remote ones into a cache.
 *
 * <p>Model references: a plain path or {@code file://…} (used in place), {@code pvc://claim/path}
 * ({@link HubConfig#pvcRoot()} + path: the operator mounts the claim there), {@code https://…/dir/}
 * (a model directory served over HTTP), {@code hf://org/name@revision} or a bare {@code org/name}
 * (the Hugging Face layout {@code {endpoint}/{org}/{name}/resolve/{revision}/{file}}). A model
 * download that completed once is recorded in the cache and never asked for again, even for a
 * moving revision such as {@code main} — pin a commit to get reproducible runs, delete the cache
 * directory to refresh. Every download has a size limit and a read timeout and is checked against
 * the sha256 its response names, if any (see the package description).
 */
public final class Hub {

  /** Written into a cached model directory once every file is in place. */
  public static final String MANIFEST = ".kret-download.json";

  static final String DEFAULT_REVISION = "main";

  private static final Pattern HF_REPO =
      Pattern.compile("([A-Za-z0-9][A-Za-z0-9._-]*)/([A-Za-z0-9][A-Za-z0-9._-]*)(?:@(.+))?");
  private static final List<String> WEIGHTS =
      List.of("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin");
  private static final List<String> OPTIONAL =
      List.of("tokenizer_config.json", "special_tokens_map.json", "kret.json");
  private static final int MAX_REDIRECTS = 10;
  private static final long PROGRESS_STEP = 1 << 20;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HubConfig config;
  private final ProgressListener progress;
  private final HttpClient http;

  public Hub(HubConfig config) {
    this(config, ProgressListener.NONE);
  }

  public Hub(HubConfig config, ProgressListener progress) {
    this.config = config;
    this.progress = progress == null ? ProgressListener.NONE : progress;
    // Redirects are followed by hand so the token never leaves the host it was meant for.
    this.http =
        HttpClient.newBuilder()
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(config.timeout())
            .build();
  }

  /** A hub configured by {@code KRET_CACHE}, {@code HF_ENDPOINT} and {@code HF_TOKEN}. */
  public static Hub fromEnvironment() {
    return new Hub(HubConfig.fromEnvironment());
  }

  public HubConfig config() {
    return config;
  }

  /** The local model directory for a reference; a revision in the reference ({@code @rev}) wins. */
  public Path resolveModel(String reference) {
    return resolveModel(reference, null);
  }

  /**
   * The local model directory for a reference, downloading it if remote.
   *
   * @param revision branch, tag or commit for Hugging Face references; null means {@code main}
   */
  public Path resolveModel(String reference, String revision) {
    String ref = requireReference(reference);
    if (isHttp(ref)) {
      String base = ref.endsWith("/") ? ref : ref + "/";
      URI uri = parse(base);
      Path dir = config.cacheDir().resolve("url").resolve(originKey(uri));
      for (String segment : uri.getPath().split("/")) {
        if (!segment.isEmpty()) {
          dir = dir.resolve(safeSegment(segment));
        }
      }
      return fetchModel(base, dir);
    }
    if (ref.startsWith("hf://")) {
      return fetchHf(ref.substring("hf://".length()), revision, ref);
    }
    Optional<Path> local = localPath(ref);
    if (local.isPresent()) {
      return requireExisting(local.get(), ref, true);
    }
    Matcher m = HF_REPO.matcher(ref);
    if (m.matches()) {
      return fetchHf(ref, revision, ref);
    }
    throw new HubException(
        "model "
            + ref
            + " not found: expected a directory, file://, pvc://claim/path, https://…/dir/,"
            + " hf://org/name[@revision] or org/name");
  }

  /**
   * The local file for a data URI: a path, {@code file://}, {@code pvc://}, {@code http(s)://}, or
   * an official KLUE-RE file by name ({@code klue-re:v1.1/train}, {@code klue-re:v1.1/dev}, see
   * {@link #fetchKlueRe}).
   */
  public Path resolveFile(String uri) {
    String ref = requireReference(uri);
    if (KlueReFile.isAlias(ref)) {
      return fetchKlueRe(KlueReFile.forAlias(ref));
    }
    if (isHttp(ref)) {
      URI u = parse(ref);
      Path target = config.cacheDir().resolve("files").resolve(originKey(u));
      for (String segment : u.getPath().split("/")) {
        if (!segment.isEmpty()) {
          target = target.resolve(safeSegment(segment));
        }
      }
      // Shown in progress and errors: the file's name, never the query (a presigned signature).
      String name = target.getFileName().toString();
      if (u.getRawQuery() != null) {
        // Keyed by a digest of the query, so a signature is not written into a file name either.
        target = target.resolveSibling(name + "_q" + shortDigest(u.getRawQuery()));
      }
      if (!Files.isRegularFile(target)) {
        download(u, target, name, true);
      }
      return target;
    }
    Optional<Path> local = localPath(ref);
    if (local.isPresent()) {
      return requireExisting(local.get(), ref, false);
    }
    throw new HubException(
        "data file " + ref + " not found: expected a path, file://, pvc://claim/path or https://");
  }

  /**
   * An official KLUE-RE file in the cache ({@code datasets/klue-re-v1.1/<file>}), downloaded from
   * {@link HubConfig#klueReBaseUrl()} when missing. The file is checked against its git blob id
   * before it is moved into place, and again on every later use; a cached file that no longer
   * matches is downloaded again.
   *
   * @throws ContentMismatchException when the downloaded bytes are not the official file (the
   *     download is deleted, nothing is left in the cache)
   */
  public Path fetchKlueRe(KlueReFile file) {
    return fetchKlueRe(file, file.blobId());
  }

  /** As {@link #fetchKlueRe(KlueReFile)}, expecting another blob id (tests serve small files). */
  Path fetchKlueRe(KlueReFile file, String blobId) {
    Path target = klueReCachePath(file);
    URI url = parse(config.klueReBaseUrl() + encodePath(file.fileName()));
    try {
      if (Files.isRegularFile(target)) {
        if (GitBlob.id(target).equals(blobId)) {
          return target;
        }
        Files.delete(target); // changed since it was checked (edited, cut short by a full disk)
      }
    } catch (IOException e) {
      throw new HubException("cannot read " + target + ": " + e.getMessage(), 0, e);
    }
    download(url, target, file.fileName(), true, tmp -> verify(tmp, file, blobId, url));
    return target;
  }

  /** Where {@link #fetchKlueRe} keeps a file: {@code <cacheDir>/datasets/klue-re-v1.1/<file>}. */
  public Path klueReCachePath(KlueReFile file) {
    return config.cacheDir().resolve("datasets").resolve("klue-re-v1.1").resolve(file.fileName());
  }

  private void verify(Path downloaded, KlueReFile file, String blobId, URI url) throws IOException {
    String actual = GitBlob.id(downloaded);
    if (!actual.equals(blobId)) {
      throw new ContentMismatchException(
          file.fileName()
              + " from "
              + display(url)
              + " is not the official KLUE-RE v1.1 file: git blob id expected "
              + blobId
              + ", actual "
              + actual
              + " ("
              + Files.size(downloaded)
              + " bytes); the download was deleted. "
              + HubConfig.KLUE_RE_BASE_URL_ENV
              + " must name an unmodified copy of the KLUE repository's"
              + " klue_benchmark/klue-re-v1.1/ (now "
              + config.klueReBaseUrl()
              + ")");
    }
  }

  private Path fetchHf(String repoRef, String revision, String original) {
    Matcher m = HF_REPO.matcher(repoRef);
    if (!m.matches()) {
      throw new HubException(
          "bad Hugging Face reference " + original + ": expected org/name[@rev]");
    }
    String rev = m.group(3) != null ? m.group(3) : revision;
    rev = rev == null || rev.isBlank() ? DEFAULT_REVISION : rev.strip();
    String encodedRev = URLEncoder.encode(rev, StandardCharsets.UTF_8);
    String base =
        config.endpoint() + "/" + m.group(1) + "/" + m.group(2) + "/resolve/" + encodedRev + "/";
    Path dir =
        config
            .cacheDir()
            .resolve("hf")
            .resolve(originKey(parse(config.endpoint() + "/")))
            .resolve(m.group(1))
            .resolve(m.group(2))
            .resolve(safeSegment(encodedRev));
    return fetchModel(base, dir);
  }

  private Path fetchModel(String base, Path dir) {
    if (isComplete(dir)) {
      return dir;
    }
    Map<String, Boolean> files = new LinkedHashMap<>();
    fetch(base, dir, "config.json", true, files);
    String weights = null;
    for (String candidate : WEIGHTS) {
      if (fetch(base, dir, candidate, false, files)) {
        weights = candidate;
        break;
      }
    }
    if (weights == null) {
      throw new HubException("no weights at " + display(base) + ": tried " + WEIGHTS, 404, null);
    }
    if (weights.endsWith(".index.json")) {
      for (String shard : shards(dir.resolve(weights))) {
        fetch(base, dir, shard, true, files);
      }
    }
    if (!fetch(base, dir, "tokenizer.json", false, files)
        && !fetch(base, dir, "vocab.txt", false, files)) {
      throw new HubException(
          "no tokenizer at " + display(base) + ": tried tokenizer.json and vocab.txt", 404, null);
    }
    for (String name : OPTIONAL) {
      fetch(base, dir, name, false, files);
    }
    writeManifest(dir, base, files);
    return dir;
  }

  private boolean fetch(
      String base, Path dir, String name, boolean required, Map<String, Boolean> files) {
    Path target = dir.resolve(name);
    boolean present =
        Files.isRegularFile(target)
            || download(parse(base + encodePath(name)), target, name, required);
    files.put(name, present);
    return present;
  }

  private boolean isComplete(Path dir) {
    Path manifest = dir.resolve(MANIFEST);
    if (!Files.isRegularFile(manifest)) {
      return false;
    }
    try {
      JsonNode files = JSON.readTree(manifest.toFile()).path("files");
      if (!files.isArray() || files.isEmpty()) {
        return false;
      }
      for (JsonNode f : files) {
        if (!Files.isRegularFile(dir.resolve(f.asText()))) {
          return false;
        }
      }
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private void writeManifest(Path dir, String base, Map<String, Boolean> files) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("source", display(base));
    doc.put(
        "files",
        files.entrySet().stream().filter(Map.Entry::getValue).map(Map.Entry::getKey).toList());
    doc.put(
        "absent",
        files.entrySet().stream().filter(e -> !e.getValue()).map(Map.Entry::getKey).toList());
    doc.put("completedAt", Instant.now().toString());
    try {
      Path tmp = Files.createTempFile(dir, MANIFEST, ".part");
      JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), doc);
      try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        channel.force(true);
      }
      moveIntoPlace(tmp, dir.resolve(MANIFEST));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + dir.resolve(MANIFEST), e);
    }
  }

  private static List<String> shards(Path index) {
    try {
      JsonNode map = JSON.readTree(index.toFile()).path("weight_map");
      Set<String> names = new LinkedHashSet<>();
      map.forEach(v -> names.add(v.asText()));
      if (names.isEmpty()) {
        throw new HubException(index + " has no weight_map");
      }
      for (String n : names) {
        if (n.isBlank() || n.startsWith("/") || n.contains("..") || n.contains("\\")) {
          throw new HubException(index + " names an unsafe shard path: " + n);
        }
      }
      return new ArrayList<>(names);
    } catch (IOException e) {
      throw new HubException("cannot read " + index + ": " + e.getMessage(), 0, e);
    }
  }

  /** Checks a downloaded file before it is moved into place; throwing discards it. */
  @FunctionalInterface
  private interface Check {
    Check NONE = file -> {};

    void accept(Path file) throws IOException;
  }

  private boolean download(URI url, Path target, String name, boolean required) {
    return download(url, target, name, required, Check.NONE);
  }

  /**
   * Downloads url to target; false only for a 404 on an optional file. Connection errors, stalls,
   * 429 and 5xx are retried; a body that does not hash to the sha256 its response announced is
   * retried once (a corrupted transfer), and a second mismatch is final (the source serves another
   * file than it names).
   */
  private boolean download(URI url, Path target, String name, boolean required, Check check) {
    Exception last = null;
    int lastStatus = 0;
    long backoff = config.initialBackoff().toMillis();
    boolean mismatchedBefore = false;
    for (int attempt = 1; attempt <= config.maxAttempts(); attempt++) {
      try {
        int status = attemptDownload(url, target, name, check);
        if (status == 200) {
          return true;
        }
        if (status == 404) {
          if (required) {
            throw new HubException("not found (404): " + display(url), 404, null);
          }
          return false;
        }
        lastStatus = status;
        last = null;
      } catch (DigestMismatch e) {
        if (mismatchedBefore || attempt == config.maxAttempts()) {
          throw new ContentMismatchException(
              e.getMessage()
                  + (mismatchedBefore ? " twice" : "")
                  + "; the download was deleted. The source serves another file than it names:"
                  + " retrying cannot help");
        }
        mismatchedBefore = true;
        last = e;
        lastStatus = 0;
      } catch (IOException e) {
        last = e;
        lastStatus = 0;
      }
      if (attempt < config.maxAttempts()) {
        sleep(backoff);
        backoff *= 2;
      }
    }
    String why =
        last != null
            ? last.getClass().getSimpleName()
                + (last.getMessage() == null ? "" : ": " + last.getMessage())
            : "HTTP " + lastStatus;
    throw new HubException(
        "cannot download "
            + display(url)
            + " after "
            + config.maxAttempts()
            + " attempt(s): "
            + why,
        lastStatus,
        last,
        true);
  }

  /** One attempt; returns 200 on success, 404, or a retryable status; throws on the rest. */
  private int attemptDownload(URI url, Path target, String name, Check check) throws IOException {
    URI current = url;
    // Hugging Face names an LFS file's sha256 in X-Linked-Etag on the redirect to its CDN.
    Sha256 announced = null;
    for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
      HttpRequest.Builder request =
          HttpRequest.newBuilder(current).timeout(config.timeout()).header("User-Agent", "kret");
      if (sendsToken(current)) {
        request.header("Authorization", "Bearer " + config.token());
      }
      HttpResponse<InputStream> response = send(request.GET().build());
      int status = response.statusCode();
      if (announced == null) {
        announced = Sha256.linked(response.headers());
      }
      if (status >= 300 && status < 400 && status != 304) {
        String location = response.headers().firstValue("Location").orElse(null);
        response.body().close();
        if (location == null) {
          throw new HubException(
              "redirect without Location from " + display(current), status, null);
        }
        current = current.resolve(location);
        continue;
      }
      if (status != 200) {
        response.body().close();
        if (status == 401 || status == 403) {
          throw new HubException(authMessage(status, url), status, null);
        }
        if (status == 404 || status == 429 || status >= 500) {
          return status;
        }
        throw new HubException(
            "unexpected HTTP " + status + " from " + display(current), status, null);
      }
      long total = response.headers().firstValueAsLong("Content-Length").orElse(-1);
      if (total > config.maxBytes()) {
        response.body().close();
        throw tooLarge(url, name, total + " bytes announced");
      }
      Sha256 expected = announced != null ? announced : Sha256.etag(response.headers());
      save(response.body(), total, url, name, target, expected, check);
      return 200;
    }
    throw new HubException("too many redirects from " + display(url), 0, null);
  }

  /**
   * Streams a body into a dot-prefixed {@code .part} file beside target (a killed download never
   * leaves something that looks complete), hashing it on the way; checks size, digest and check,
   * syncs it to disk and renames it into place. Anything else deletes it.
   */
  private void save(
      InputStream body, long total, URI url, String name, Path target, Sha256 expected, Check check)
      throws IOException {
    Files.createDirectories(target.getParent());
    Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName() + ".", ".part");
    boolean moved = false;
    try {
      long written = 0;
      long reported = 0;
      MessageDigest sha256 = Sha256.digest();
      try (InputStream in = body;
          FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE);
          OutputStream out = Channels.newOutputStream(channel)) {
        byte[] buffer = new byte[64 * 1024];
        int n;
        while ((n = read(in, buffer, written, total)) >= 0) {
          if (written + n > config.maxBytes()) {
            throw tooLarge(url, name, "more than " + written + " bytes sent");
          }
          out.write(buffer, 0, n);
          sha256.update(buffer, 0, n);
          written += n;
          if (written - reported >= PROGRESS_STEP) {
            progress.onProgress(display(url), name, written, total);
            reported = written;
          }
        }
        // On disk before the rename: a crash after it must not leave a named but empty file.
        channel.force(true);
      }
      if (total >= 0 && written != total) {
        throw new IOException("truncated download: " + written + " of " + total + " bytes");
      }
      progress.onProgress(display(url), name, written, total);
      if (expected != null) {
        String actual = HexFormat.of().formatHex(sha256.digest());
        if (!actual.equals(expected.hex())) {
          throw new DigestMismatch(
              name
                  + " from "
                  + display(url)
                  + " does not match the sha256 its "
                  + expected.header()
                  + " header names: expected "
                  + expected.hex()
                  + ", actual "
                  + actual
                  + " ("
                  + written
                  + " bytes)");
        }
      }
      check.accept(tmp);
      moveIntoPlace(tmp, target);
      moved = true;
    } finally {
      if (!moved) {
        Files.deleteIfExists(tmp);
      }
    }
  }

  private HubException tooLarge(URI url, String name, String size) {
    return new HubException(
        name
            + " from "
            + display(url)
            + " is larger than the download limit of "
            + config.maxBytes()
            + " bytes ("
            + size
            + "); raise "
            + HubConfig.MAX_BYTES_ENV
            + " if the file is meant to be that large",
        0,
        null);
  }

  /**
   * One read, failing when no byte arrives within {@link HubConfig#readTimeout()}: the HTTP
   * client's own timeout ends when the headers arrive, and a stalled body would otherwise hang
   * until the Job's deadline. A watchdog closes the stream, which wakes the blocked read.
   */
  private int read(InputStream in, byte[] buffer, long written, long total) throws IOException {
    AtomicBoolean stalled = new AtomicBoolean();
    ScheduledFuture<?> alarm =
        Watchdog.TIMER.schedule(
            () -> {
              stalled.set(true);
              try {
                in.close();
              } catch (IOException | RuntimeException e) {
                // the read fails or ends either way; stalled says why
              }
            },
            config.readTimeout().toMillis(),
            TimeUnit.MILLISECONDS);
    int n;
    try {
      n = in.read(buffer);
    } catch (IOException e) {
      if (stalled.get()) {
        throw stall(written, total, e);
      }
      throw new IOException(
          "connection lost after "
              + written
              + (total >= 0 ? " of " + total : "")
              + " bytes ("
              + e.getMessage()
              + ")",
          e);
    } finally {
      alarm.cancel(false);
    }
    if (stalled.get()) {
      throw stall(written, total, null);
    }
    return n;
  }

  private SocketTimeoutException stall(long written, long total, IOException cause) {
    SocketTimeoutException e =
        new SocketTimeoutException(
            "no data for "
                + config.readTimeout().toMillis()
                + " ms after "
                + written
                + (total >= 0 ? " of " + total : "")
                + " bytes (read timeout, "
                + HubConfig.READ_TIMEOUT_ENV
                + ")");
    if (cause != null) {
      e.initCause(cause);
    }
    return e;
  }

  /** The one thread that times out stalled reads (a daemon: it never keeps the JVM alive). */
  private static final class Watchdog {
    static final ScheduledThreadPoolExecutor TIMER = timer();

    private static ScheduledThreadPoolExecutor timer() {
      ScheduledThreadPoolExecutor t =
          new ScheduledThreadPoolExecutor(
              1,
              r -> {
                Thread thread = new Thread(r, "kret-hub-read-timeout");
                thread.setDaemon(true);
                return thread;
              });
      t.setRemoveOnCancelPolicy(true);
      return t;
    }
  }

  /** The body did not hash to the sha256 its response named: retried once, then final. */
  private static final class DigestMismatch extends IOException {
    DigestMismatch(String message) {
      super(message);
    }
  }

  /**
   * A sha256 a response names for its body: Hugging Face's {@code X-Linked-Etag} (an LFS file's
   * sha256, on the resolve response that redirects to the CDN), else a strong {@code ETag} of 64
   * hex digits on the final response. Other ETags (a git blob's sha1 for small files, a server's
   * own opaque tags, weak ones) say nothing about the bytes and are ignored.
   */
  record Sha256(String hex, String header) {
    private static final Pattern HEX64 = Pattern.compile("\"?([0-9a-fA-F]{64})\"?");

    static Sha256 linked(HttpHeaders headers) {
      return of(headers, "X-Linked-Etag");
    }

    static Sha256 etag(HttpHeaders headers) {
      return of(headers, "ETag");
    }

    private static Sha256 of(HttpHeaders headers, String name) {
      return headers
          .firstValue(name)
          .map(v -> HEX64.matcher(v.strip()))
          .filter(Matcher::matches)
          .map(m -> new Sha256(m.group(1).toLowerCase(Locale.ROOT), name))
          .orElse(null);
    }

    static MessageDigest digest() {
      try {
        return MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("SHA-256 is required of every JVM", e);
      }
    }
  }

  private HttpResponse<InputStream> send(HttpRequest request) throws IOException {
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofInputStream());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new HubException("interrupted while downloading " + display(request.uri()), 0, e);
    }
  }

  private String authMessage(int status, URI url) {
    boolean sent = config.token() != null;
    if (status == 401) {
      return sent
          ? "the hub token was rejected (401) for "
              + display(url)
              + ": check that it is valid and not expired"
          : "authentication required (401) for "
              + display(url)
              + ": the repository is private, gated or does not exist; set HF_TOKEN"
              + " (or spec.secrets.hubToken) to a token with access";
    }
    return sent
        ? "access denied (403) for "
            + display(url)
            + ": the token has no access to this repository (for a gated model, accept its"
            + " conditions on the hub first)"
        : "access denied (403) for "
            + display(url)
            + ": a token is needed; set HF_TOKEN (or spec.secrets.hubToken)";
  }

  private static void moveIntoPlace(Path tmp, Path target) throws IOException {
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
    }
    // The rename itself is durable only once the directory is synced (Linux; elsewhere skipped).
    try (FileChannel dir = FileChannel.open(target.getParent(), StandardOpenOption.READ)) {
      dir.force(true);
    } catch (IOException | RuntimeException e) {
      // a file system or OS that cannot sync a directory: the rename is still atomic
    }
  }

  private Optional<Path> localPath(String ref) {
    if (ref.startsWith("file:")) {
      try {
        return Optional.of(Path.of(new URI(ref)));
      } catch (URISyntaxException | IllegalArgumentException e) {
        throw new HubException("bad file URI " + ref + ": " + e.getMessage());
      }
    }
    if (ref.startsWith("pvc://")) {
      String rest = ref.substring("pvc://".length());
      int slash = rest.indexOf('/');
      if (slash <= 0) {
        throw new HubException("bad pvc URI " + ref + ": expected pvc://claim/path");
      }
      Path root = config.pvcRoot().toAbsolutePath().normalize();
      Path path = root.resolve(rest.substring(slash + 1).replaceFirst("^/+", "")).normalize();
      if (!path.startsWith(root)) {
        throw new HubException("bad pvc URI " + ref + ": the path leaves the volume");
      }
      return Optional.of(path);
    }
    if (ref.contains("://")) {
      throw new HubException("unsupported URI scheme in " + ref);
    }
    Path p = Path.of(ref);
    boolean looksLocal =
        p.isAbsolute() || ref.startsWith(".") || ref.startsWith("~") || Files.exists(p);
    return looksLocal ? Optional.of(p) : Optional.empty();
  }

  private static Path requireExisting(Path path, String ref, boolean directory) {
    if (directory ? Files.isDirectory(path) : Files.isRegularFile(path)) {
      return path;
    }
    throw new HubException((directory ? "model directory " : "data file ") + ref + " not found");
  }

  private static String requireReference(String ref) {
    if (ref == null || ref.isBlank()) {
      throw new HubException("empty model or data reference");
    }
    return ref.strip();
  }

  private static boolean isHttp(String ref) {
    String lower = ref.toLowerCase(Locale.ROOT);
    return lower.startsWith("https://") || lower.startsWith("http://");
  }

  /**
   * The hub token goes to the configured hub endpoint's origin only, hop by hop: not to a dataset
   * or model URL on another host (a FineTuneRun naming an attacker's server would otherwise receive
   * the Secret), not across a redirect to another origin, and over plain http only when the
   * endpoint itself is an http URL on this machine (a local mirror or test server).
   */
  boolean sendsToken(URI target) {
    if (config.token() == null) {
      return false;
    }
    URI endpoint;
    try {
      endpoint = new URI(config.endpoint());
    } catch (URISyntaxException e) {
      return false;
    }
    if (endpoint.getScheme() == null || !sameOrigin(endpoint, target)) {
      return false;
    }
    return "https".equalsIgnoreCase(endpoint.getScheme())
        || ("http".equalsIgnoreCase(endpoint.getScheme()) && isLoopback(endpoint.getHost()));
  }

  private static boolean isLoopback(String host) {
    if (host == null) {
      return false;
    }
    String h = host.toLowerCase(java.util.Locale.ROOT);
    return h.equals("localhost") || h.startsWith("127.") || h.equals("[::1]") || h.equals("::1");
  }

  private static boolean sameOrigin(URI a, URI b) {
    return a.getScheme().equalsIgnoreCase(b.getScheme())
        && a.getHost() != null
        && a.getHost().equalsIgnoreCase(b.getHost())
        && a.getPort() == b.getPort();
  }

  private static URI parse(String url) {
    try {
      return new URI(url);
    } catch (URISyntaxException e) {
      throw new HubException("bad URL " + url + ": " + e.getMessage());
    }
  }

  /**
   * {@code <scheme>/<host>[_<port>]}: http and https of the same host and path are different
   * sources (a plain-http answer must never stand in for the https one), so they never share an
   * entry.
   */
  private static Path originKey(URI uri) {
    String host = uri.getHost() == null ? "local" : uri.getHost();
    String scheme = uri.getScheme() == null ? "none" : uri.getScheme().toLowerCase(Locale.ROOT);
    return Path.of(
        safeSegment(scheme), safeSegment(uri.getPort() < 0 ? host : host + "_" + uri.getPort()));
  }

  private static String shortDigest(String s) {
    MessageDigest sha256 = Sha256.digest();
    return HexFormat.of().formatHex(sha256.digest(s.getBytes(StandardCharsets.UTF_8)), 0, 8);
  }

  private static String safeSegment(String s) {
    String safe = s.replaceAll("[^A-Za-z0-9._%-]", "_");
    return safe.equals(".") || safe.equals("..") ? "_" + safe : safe;
  }

  private static String encodePath(String name) {
    StringBuilder sb = new StringBuilder();
    for (String part : name.split("/")) {
      if (sb.length() > 0) {
        sb.append('/');
      }
      sb.append(URLEncoder.encode(part, StandardCharsets.UTF_8).replace("+", "%20"));
    }
    return sb.toString();
  }

  /**
   * A URI as it may appear in errors, logs, the status and model metadata: an http(s) URL without
   * its userinfo, query and fragment (a presigned URL's signature or a password must not travel
   * with the message); anything else unchanged.
   */
  public static String redact(String uri) {
    if (uri == null) {
      return null;
    }
    try {
      URI u = new URI(uri.strip());
      if (u.getScheme() != null
          && (u.getScheme().equalsIgnoreCase("http") || u.getScheme().equalsIgnoreCase("https"))
          && u.getHost() != null) {
        return display(u);
      }
    } catch (URISyntaxException e) {
      // not a URI: shown as given
    }
    return uri;
  }

  /** The URL without user info or query: safe for logs and messages. */
  static String display(URI uri) {
    return uri.getScheme()
        + "://"
        + uri.getHost()
        + (uri.getPort() < 0 ? "" : ":" + uri.getPort())
        + uri.getRawPath();
  }

  private static String display(String url) {
    return display(parse(url));
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new HubException("interrupted while waiting to retry", 0, e);
    }
  }
}
