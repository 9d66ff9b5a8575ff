package dev.kret.operator;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Model paths the trainer reports, confined to the run's own directory on the model volume. The
 * trainer's ServiceAccount may patch its progress ConfigMap, so a compromised or buggy trainer can
 * write any {@code modelPath}; promotion would then serve another run's (or another namespace's)
 * files. Only {@code <namespace>/<run>/epoch-N} is accepted, or the same under {@code /models/}.
 */
public final class ModelPaths {
  private static final Pattern EPOCH_DIR = Pattern.compile("epoch-[1-9][0-9]{0,8}");

  private ModelPaths() {}

  /**
   * The path as {@code <namespace>/<run>/epoch-N} when it names one of this run's epoch
   * directories, else empty (absolute paths elsewhere, {@code ..}, other runs, other namespaces,
   * anything that is not an epoch directory).
   */
  public static Optional<String> confined(String namespace, String run, String path) {
    if (path == null || namespace == null || run == null) {
      return Optional.empty();
    }
    String p = path;
    String root = TrainingJobDependent.MODELS_DIR + "/";
    if (p.startsWith(root)) {
      p = p.substring(root.length());
    }
    String[] parts = p.split("/", -1);
    if (parts.length != 3
        || !parts[0].equals(namespace)
        || !parts[1].equals(run)
        || !EPOCH_DIR.matcher(parts[2]).matches()) {
      return Optional.empty();
    }
    return Optional.of(namespace + "/" + run + "/" + parts[2]);
  }
}
