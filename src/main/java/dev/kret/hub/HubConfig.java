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
 */
public record HubConfig(
    Path cacheDir,
    String endpoint,
    Path pvcRoot,
    String token,
    int maxAttempts,
    Duration initialBackoff,
    Duration timeout) {

  public static final String DEFAULT_ENDPOINT = "https://huggingface.co";
  public static final Path DEFAULT_PVC_ROOT = Path.of("/models");

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
  }

  /** Defaults: {@code ~/.cache/kret/hub}, huggingface.co, {@code /models}, no token. */
  public static HubConfig defaults() {
    return new HubConfig(null, null, null, null, 4, null, null);
  }

  /** Defaults overridden by {@code KRET_CACHE}, {@code HF_ENDPOINT} and {@code HF_TOKEN}. */
  public static HubConfig fromEnvironment() {
    return fromEnvironment(System.getenv());
  }

  /** As {@link #fromEnvironment()}, reading the given variables (for tests). */
  public static HubConfig fromEnvironment(Map<String, String> env) {
    String cache = env.get("KRET_CACHE");
    return defaults()
        .withCacheDir(cache == null || cache.isBlank() ? null : Path.of(cache))
        .withEndpoint(env.get("HF_ENDPOINT"))
        .withToken(env.get("HF_TOKEN"));
  }

  public HubConfig withCacheDir(Path dir) {
    return new HubConfig(dir, endpoint, pvcRoot, token, maxAttempts, initialBackoff, timeout);
  }

  public HubConfig withEndpoint(String url) {
    return new HubConfig(cacheDir, url, pvcRoot, token, maxAttempts, initialBackoff, timeout);
  }

  public HubConfig withPvcRoot(Path root) {
    return new HubConfig(cacheDir, endpoint, root, token, maxAttempts, initialBackoff, timeout);
  }

  /** A copy sending this bearer token; null or blank keeps none. */
  public HubConfig withToken(String bearer) {
    return new HubConfig(cacheDir, endpoint, pvcRoot, bearer, maxAttempts, initialBackoff, timeout);
  }

  public HubConfig withRetries(int attempts, Duration backoff) {
    return new HubConfig(cacheDir, endpoint, pvcRoot, token, attempts, backoff, timeout);
  }

  public HubConfig withTimeout(Duration value) {
    return new HubConfig(cacheDir, endpoint, pvcRoot, token, maxAttempts, initialBackoff, value);
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
