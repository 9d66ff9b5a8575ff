package dev.kret.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kret.text.RelationEncoder.Encoded;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The batcher with a fake forward pass that echoes each row's first id. */
class MicroBatcherTest {

  static float[][] echo(List<Encoded> batch) {
    float[][] out = new float[batch.size()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = new float[] {batch.get(i).ids()[0]};
    }
    return out;
  }

  static List<Encoded> rows(int from, int n) {
    List<Encoded> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new Encoded(new int[] {from + i}, 0, 0));
    }
    return out;
  }

  @Test
  void givesEachRequestItsOwnRowsInOrder() throws Exception {
    try (MicroBatcher b =
        new MicroBatcher(MicroBatcherTest::echo, 4, Duration.ofMillis(20), 2, n -> {})) {
      List<CompletableFuture<float[][]>> futures = new ArrayList<>();
      for (int r = 0; r < 10; r++) {
        futures.add(b.submit(rows(100 * r, 1 + r % 3)));
      }
      for (int r = 0; r < 10; r++) {
        float[][] got = futures.get(r).get(5, TimeUnit.SECONDS);
        assertThat(got).hasNumberOfRows(1 + r % 3);
        for (int i = 0; i < got.length; i++) {
          assertThat(got[i][0]).isEqualTo(100f * r + i);
        }
      }
    }
  }

  @Test
  void neverRunsABatchLargerThanMaxBatchButFillsIt() throws Exception {
    List<Integer> sizes = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (MicroBatcher b =
        new MicroBatcher(MicroBatcherTest::echo, 8, Duration.ofMillis(50), 1, sizes::add)) {
      b.submit(rows(0, 20)).get(5, TimeUnit.SECONDS);
    }
    assertThat(sizes).allMatch(s -> s <= 8);
    assertThat(sizes).contains(8);
    assertThat(sizes.stream().mapToInt(Integer::intValue).sum()).isEqualTo(20);
  }

  @Test
  void aFailedForwardPassFailsOnlyItsRequestsAndTheNextOneSucceeds() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    try (MicroBatcher b =
        new MicroBatcher(
            batch -> {
              if (calls.incrementAndGet() == 1) {
                throw new IllegalStateException("boom");
              }
              return echo(batch);
            },
            4,
            Duration.ZERO,
            1,
            n -> {})) {
      assertThatThrownBy(() -> b.submit(rows(0, 1)).get(5, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .hasMessageContaining("boom");
      assertThat(b.submit(rows(7, 1)).get(5, TimeUnit.SECONDS)[0][0]).isEqualTo(7f);
    }
  }

  @Test
  void closeFinishesQueuedWorkAndRefusesNewWork() throws Exception {
    MicroBatcher b =
        new MicroBatcher(MicroBatcherTest::echo, 2, Duration.ofMillis(100), 1, n -> {});
    CompletableFuture<float[][]> queued = b.submit(rows(0, 5));
    b.close();
    assertThat(queued.get(5, TimeUnit.SECONDS)).hasNumberOfRows(5);
    assertThatThrownBy(() -> b.submit(rows(0, 1)).get()).hasCauseInstanceOf(ServeError.class);
  }

  @Test
  void keepsFillingTheNextBatchWhileTheWorkerIsBusy() throws Exception {
    List<Integer> sizes = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    try (MicroBatcher b =
        new MicroBatcher(
            batch -> {
              started.countDown();
              try {
                release.await(5, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              return echo(batch);
            },
            8,
            Duration.ofMillis(20),
            1,
            sizes::add)) {
      CompletableFuture<float[][]> first = b.submit(rows(0, 1));
      assertThat(started.await(5, TimeUnit.SECONDS)).isTrue(); // the only worker is busy now
      CompletableFuture<float[][]> second = b.submit(rows(10, 1));
      Thread.sleep(100); // past max wait: the next batch is gathered and waits for the worker
      CompletableFuture<float[][]> third = b.submit(rows(20, 3));
      Thread.sleep(50);
      release.countDown();
      first.get(5, TimeUnit.SECONDS);
      second.get(5, TimeUnit.SECONDS);
      assertThat(third.get(5, TimeUnit.SECONDS)[2][0]).isEqualTo(22f);
    }
    assertThat(sizes).containsExactly(1, 4);
  }

  @Test
  void runsAtMostWorkersForwardPassesAtOnce() throws Exception {
    AtomicInteger running = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    try (MicroBatcher b =
        new MicroBatcher(
            batch -> {
              most.accumulateAndGet(running.incrementAndGet(), Math::max);
              try {
                Thread.sleep(20);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              running.decrementAndGet();
              return echo(batch);
            },
            1,
            Duration.ZERO,
            2,
            n -> {})) {
      List<CompletableFuture<float[][]>> futures = new ArrayList<>();
      for (int r = 0; r < 10; r++) {
        futures.add(b.submit(rows(r, 1)));
      }
      for (CompletableFuture<float[][]> f : futures) {
        f.get(5, TimeUnit.SECONDS);
      }
    }
    assertThat(most.get()).isEqualTo(2);
  }
}
