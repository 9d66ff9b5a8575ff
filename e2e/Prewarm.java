/**
 * Unpacks libtorch and the Hugging Face tokenizers' native library into DJL_CACHE_DIR once, as
 * Dockerfile.jvm's prewarm stage does for the image: pods then start with DJL_OFFLINE=true and find
 * both in place, whatever user they run as.
 */
public class Prewarm {
  public static void main(String[] args) throws Exception {
    ai.djl.engine.Engine engine = ai.djl.engine.Engine.getEngine("PyTorch");
    // Its static initialiser copies the JNI library out of the jar and loads it.
    Class.forName("ai.djl.huggingface.tokenizers.jni.LibUtils");
    System.out.println(
        "libtorch " + engine.getVersion() + " and the tokenizers library unpacked into "
            + System.getenv("DJL_CACHE_DIR"));
  }
}
