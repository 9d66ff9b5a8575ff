import dev.kret.serve.ServeBench;
import java.nio.file.Path;

/**
 * Writes a random-weight model directory (typed-punct markers, entity-start head) of a given size,
 * for the memory bench: {@code java -cp APP RandomModel.java DIR LAYERS HIDDEN HEADS MAX_LENGTH}.
 */
public class RandomModel {
  public static void main(String[] a) throws Exception {
    ServeBench.randomModel(
        Path.of(a[0]),
        Integer.parseInt(a[1]),
        Integer.parseInt(a[2]),
        Integer.parseInt(a[3]),
        Integer.parseInt(a[4]));
  }
}
