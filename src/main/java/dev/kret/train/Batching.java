package dev.kret.train;

import dev.kret.text.RelationEncoder.Encoded;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/** Length-grouped batches: similar lengths share a batch, so dynamic padding wastes little. */
public final class Batching {

  /** How many batches' worth of examples are sorted together before batching. */
  static final int MEGA_BATCH = 50;

  private Batching() {}

  /** Uniformly random batches (the last one may be short). Deterministic in rng. */
  public static List<int[]> random(int size, int batchSize, Random rng) {
    List<Integer> order = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      order.add(i);
    }
    Collections.shuffle(order, rng);
    List<int[]> batches = new ArrayList<>();
    for (int b = 0; b < size; b += batchSize) {
      batches.add(
          order.subList(b, Math.min(size, b + batchSize)).stream()
              .mapToInt(Integer::intValue)
              .toArray());
    }
    return batches;
  }

  /**
   * Shuffles, sorts each mega-batch of {@code 50 × batchSize} examples by length, cuts batches, and
   * shuffles the batch order, as the Hugging Face LengthGroupedSampler does. Deterministic in rng.
   */
  public static List<int[]> lengthGrouped(List<Encoded> items, int batchSize, Random rng) {
    List<Integer> order = new ArrayList<>(items.size());
    for (int i = 0; i < items.size(); i++) {
      order.add(i);
    }
    Collections.shuffle(order, rng);
    List<int[]> batches = new ArrayList<>();
    int mega = MEGA_BATCH * batchSize;
    for (int start = 0; start < order.size(); start += mega) {
      List<Integer> chunk =
          new ArrayList<>(order.subList(start, Math.min(order.size(), start + mega)));
      chunk.sort(Comparator.comparingInt((Integer i) -> items.get(i).ids().length).reversed());
      for (int b = 0; b < chunk.size(); b += batchSize) {
        List<Integer> part = chunk.subList(b, Math.min(chunk.size(), b + batchSize));
        batches.add(part.stream().mapToInt(Integer::intValue).toArray());
      }
    }
    Collections.shuffle(batches, rng);
    return batches;
  }
}
