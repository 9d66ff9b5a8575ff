package dev.kret.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kret.text.RelationEncoder.Encoded;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class BatchingTest {

  static List<Encoded> items(int n) {
    List<Encoded> out = new ArrayList<>();
    Random r = new Random(1);
    for (int i = 0; i < n; i++) {
      out.add(new Encoded(new int[5 + r.nextInt(200)], 1, 2));
    }
    return out;
  }

  static int padded(List<Encoded> items, List<int[]> batches) {
    int total = 0;
    for (int[] b : batches) {
      int max = Arrays.stream(b).map(i -> items.get(i).ids().length).max().orElse(0);
      total += max * b.length;
    }
    return total;
  }

  @Test
  void everyExampleAppearsExactlyOnceInEitherMode() {
    List<Encoded> items = items(1000);
    for (List<int[]> batches :
        List.of(
            Batching.lengthGrouped(items, 32, new Random(3)),
            Batching.random(items.size(), 32, new Random(3)))) {
      int[] all = batches.stream().flatMapToInt(Arrays::stream).sorted().toArray();
      assertThat(all).containsExactly(IntStream.range(0, 1000).toArray());
    }
  }

  @Test
  void lengthGroupingPadsFarLessThanRandomBatches() {
    List<Encoded> items = items(3200);
    int grouped = padded(items, Batching.lengthGrouped(items, 32, new Random(5)));
    int random = padded(items, Batching.random(items.size(), 32, new Random(5)));
    assertThat(grouped).isLessThan(random * 2 / 3);
  }

  @Test
  void theSameSeedGivesTheSameBatches() {
    List<Encoded> items = items(500);
    assertThat(Batching.lengthGrouped(items, 16, new Random(9)))
        .usingRecursiveComparison()
        .isEqualTo(Batching.lengthGrouped(items, 16, new Random(9)));
  }
}
