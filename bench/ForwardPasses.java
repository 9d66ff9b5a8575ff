import ai.djl.Device;
import dev.kret.model.ModelDirectory;
import dev.kret.model.RelationClassifier;
import dev.kret.text.RelationEncoder.Encoded;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Throughput of full-window batches at several {@code --max-batch-tokens} budgets, the budgets
 * interleaved round by round so that a busy machine slows them alike:
 * {@code java -cp APP ForwardPasses.java DIR ROWS ROUNDS BUDGET...}. Each round runs one batch of
 * ROWS rows of the model's maximum length per budget; prints each budget's instances per second
 * (median and range over the rounds, after one untimed round).
 */
public class ForwardPasses {
  public static void main(String[] a) throws Exception {
    ModelDirectory.Opened opened = ModelDirectory.open(Path.of(a[0]), Device.cpu());
    int rows = Integer.parseInt(a[1]);
    int rounds = Integer.parseInt(a[2]);
    int[] budgets = Arrays.stream(a).skip(3).mapToInt(Integer::parseInt).toArray();
    int length = opened.scheme().maxLength();
    SplittableRandom r = new SplittableRandom(1);
    List<Encoded> batch = new ArrayList<>();
    for (int i = 0; i < rows; i++) {
      int[] ids = new int[length];
      for (int k = 0; k < length; k++) {
        ids[k] = 5 + r.nextInt(1000);
      }
      batch.add(new Encoded(ids, 1, length / 2));
    }
    double[][] rate = new double[budgets.length][rounds];
    for (int round = -1; round < rounds; round++) {
      for (int b = 0; b < budgets.length; b++) {
        RelationClassifier c =
            new RelationClassifier(opened.model(), null, opened.tokenizer().padId(), budgets[b]);
        long t0 = System.nanoTime();
        c.forward(batch);
        double s = (System.nanoTime() - t0) / 1e9;
        if (round >= 0) {
          rate[b][round] = rows / s;
        }
      }
    }
    System.out.printf(Locale.ROOT, "rows %d x %d tokens, %d rounds%n", rows, length, rounds);
    System.out.println("max_batch_tokens  passes  inst/s median  min     max");
    for (int b = 0; b < budgets.length; b++) {
      double[] v = rate[b].clone();
      Arrays.sort(v);
      System.out.printf(
          Locale.ROOT,
          "%16d  %6d  %13.2f  %6.2f  %6.2f%n",
          budgets[b],
          (rows + perPass(budgets[b], length) - 1) / perPass(budgets[b], length),
          v[v.length / 2],
          v[0],
          v[v.length - 1]);
    }
    opened.model().close();
  }

  /** Rows of that length in one pass: as many as fit the budget, one at least. */
  static int perPass(int budget, int length) {
    return Math.max(1, budget / length);
  }
}
