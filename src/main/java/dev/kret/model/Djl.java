package dev.kret.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.LibUtils;
import java.nio.file.Path;

/**
 * The one door to DJL: switches its telemetry off before the engine can start (DJL otherwise
 * contacts 169.254.169.254) and picks the device at run time.
 */
public final class Djl {

  static {
    offline();
  }

  private Djl() {}

  /** Idempotent; call before any other DJL class is touched. */
  public static void offline() {
    System.setProperty("OPT_OUT_TRACKING", "true");
    System.setProperty("ai.djl.offline", "true");
    System.setProperty("DJL_OFFLINE", "true");
  }

  public static Engine engine() {
    offline();
    return Engine.getEngine("PyTorch");
  }

  /**
   * The device for a training run ({@link DeviceChoice#decide}): a run that needs a GPU and finds
   * none visible to libtorch gets an error instead of the CPU.
   */
  public static DeviceChoice.Decision device(DeviceRequest request) {
    return DeviceChoice.decide(request, libtorch());
  }

  /** The libtorch this process runs: version, flavor (from DJL's library directory), GPU count. */
  public static DeviceChoice.Libtorch libtorch() {
    Engine e = engine();
    String dir;
    try {
      dir = Path.of(LibUtils.getLibtorchPath()).getFileName().toString();
    } catch (RuntimeException notLoaded) {
      dir = null;
    }
    return new DeviceChoice.Libtorch(
        e.getVersion(), DeviceChoice.flavorOf(dir, e.hasCapability("CUDA")), e.getGpuCount());
  }

  /**
   * The device to run on: a GPU when one is wanted and present, else the CPU (serving and
   * evaluation; training decides through {@link #device(DeviceRequest)}). Images bake in the CUDA
   * libtorch at build time; on a CPU-only libtorch getGpuCount() is 0.
   */
  public static Device device(boolean wantGpu) {
    Engine e = engine();
    if (wantGpu && e.getGpuCount() > 0) {
      return Device.gpu();
    }
    return Device.cpu();
  }

  /**
   * {@code x * s}, safe on a path that autograd differentiates. Use it instead of DJL's {@code
   * x.mul(Number)} wherever gradients flow.
   *
   * <p>DJL implements an op with a number by wrapping the number in a 0-d tensor over a Java direct
   * buffer, running the op, and closing the wrapper at once. libtorch's multiply keeps that tensor
   * for the backward pass, but only the Java buffer held its memory: once the garbage collector
   * frees the buffer, the backward pass reads whatever the allocator wrote there (its free-list
   * pointers, first of all). Runs then diverged at random steps (about one in five runs of the
   * embedded default, every run with a small heap), most visibly as a step whose gradient norm was
   * infinite and whose update was skipped. Here the number is a libtorch-owned 0-d tensor, which
   * the graph keeps alive itself; the arithmetic is the same.
   */
  public static NDArray times(NDArray x, float s) {
    return x.mul(scalar(x, s));
  }

  /** {@code x / s}, safe where gradients flow (see {@link #times}). */
  public static NDArray dividedBy(NDArray x, float s) {
    return x.div(scalar(x, s));
  }

  private static NDArray scalar(NDArray like, float s) {
    return like.getManager().full(new Shape(), s, like.getDataType());
  }
}
