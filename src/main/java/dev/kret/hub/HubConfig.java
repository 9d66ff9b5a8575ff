package dev.kret.hub;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where {@link Hub} caches downloads and whom it asks; {@code token} is optional and never printed.
 *
 * @param cacheDir downloads land here, keyed by endpoint, repository, revision and file
 * @param endpoint Hugging Face compatible endpoint for {@code hf://} and bare {@code org/name}
 * @param pvcRoot where the model volume is mounted; {@code pvc://claim/path} maps to {@code
 *     pvcRoot/path}
 * @param token bearer token sent as {@code Authorization}, or null
 * @param maxAttempts attempts per file on 5xx, 429 and I/O errors (at least 1)
 * @param initialBackoff wait before the first retry, doubled after each
 * @param timeout connect timeout and time allowed until response headers arrive
 * @param klueReBaseUrl where the official KLUE-RE files ({@code klue-re:v1.1/train}, {@code …/dev})
 *     are downloaded from: the KLUE repository, or a mirror holding the same files
 * @param maxBytes the largest file downloaded, per file (model weights and data alike); a larger
 *     one fails without being retried
 * @param readTimeout the longest wait for the next bytes of a body once its headers have arrived; a
 *     stalled body fails the attempt (retried, then a retryable {@link HubException})
 */
public record HubConfig(
    Path cacheDir,
    String endpoint,
    Path pvcRoot,
    String token,
    int maxAttempts,
    Duration initialBackoff,
    Duration timeout,
    String klueReBaseUrl,
    long maxBytes,
    Duration readTimeout) {

  public static final String DEFAULT_ENDPOINT = "https://huggingface.co";
  public static final Path DEFAULT_PVC_ROOT = Path.of("/models");

  /** The environment variable that overrides {@link #klueReBaseUrl()} (tests, mirrors). */
  public static final String KLUE_RE_BASE_URL_ENV = "KRET_KLUE_RE_BASE_URL";

  /** The environment variable that sets {@link #maxBytes()}: bytes, or a Kubernetes quantity. */
  public static final String MAX_BYTES_ENV = "KRET_HUB_MAX_BYTES";

  /** The environment variable that sets {@link #readTimeout()}: seconds, or {@code 500ms}, … */
  public static final String READ_TIMEOUT_ENV = "KRET_HUB_READ_TIMEOUT";

  /**
   * 10 GiB per file: above any single weights file of the RoBERTa family (klue/roberta-large's
   * pytorch_model.bin is 1.35 GB) and the hub's shards (at most 5-10 GB each), far above any
   * KLUE-RE-sized dataset.
   */
  public static final long DEFAULT_MAX_BYTES = 10L << 30;

  public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(60);

  private static final Pattern BYTES = Pattern.compile("([0-9]+)(k|M|G|T|Ki|Mi|Gi|Ti)?");
  private static final Pattern DURATION = Pattern.compile("([0-9]+)(ms|s|m)?");

  public HubConfig {
    if (cacheDir == null) {
      cacheDir = defaultCacheDir();
    }
    endpoint = endpoint == null || endpoint.isBlank() ? DEFAULT_ENDPOINT : stripSlash(endpoint);
    pvcRoot = pvcRoot == null ? DEFAULT_PVC_ROOT : pvcRoot;
    token = token == null || token.isBlank() ? null : token.strip();
    maxAttempts = Math.max(1, maxAttempts);
    initialBackoff = initialBackoff == null ? Duration.ofMillis(500) : initialBackoff;
    timeout = timeout == null ? Duration.ofSeconds(60) : timeout;
    klueReBaseUrl =
        klueReBaseUrl == null || klueReBaseUrl.isBlank()
            ? KlueReFile.DEFAULT_BASE_URL
            : stripSlash(klueReBaseUrl) + "/";
    maxBytes = maxBytes <= 0 ? DEFAULT_MAX_BYTES : maxBytes;
    readTimeout =
        readTimeout == null || readTimeout.isZero() || readTimeout.isNegative()
            ? DEFAULT_READ_TIMEOUT
            : readTimeout;
  }

  /** Defaults: {@code ~/.cache/kret/hub}, huggingface.co, {@code /models}, no token. */
  public static HubConfig defaults() {
    return new HubConfig(null, null, null, null, 4, null, null, null, 0, null);
  }

  /**
   * Defaults overridden by {@code KRET_CACHE}, {@code HF_ENDPOINT}, {@code HF_TOKEN}, {@code
   * KRET_KLUE_RE_BASE_URL}, {@code KRET_HUB_MAX_BYTES} and {@code KRET_HUB_READ_TIMEOUT}.
   *
   * @throws HubException when a size or a duration cannot be read (naming the variable)
   */
  public static HubConfig fromEnvironment() {
    return fromEnvironment(System.getenv());
  }

  /** As {@link #fromEnvironment()}, reading the given variables (for tests). */
  public static HubConfig fromEnvironment(Map<String, String> env) {
    String cache = env.get("KRET_CACHE");
    return defaults()
        .withCacheDir(cache == null || cache.isBlank() ? null : Path.of(cache))
        .withEndpoint(env.get("HF_ENDPOINT"))
        .withToken(env.get("HF_TOKEN"))
        .withKlueReBaseUrl(env.get(KLUE_RE_BASE_URL_ENV))
        .withMaxBytes(bytes(MAX_BYTES_ENV, env.get(MAX_BYTES_ENV)))
        .withReadTimeout(duration(READ_TIMEOUT_ENV, env.get(READ_TIMEOUT_ENV)));
  }

  /** Bytes in a plain number or a Kubernetes quantity ({@code 500M}, {@code 8Gi}); 0 if unset. */
  static long bytes(String variable, String value) {
    if (value == null || value.isBlank()) {
      return 0;
    }
    Matcher m = BYTES.matcher(value.strip());
    if (m.matches()) {
      int shift =
          switch (m.group(2) == null ? "" : m.group(2)) {
            case "Ki" -> 10;
            case "Mi" -> 20;
            case "Gi" -> 30;
            case "Ti" -> 40;
            default -> 0;
          };
      long scale =
          switch (m.group(2) == null ? "" : m.group(2)) {
            case "k" -> 1_000L;
            case "M" -> 1_000_000L;
            case "G" -> 1_000_000_000L;
            case "T" -> 1_000_000_000_000L;
            default -> 1L << shift;
          };
      try {
        long n = Long.parseLong(m.group(1));
        if (n > 0) {
          return Math.multiplyExact(n, scale);
        }
      } catch (ArithmeticException | NumberFormatException e) {
        // too large: reported below
      }
    }
    throw new HubException(
        variable
            + ": expected a positive number of bytes, optionally with k, M, G, T, Ki, Mi, Gi or Ti"
            + " (e.g. 8Gi), got \""
            + value
            + "\"");
  }

  /** A duration in seconds ({@code 90}, {@code 90s}), minutes ({@code 2m}) or {@code ms}. */
  static Duration duration(String variable, String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    Matcher m = DURATION.matcher(value.strip());
    if (m.matches()) {
      try {
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        Duration d =
            switch (unit) {
              case "ms" -> Duration.ofMillis(n);
              case "m" -> Duration.ofMinutes(n);
              default -> Duration.ofSeconds(n);
            };
        if (!d.isZero()) {
          return d;
        }
      } catch (ArithmeticException | NumberFormatException e) {
        // too large: reported below
      }
    }
    throw new HubException(
        variable
            + ": expected a positive duration in seconds, or with ms, s or m (e.g. 90s), got \""
            + value
            + "\"");
  }

  public HubConfig withCacheDir(Path dir) {
    return new HubConfig(
        dir,
        endpoint,
        pvcRoot,
        token,
        maxAttempts,
        initialBackoff,
        timeout,
        klueReBaseUrl,
        maxBytes,
        readTimeout);
  }

  public HubConfig withEndpoint(String url) {
    return new HubConfig(
        cacheDir,
        url,
        pvcRoot,
        token,
        maxAttempts,
        initialBackoff,
        timeout,
        klueReBaseUrl,
        maxBytes,
        readTimeout);
  }

  public HubConfig withPvcRoot(Path root) {
    return new HubConfig(
        cacheDir,
        endpoint,
        root,
        token,
        maxAttempts,
        initialBackoff,
        timeout,
        klueReBaseUrl,
        maxBytes,
        readTimeout);
  }

  /** A copy sending this bearer token; null or blank keeps none. */
  public HubConfig withToken(String bearer) {
    return new HubConfig(
        cacheDir,
        endpoint,
        pvcRoot,
        bearer,
        maxAttempts,
        initialBackoff,
        timeout,
        klueReBaseUrl,
        maxBytes,
        readTimeout);
  }

  public HubConfig withRetries(int attempts, Duration backoff) {
    return new HubConfig(
        cacheDir,
        endpoint,
        pvcRoot,
        token,
        attempts,
        backoff,
        timeout,
        klueReBaseUrl,
        maxBytes,
        readTimeout);
  }

  public HubConfig withTimeout(Duration value) {
    return new HubConfig(
        cacheDir,
        endpoint,
        pvcRoot,
        token,
        maxAttempts,
        initialBackoff,
        value,
        klueReBaseUrl,
        maxBytes,
        readTimeout);
  }

  /** A copy fetching the official KLUE-RE files from this base URL; null or blank: the default. */
  public HubConfig withKlueReBaseUrl(String url) {
    return new HubConfig(
        cacheDir,
        endpoint,
        pvcRoot,
        token,
        maxAttempts,
        initialBackoff,
        timeout,
        url,
        maxBytes,
        readTimeout);
  }

  /** A copy refusing files larger than this many bytes; 0 or less: the default (10 GiB). */
  public HubConfig withMaxBytes(long bytes) {
    return new HubConfig(
        cacheDir,
        endpoint,
        pvcRoot,
        token,
        maxAttempts,
        initialBackoff,
        timeout,
        klueReBaseUrl,
        bytes,
        readTimeout);
  }

  /** A copy failing a body that sends nothing for this long; null: the default (60 s). */
  public HubConfig withReadTimeout(Duration value) {
    return new HubConfig(
        cacheDir,
        endpoint,
        pvcRoot,
        token,
        maxAttempts,
        initialBackoff,
        timeout,
        klueReBaseUrl,
        maxBytes,
        value);
  }

  /** Never prints the token, only whether one is set. */
  @Override
  public String toString() {
    return "HubConfig[cacheDir="
        + cacheDir
        + ", endpoint="
        + endpoint
        + ", pvcRoot="
        + pvcRoot
        + ", token="
        + (token == null ? "none" : "***")
        + ", maxAttempts="
        + maxAttempts
        + ", initialBackoff="
        + initialBackoff
        + ", timeout="
        + timeout
        + ", klueReBaseUrl="
        + klueReBaseUrl
        + ", maxBytes="
        + maxBytes
        + ", readTimeout="
        + readTimeout
        + "]";
  }

  private static Path defaultCacheDir() {
    return Path.of(System.getProperty("user.home"), ".cache", "kret", "hub");
  }

  private static String stripSlash(String url) {
    String s = url.strip();
    while (s.endsWith("/")) {
      s = s.substring(0, s.length() - 1);
    }
    return s;
  }
}
