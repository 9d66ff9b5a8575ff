package dev.kret.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import dev.kret.model.DeviceChoice.Decision;
import dev.kret.model.DeviceChoice.Libtorch;
import org.junit.jupiter.api.Test;

/** (what was asked, GPUs libtorch sees, its flavor) → a device or the reason there is none. */
class DeviceChoiceTest {

  static final Libtorch CPU_BUILD = new Libtorch("2.7.1", "cpu", 0);
  static final Libtorch CUDA_NO_GPU = new Libtorch("2.7.1", "cu128", 0);
  static final Libtorch CUDA_ONE_GPU = new Libtorch("2.7.1", "cu128", 1);

  @Test
  void deviceGpuOnTheCpuBuildStopsNamingTheFlavorAndTheGpuCount() {
    Decision d = DeviceChoice.decide(DeviceRequest.fromFlag("gpu"), CPU_BUILD);

    assertThat(d.ok()).isFalse();
    assertThat(d.error())
        .startsWith("--device gpu: a GPU is required, but libtorch 2.7.1 (flavor cpu) sees 0 GPUs")
        .contains("PYTORCH_FLAVOR=cu128", "--device cpu");
    assertThatThrownBy(d::device).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void clusterRunWithGpusStopsWhenTheCudaBuildSeesNone() {
    Decision d = DeviceChoice.decide(DeviceRequest.forClusterRun("auto", 2), CUDA_NO_GPU);

    assertThat(d.ok()).isFalse();
    assertThat(d.error())
        .startsWith(
            "spec.resources.gpus is 2: a GPU is required, but libtorch 2.7.1 (flavor cu128) sees 0"
                + " GPUs")
        .contains("NVIDIA driver", "nvidia.com/gpu");
  }

  @Test
  void clusterRunWithGpusOnTheCpuBuildPointsAtTheImage() {
    Decision d = DeviceChoice.decide(DeviceRequest.forClusterRun("auto", 1), CPU_BUILD);

    assertThat(d.error())
        .contains("spec.resources.gpus is 1", "flavor cpu", "sees 0 GPUs", "PYTORCH_FLAVOR=cu128")
        .contains("spec.resources.gpus: 0");
  }

  @Test
  void aRequiredGpuThatIsVisibleIsUsed() {
    Decision d = DeviceChoice.decide(DeviceRequest.forClusterRun("auto", 1), CUDA_ONE_GPU);

    assertThat(d.ok()).isTrue();
    assertThat(d.device()).isEqualTo(Device.gpu());
    assertThat(d.message())
        .isEqualTo(
            "device gpu(0) (spec.resources.gpus is 1; libtorch 2.7.1 (flavor cu128, 1 GPU"
                + " visible))");
  }

  @Test
  void autoFallsBackToTheCpuAndSaysSo() {
    Decision d = DeviceChoice.decide(DeviceRequest.fromFlag("auto"), CPU_BUILD);

    assertThat(d.ok()).isTrue();
    assertThat(d.device()).isEqualTo(Device.cpu());
    assertThat(d.message())
        .isEqualTo(
            "device cpu: --device auto found no GPU and falls back to the CPU (libtorch 2.7.1"
                + " (flavor cpu, 0 GPUs visible))");
  }

  @Test
  void autoUsesAVisibleGpu() {
    assertThat(DeviceChoice.decide(DeviceRequest.fromFlag("auto"), CUDA_ONE_GPU).gpu()).isTrue();
  }

  @Test
  void cpuStaysOnTheCpuWhenAGpuIsVisible() {
    Decision d = DeviceChoice.decide(DeviceRequest.fromFlag("cpu"), CUDA_ONE_GPU);

    assertThat(d.device()).isEqualTo(Device.cpu());
    assertThat(d.message()).startsWith("device cpu (--device cpu; libtorch 2.7.1 (flavor cu128");
  }

  @Test
  void clusterRunWithoutGpusUsesTheCpuEvenWhenOneIsVisible() {
    Decision d = DeviceChoice.decide(DeviceRequest.forClusterRun("auto", 0), CUDA_ONE_GPU);

    assertThat(d.gpu()).isFalse();
    assertThat(d.message()).contains("spec.resources.gpus is 0");
  }

  @Test
  void anExplicitDeviceFlagWinsOverTheSpecOnACluster() {
    assertThat(DeviceRequest.forClusterRun("cpu", 1).mode()).isEqualTo(DeviceRequest.Mode.CPU);
    assertThat(DeviceRequest.forClusterRun("gpu", 0).mode()).isEqualTo(DeviceRequest.Mode.GPU);
  }

  @Test
  void rejectsAnUnknownDeviceFlag() {
    assertThatThrownBy(() -> DeviceRequest.fromFlag("tpu"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("auto, cpu or gpu");
  }

  @Test
  void readsTheFlavorFromDjlsLibraryDirectoryName() {
    assertThat(DeviceChoice.flavorOf("2.7.1-20250812-cpu-linux-x86_64", false)).isEqualTo("cpu");
    assertThat(DeviceChoice.flavorOf("2.7.1-cu128-linux-x86_64", true)).isEqualTo("cu128");
    assertThat(DeviceChoice.flavorOf("2.7.1-cpu-precxx11-linux-aarch64", false)).isEqualTo("cpu");
    assertThat(DeviceChoice.flavorOf("libtorch-cu128", true)).isEqualTo("cu128");
    assertThat(DeviceChoice.flavorOf("libtorch", true)).isEqualTo("cuda");
    assertThat(DeviceChoice.flavorOf(null, false)).isEqualTo("cpu");
  }

  /** This machine: the bundled CPU build of libtorch, no GPU. */
  @Test
  void theBundledEngineReportsTheCpuFlavorAndNoGpu() {
    Libtorch here = Djl.libtorch();

    assertThat(here.version()).isEqualTo("2.7.1");
    assertThat(here.flavor()).isEqualTo("cpu");
    assertThat(here.gpus()).isZero();
  }
}
