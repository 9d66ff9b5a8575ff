/**
 * Unpacks libtorch into DJL_CACHE_DIR once, as Dockerfile.jvm's prewarm stage does for the image:
 * pods then start with DJL_OFFLINE=true and find the engine in place.
 */
public class Prewarm {
  public static void main(String[] args) {
    ai.djl.engine.Engine engine = ai.djl.engine.Engine.getEngine("PyTorch");
    System.out.println("libtorch " + engine.getVersion() + " unpacked into " + System.getenv("DJL_CACHE_DIR"));
  }
}
