package dev.kret.model;

import ai.djl.Device;
import ai.djl.engine.Engine;

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
   * The device to run on: a GPU when one is wanted and present, else the CPU. Images bake in the
   * CUDA libtorch at build time; on a CPU-only libtorch getGpuCount() is 0.
   */
  public static Device device(boolean wantGpu) {
    Engine e = engine();
    if (wantGpu && e.getGpuCount() > 0) {
      return Device.gpu();
    }
    return Device.cpu();
  }
}
