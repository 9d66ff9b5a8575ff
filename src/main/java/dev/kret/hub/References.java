package dev.kret.hub;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reference parsing: what a model reference or data URI names (a local path, {@code file://},
 * {@code pvc://claim/path}, an http(s) URL, a Hugging Face repository), and the URL forms shown in
 * messages. No I/O beyond asking whether a local path exists.
 */
final class References {
  static final String DEFAULT_REVISION = "main";

  private static final Pattern HF_REPO =
      Pattern.compile("([A-Za-z0-9][A-Za-z0-9._-]*)/([A-Za-z0-9][A-Za-z0-9._-]*)(?:@(.+))?");

  private References() {}

  /** A Hugging Face repository at a revision. */
  record HfRepo(String org, String name, String revision) {
    /** The revision as it appears in a URL path. */
    String encodedRevision() {
      return URLEncoder.encode(revision, StandardCharsets.UTF_8);
    }
  }

  /** True for a bare {@code org/name[@rev]}. */
  static boolean isHfRepo(String ref) {
    return HF_REPO.matcher(ref).matches();
  }

  /**
   * The repository {@code repoRef} ({@code org/name[@rev]}) names: a revision in it wins over
   * {@code revision}, and neither means {@code main}.
   */
  static HfRepo hfRepo(String repoRef, String revision, String original) {
    Matcher m = HF_REPO.matcher(repoRef);
    if (!m.matches()) {
      throw new HubException(
          "bad Hugging Face reference " + original + ": expected org/name[@rev]");
    }
    String rev = m.group(3) != null ? m.group(3) : revision;
    rev = rev == null || rev.isBlank() ? DEFAULT_REVISION : rev.strip();
    return new HfRepo(m.group(1), m.group(2), rev);
  }

  static Optional<Path> localPath(String ref, Path pvcRoot) {
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
      Path root = pvcRoot.toAbsolutePath().normalize();
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

  static Path requireExisting(Path path, String ref, boolean directory) {
    if (directory ? Files.isDirectory(path) : Files.isRegularFile(path)) {
      return path;
    }
    throw new HubException((directory ? "model directory " : "data file ") + ref + " not found");
  }

  static String requireReference(String ref) {
    if (ref == null || ref.isBlank()) {
      throw new HubException("empty model or data reference");
    }
    return ref.strip();
  }

  static boolean isHttp(String ref) {
    String lower = ref.toLowerCase(Locale.ROOT);
    return lower.startsWith("https://") || lower.startsWith("http://");
  }

  static URI parse(String url) {
    try {
      return new URI(url);
    } catch (URISyntaxException e) {
      throw new HubException("bad URL " + url + ": " + e.getMessage());
    }
  }

  static String encodePath(String name) {
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
  static String redact(String uri) {
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

  static String display(String url) {
    return display(parse(url));
  }
}
