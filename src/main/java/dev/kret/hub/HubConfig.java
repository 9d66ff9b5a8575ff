package dev.kret.hub;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

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
 */
public record HubConfig(
    Path cacheDir,
    String endpoint,
    Path pvcRoot,
    String token,
    int maxAttempts,
    Duration initialBackoff,
    Duration timeout,
    String klueReBaseUrl) {

  public static final String DEFAULT_ENDPOINT = "https://huggingface.co";
  public static final Path DEFAULT_PVC_ROOT = Path.of("/models");

  /** The environment variable that overrides {@link #klueReBaseUrl()} (tests, mirrors). */
  public static final String KLUE_RE_BASE_URL_ENV = "KRET_KLUE_RE_BASE_URL";

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
  }

  /** Defaults: {@code ~/.cache/kret/hub}, huggingface.co, {@code /models}, no token. */
  public static HubConfig defaults() {
    return new HubConfig(null, null, null, null, 4, null, null, null);
  }

  /**
   * Defaults overridden by {@code KRET_CACHE}, {@code HF_ENDPOINT}, {@code HF_TOKEN} and {@code
   * KRET_KLUE_RE_BASE_URL}.
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
        .withKlueReBaseUrl(env.get(KLUE_RE_BASE_URL_ENV));
  }

  public HubConfig withCacheDir(Path dir) {
    return new HubConfig(
        dir, endpoint, pvcRoot, token, maxAttempts, initialBackoff, timeout, klueReBaseUrl);
  }

  public HubConfig withEndpoint(String url) {
    return new HubConfig(
        cacheDir, url, pvcRoot, token, maxAttempts, initialBackoff, timeout, klueReBaseUrl);
  }

  public HubConfig withPvcRoot(Path root) {
    return new HubConfig(
        cacheDir, endpoint, root, token, maxAttempts, initialBackoff, timeout, klueReBaseUrl);
  }

  /** A copy sending this bearer token; null or blank keeps none. */
  public HubConfig withToken(String bearer) {
    return new HubConfig(
        cacheDir, endpoint, pvcRoot, bearer, maxAttempts, initialBackoff, timeout, klueReBaseUrl);
  }

  public HubConfig withRetries(int attempts, Duration backoff) {
    return new HubConfig(
        cacheDir, endpoint, pvcRoot, token, attempts, backoff, timeout, klueReBaseUrl);
  }

  public HubConfig withTimeout(Duration value) {
    return new HubConfig(
        cacheDir, endpoint, pvcRoot, token, maxAttempts, initialBackoff, value, klueReBaseUrl);
  }

  /** A copy fetching the official KLUE-RE files from this base URL; null or blank: the default. */
  public HubConfig withKlueReBaseUrl(String url) {
    return new HubConfig(
        cacheDir, endpoint, pvcRoot, token, maxAttempts, initialBackoff, timeout, url);
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
