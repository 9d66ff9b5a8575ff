package dev.kret.hub;

import static dev.kret.hub.References.display;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The cache layout under {@link HubConfig#cacheDir()} (the package description lists it): where a
 * model directory or a data file from each kind of reference is kept, the manifest that marks a
 * model download complete, and the atomic rename that puts a file in place.
 */
final class CacheLayout {
  static final String MANIFEST = ".kret-download.json";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path cacheDir;

  CacheLayout(Path cacheDir) {
    this.cacheDir = cacheDir;
  }

  /** A model directory served over http(s): {@code url/<scheme>/<host_port>/<path>}. */
  Path urlModel(URI base) {
    return underOrigin("url", base);
  }

  /** A Hugging Face model: {@code hf/<endpoint scheme>/<endpoint host_port>/<org>/<name>/<rev>}. */
  Path hfModel(URI endpoint, References.HfRepo repo) {
    return cacheDir
        .resolve("hf")
        .resolve(originKey(endpoint))
        .resolve(repo.org())
        .resolve(repo.name())
        .resolve(safeSegment(repo.encodedRevision()));
  }

  /** A data file over http(s), and its name as progress and errors show it (never the query). */
  record CachedFile(Path path, String name) {}

  /**
   * {@code files/<scheme>/<host_port>/<path>}, with {@code _q<digest>} appended when the URL has a
   * query: keyed by a digest of the query, so a presigned signature is not written into a file
   * name.
   */
  CachedFile file(URI u) {
    Path target = underOrigin("files", u);
    String name = target.getFileName().toString();
    if (u.getRawQuery() != null) {
      target = target.resolveSibling(name + "_q" + shortDigest(u.getRawQuery()));
    }
    return new CachedFile(target, name);
  }

  /** An official KLUE-RE file: {@code datasets/klue-re-v1.1/<file>}. */
  Path klueRe(KlueReFile file) {
    return cacheDir.resolve("datasets").resolve("klue-re-v1.1").resolve(file.fileName());
  }

  private Path underOrigin(String kind, URI u) {
    Path dir = cacheDir.resolve(kind).resolve(originKey(u));
    for (String segment : u.getPath().split("/")) {
      if (!segment.isEmpty()) {
        dir = dir.resolve(safeSegment(segment));
      }
    }
    return dir;
  }

  /**
   * True once a model download into {@code dir} completed: its manifest lists files all present.
   */
  boolean isComplete(Path dir) {
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

  /** Records a finished model download: the files present and absent, and its source. */
  void writeManifest(Path dir, String base, Map<String, Boolean> files) {
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

  /** Renames a synced temporary file into place atomically and syncs the directory. */
  static void moveIntoPlace(Path tmp, Path target) throws IOException {
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

  /**
   * {@code <scheme>/<host>[_<port>]}: http and https of the same host and path are different
   * sources (a plain-http answer must never stand in for the https one), so they never share an
   * entry.
   */
  static Path originKey(URI uri) {
    String host = uri.getHost() == null ? "local" : uri.getHost();
    String scheme = uri.getScheme() == null ? "none" : uri.getScheme().toLowerCase(Locale.ROOT);
    return Path.of(
        safeSegment(scheme), safeSegment(uri.getPort() < 0 ? host : host + "_" + uri.getPort()));
  }

  private static String shortDigest(String s) {
    MessageDigest sha256 = Downloader.Sha256.digest();
    return HexFormat.of().formatHex(sha256.digest(s.getBytes(StandardCharsets.UTF_8)), 0, 8);
  }

  private static String safeSegment(String s) {
    String safe = s.replaceAll("[^A-Za-z0-9._%-]", "_");
    return safe.equals(".") || safe.equals("..") ? "_" + safe : safe;
  }
}
