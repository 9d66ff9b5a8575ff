package dev.kret.model;

import java.util.Locale;

/**
 * Which device a run asks for, and who asked ({@code origin} names the flag or spec field in
 * messages).
 *
 * @param mode {@code AUTO}: a GPU when libtorch sees one, else the CPU; {@code CPU}; {@code GPU}: a
 *     GPU or nothing
 * @param origin what asked, e.g. {@code --device gpu} or {@code spec.resources.gpus is 1}
 */
public record DeviceRequest(Mode mode, String origin) {

  /** How strongly a GPU is wanted. */
  public enum Mode {
    AUTO,
    CPU,
    GPU
  }

  /** The value of {@code --device}: {@code auto}, {@code cpu} or {@code gpu}. */
  public static DeviceRequest fromFlag(String flag) {
    String f = flag == null ? "auto" : flag.strip().toLowerCase(Locale.ROOT);
    return switch (f) {
      case "auto" -> new DeviceRequest(Mode.AUTO, "--device auto");
      case "cpu" -> new DeviceRequest(Mode.CPU, "--device cpu");
      case "gpu", "cuda" -> new DeviceRequest(Mode.GPU, "--device gpu");
      default ->
          throw new IllegalArgumentException(
              "--device must be auto, cpu or gpu, got \"" + flag + "\"");
    };
  }

  /**
   * The cluster trainer's request: the pod got {@code gpus} GPUs from the scheduler, so a run with
   * GPUs must use one and a run without uses none. An explicit {@code --device cpu} or {@code gpu}
   * wins.
   */
  public static DeviceRequest forClusterRun(String flag, int gpus) {
    DeviceRequest explicit = fromFlag(flag);
    if (explicit.mode() != Mode.AUTO) {
      return explicit;
    }
    return gpus > 0
        ? new DeviceRequest(Mode.GPU, "spec.resources.gpus is " + gpus)
        : new DeviceRequest(Mode.CPU, "spec.resources.gpus is 0");
  }
}
