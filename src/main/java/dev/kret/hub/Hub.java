package dev.kret.hub;

import static dev.kret.hub.References.display;
import static dev.kret.hub.References.encodePath;
import static dev.kret.hub.References.isHttp;
import static dev.kret.hub.References.localPath;
import static dev.kret.hub.References.parse;
import static dev.kret.hub.References.requireExisting;
import static dev.kret.hub.References.requireReference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

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
 *
 * <p>It composes three parts: reference parsing ({@code References}), the downloader ({@code
 * Downloader}) and the cache layout ({@code CacheLayout}).
 */
public final class Hub {

  /** Written into a cached model directory once every file is in place. */
  public static final String MANIFEST = CacheLayout.MANIFEST;

  private static final List<String> WEIGHTS =
      List.of("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin");
  private static final List<String> OPTIONAL =
      List.of("tokenizer_config.json", "special_tokens_map.json", "kret.json");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HubConfig config;
  private final Downloader downloader;
  private final CacheLayout layout;

  public Hub(HubConfig config) {
    this(config, ProgressListener.NONE);
  }

  public Hub(HubConfig config, ProgressListener progress) {
    this.config = config;
    this.downloader = new Downloader(config, progress == null ? ProgressListener.NONE : progress);
    this.layout = new CacheLayout(config.cacheDir());
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
      return fetchModel(base, layout.urlModel(parse(base)));
    }
    if (ref.startsWith("hf://")) {
      return fetchHf(ref.substring("hf://".length()), revision, ref);
    }
    Optional<Path> local = localPath(ref, config.pvcRoot());
    if (local.isPresent()) {
      return requireExisting(local.get(), ref, true);
    }
    if (References.isHfRepo(ref)) {
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
      CacheLayout.CachedFile file = layout.file(u);
      if (!Files.isRegularFile(file.path())) {
        downloader.download(u, file.path(), file.name(), true);
      }
      return file.path();
    }
    Optional<Path> local = localPath(ref, config.pvcRoot());
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
    downloader.download(url, target, file.fileName(), true, tmp -> verify(tmp, file, blobId, url));
    return target;
  }

  /** Where {@link #fetchKlueRe} keeps a file: {@code <cacheDir>/datasets/klue-re-v1.1/<file>}. */
  public Path klueReCachePath(KlueReFile file) {
    return layout.klueRe(file);
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
    References.HfRepo repo = References.hfRepo(repoRef, revision, original);
    String base =
        config.endpoint()
            + "/"
            + repo.org()
            + "/"
            + repo.name()
            + "/resolve/"
            + repo.encodedRevision()
            + "/";
    return fetchModel(base, layout.hfModel(parse(config.endpoint() + "/"), repo));
  }

  private Path fetchModel(String base, Path dir) {
    if (layout.isComplete(dir)) {
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
    layout.writeManifest(dir, base, files);
    return dir;
  }

  private boolean fetch(
      String base, Path dir, String name, boolean required, Map<String, Boolean> files) {
    Path target = dir.resolve(name);
    boolean present =
        Files.isRegularFile(target)
            || downloader.download(parse(base + encodePath(name)), target, name, required);
    files.put(name, present);
    return present;
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

  /** As the downloader judges it; see {@link Downloader#sendsToken}. */
  boolean sendsToken(URI target) {
    return downloader.sendsToken(target);
  }

  /**
   * A URI as it may appear in errors, logs, the status and model metadata: an http(s) URL without
   * its userinfo, query and fragment (a presigned URL's signature or a password must not travel
   * with the message); anything else unchanged.
   */
  public static String redact(String uri) {
    return References.redact(uri);
  }
}
