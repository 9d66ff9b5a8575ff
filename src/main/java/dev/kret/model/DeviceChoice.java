package dev.kret.model;

import ai.djl.Device;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The device a run trains on, decided from what it asked for and what libtorch sees. A run that
 * needs a GPU and finds none stops: a broken image or driver would otherwise train roberta-base on
 * the CPU for days. Only {@code --device auto} falls back, and says so.
 */
public final class DeviceChoice {

  /** The CUDA flavor the image is built with (Dockerfile.jvm); DJL 0.36 builds its JNI for it. */
  public static final String CUDA_FLAVOR = "cu128";

  // DJL's cache directory for a libtorch: <version>[-<build>]-<flavor>[-precxx11]-<os>-<arch>;
  // the image's is libtorch-<flavor> (Dockerfile.jvm).
  private static final Pattern FLAVOR = Pattern.compile("(?:^|-)(cpu|cu\\d+)(?:-precxx11)?(?:-|$)");

  private DeviceChoice() {}

  /**
   * What libtorch reports about itself.
   *
   * @param version e.g. {@code 2.7.1}
   * @param flavor {@code cpu} or a CUDA flavor such as {@code cu128}
   * @param gpus GPUs libtorch can use (always 0 for the CPU flavor)
   */
  public record Libtorch(String version, String flavor, int gpus) {

    @Override
    public String toString() {
      return "libtorch "
          + version
          + " (flavor "
          + flavor
          + ", "
          + gpus
          + (gpus == 1 ? " GPU" : " GPUs")
          + " visible)";
    }
  }

  /**
   * The decision: a device, or why there is none.
   *
   * @param gpu whether the run uses {@code gpu(0)}
   * @param error null, or why the run must stop (it needs a GPU and libtorch sees none): names what
   *     asked, libtorch's version and flavor and the GPU count
   * @param request what was asked
   * @param libtorch what libtorch reported
   * @param message one line for the run's log: device, why, libtorch version and flavor
   */
  public record Decision(
      boolean gpu, String error, DeviceRequest request, Libtorch libtorch, String message) {

    /** Whether there is a device to run on. */
    public boolean ok() {
      return error == null;
    }

    /** The device; only when {@link #ok()}. */
    public Device device() {
      if (error != null) {
        throw new IllegalStateException(error);
      }
      return gpu ? Device.gpu() : Device.cpu();
    }
  }

  /**
   * Decides the device: {@code CPU} always gets the CPU; {@code AUTO} a GPU when libtorch sees one,
   * else the CPU (the message says it fell back); {@code GPU} a GPU, or an error when libtorch sees
   * none. A pure function of its arguments.
   */
  public static Decision decide(DeviceRequest request, Libtorch libtorch) {
    String why = request.origin() + "; " + libtorch;
    return switch (request.mode()) {
      case CPU -> new Decision(false, null, request, libtorch, "device cpu (" + why + ")");
      case AUTO ->
          libtorch.gpus() > 0
              ? new Decision(true, null, request, libtorch, "device gpu(0) (" + why + ")")
              : new Decision(
                  false,
                  null,
                  request,
                  libtorch,
                  "device cpu: "
                      + request.origin()
                      + " found no GPU and falls back to the CPU ("
                      + libtorch
                      + ")");
      case GPU ->
          libtorch.gpus() > 0
              ? new Decision(true, null, request, libtorch, "device gpu(0) (" + why + ")")
              : new Decision(
                  false, noGpu(request, libtorch), request, libtorch, "no device: " + why);
    };
  }

  private static String noGpu(DeviceRequest request, Libtorch libtorch) {
    String head =
        request.origin()
            + ": a GPU is required, but libtorch "
            + libtorch.version()
            + " (flavor "
            + libtorch.flavor()
            + ") sees "
            + libtorch.gpus()
            + " GPUs; stopping instead of training on the CPU. ";
    if (!libtorch.flavor().startsWith("cu")) {
      return head
          + "This is the CPU build of libtorch, which cannot use a GPU: run an image built with"
          + " --build-arg PYTORCH_FLAVOR="
          + CUDA_FLAVOR
          + " (Dockerfile.jvm), or train on the CPU on purpose ("
          + (request.origin().startsWith("--device") ? "--device cpu" : "spec.resources.gpus: 0")
          + ").";
    }
    return head
        + "No GPU is visible to this process: check the node's NVIDIA driver and container"
        + " runtime, the pod's nvidia.com/gpu limit and CUDA_VISIBLE_DEVICES.";
  }

  /**
   * The flavor in the name of DJL's libtorch directory ({@code 2.7.1-cu128-linux-x86_64}, {@code
   * 2.7.1-20250812-cpu-linux-x86_64}, the image's {@code libtorch-cu128}); for a directory named
   * otherwise ({@code PYTORCH_LIBRARY_PATH}), {@code cuda} or {@code cpu} from whether libtorch was
   * built with CUDA.
   */
  public static String flavorOf(String libraryDirName, boolean builtWithCuda) {
    if (libraryDirName != null) {
      Matcher m = FLAVOR.matcher(libraryDirName.toLowerCase(Locale.ROOT));
      if (m.find()) {
        return m.group(1);
      }
    }
    return builtWithCuda ? "cuda" : "cpu";
  }
}
