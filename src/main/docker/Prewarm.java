import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.LibUtils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Dockerfile.jvm runs this twice: in the libtorch stage, where it makes DJL unpack (CPU) or download
 * (CUDA) libtorch and the tokenizers' native library into DJL_CACHE_DIR; and in the final image, as
 * uid 1001 and offline, to prove that the image starts the engine it was built for. Either way it
 * prints the engine and exits 1 when the libtorch DJL loaded is not the requested PYTORCH_FLAVOR and
 * PYTORCH_VERSION: DJL otherwise falls back without an error, to the CPU build bundled in the
 * application or to another CUDA build of the same major version, and a GPU image would train on
 * the CPU. With an argument, the libtorch directory is written to that file.
 */
public class Prewarm {

  // DJL names a libtorch directory <version>[-<build>]-<flavor>[-precxx11]-<os>-<arch>; the image
  // renames it libtorch-<flavor>.
  private static final Pattern FLAVOR =
      Pattern.compile("(?:^|-)(cpu|cu\\d+)(?:-precxx11)?(?:-|$)");

  public static void main(String[] a) throws Exception {
    String wanted = env("PYTORCH_FLAVOR", "cpu");
    String wantedVersion = env("PYTORCH_VERSION", "");
    Engine e = Engine.getEngine("PyTorch");
    Path dir = Path.of(LibUtils.getLibtorchPath());
    boolean cuda = e.hasCapability("CUDA");
    String flavor = flavorOf(dir.getFileName().toString());
    System.out.println(
        "libtorch "
            + e.getVersion()
            + ", flavor "
            + flavor
            + " ("
            + dir
            + "), built with CUDA: "
            + cuda
            + ", GPUs visible at build: "
            + e.getGpuCount());
    Class.forName("ai.djl.huggingface.tokenizers.jni.LibUtils");
    String problem = null;
    if (!flavor.equals(wanted)) {
      problem = "DJL loaded libtorch flavor " + flavor + ", not PYTORCH_FLAVOR=" + wanted;
    } else if (wanted.startsWith("cu") != cuda) {
      problem =
          "libtorch in " + dir + " was " + (cuda ? "" : "not ") + "built with CUDA, unlike " + wanted;
    } else if (!e.getVersion().startsWith(wantedVersion)) {
      problem = "DJL loaded libtorch " + e.getVersion() + ", not PYTORCH_VERSION=" + wantedVersion;
    }
    if (problem != null) {
      System.err.println(
          "error: "
              + problem
              + " ("
              + dir
              + "). PyTorch "
              + wantedVersion
              + " has CUDA builds only for some CUDA versions, and DJL publishes fewer (DJL 0.36:"
              + " cpu and cu128 for libtorch 2.7.1); DJL falls back instead of failing.");
      System.exit(1);
    }
    if (a.length > 0) {
      Files.writeString(Path.of(a[0]), dir.toString());
    }
  }

  static String flavorOf(String dirName) {
    Matcher m = FLAVOR.matcher(dirName.toLowerCase(Locale.ROOT));
    return m.find() ? m.group(1) : "unknown";
  }

  private static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? fallback : v.strip();
  }
}
