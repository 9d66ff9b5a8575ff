package dev.kret.hub;

import static dev.kret.hub.CacheLayout.moveIntoPlace;
import static dev.kret.hub.References.display;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The downloader: one URL into one file, with retries and backoff, redirects followed by hand (the
 * token goes to the hub's own origin only), a size limit, a read timeout, the sha256 a response
 * names checked, and a {@code .part} file synced and renamed into place.
 */
final class Downloader {
  private static final int MAX_REDIRECTS = 10;
  private static final long PROGRESS_STEP = 1 << 20;

  private final HubConfig config;
  private final ProgressListener progress;
  private final HttpClient http;

  Downloader(HubConfig config, ProgressListener progress) {
    this.config = config;
    this.progress = progress;
    // Redirects are followed by hand so the token never leaves the host it was meant for.
    this.http =
        HttpClient.newBuilder()
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(config.timeout())
            .build();
  }

  /** Checks a downloaded file before it is moved into place; throwing discards it. */
  @FunctionalInterface
  interface Check {
    Check NONE = file -> {};

    void accept(Path file) throws IOException;
  }

  boolean download(URI url, Path target, String name, boolean required) {
    return download(url, target, name, required, Check.NONE);
  }

  /**
   * Downloads url to target; false only for a 404 on an optional file. Connection errors, stalls,
   * 429 and 5xx are retried; a body that does not hash to the sha256 its response announced is
   * retried once (a corrupted transfer), and a second mismatch is final (the source serves another
   * file than it names).
   */
  boolean download(URI url, Path target, String name, boolean required, Check check) {
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

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new HubException("interrupted while waiting to retry", 0, e);
    }
  }
}
