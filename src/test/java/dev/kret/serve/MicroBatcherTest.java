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

  /** A forward pass that blocks until released, recording the first id of every row it sees. */
  static final class Gate implements java.util.function.Function<List<Encoded>, float[][]> {
    final java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
    final java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    final List<Integer> seen = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public float[][] apply(List<Encoded> batch) {
      batch.forEach(e -> seen.add(e.ids()[0]));
      started.countDown();
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return echo(batch);
    }
  }

  static void awaitQueued(MicroBatcher b, int n) throws InterruptedException {
    for (int i = 0; i < 500 && b.queued() != n; i++) {
      Thread.sleep(10);
    }
    assertThat(b.queued()).isEqualTo(n);
  }

  @Test
  void refusesASubmissionThatWouldOverfillTheQueueNamingTheLimit() throws Exception {
    Gate gate = new Gate();
    try (MicroBatcher b = MicroBatcher.bounded(gate, 1, Duration.ZERO, 1, 4, n -> {})) {
      CompletableFuture<float[][]> running = b.submit(rows(0, 1));
      assertThat(gate.started.await(5, TimeUnit.SECONDS)).isTrue();
      CompletableFuture<float[][]> next = b.submit(rows(10, 1)); // the gatherer holds it
      awaitQueued(b, 0);
      CompletableFuture<float[][]> waiting = b.submit(rows(20, 4));
      awaitQueued(b, 4);
      assertThatThrownBy(() -> b.submit(rows(30, 1)).get(1, TimeUnit.SECONDS))
          .hasCauseInstanceOf(ServeError.class)
          .satisfies(
              e -> {
                ServeError se = (ServeError) e.getCause();
                assertThat(se.kind()).isEqualTo(ServeError.Kind.QUEUE_FULL);
                assertThat(se.getMessage()).contains("at most 4 (--max-queue)");
              });
      gate.release.countDown();
      running.get(5, TimeUnit.SECONDS);
      next.get(5, TimeUnit.SECONDS);
      assertThat(waiting.get(5, TimeUnit.SECONDS)).hasNumberOfRows(4);
      assertThat(b.queued()).isZero();
    }
  }

  @Test
  void dropsTheInstancesOfACancelledRequestWithoutComputingThem() throws Exception {
    Gate gate = new Gate();
    try (MicroBatcher b = MicroBatcher.bounded(gate, 8, Duration.ZERO, 1, 64, n -> {})) {
      CompletableFuture<float[][]> running = b.submit(rows(0, 1));
      assertThat(gate.started.await(5, TimeUnit.SECONDS)).isTrue();
      CompletableFuture<float[][]> gone = b.submit(rows(10, 2));
      gone.cancel(false); // its client went away
      CompletableFuture<float[][]> kept = b.submit(rows(20, 1));
      gate.release.countDown();
      running.get(5, TimeUnit.SECONDS);
      assertThat(kept.get(5, TimeUnit.SECONDS)[0][0]).isEqualTo(20f);
      assertThat(gate.seen).containsExactly(0, 20);
      assertThat(b.dropped()).isEqualTo(2);
    }
  }

  @Test
  void aForwardPassWithTooFewRowsFailsItsRequestsAndTheNextOneSucceeds() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    try (MicroBatcher b =
        new MicroBatcher(
            batch -> calls.incrementAndGet() == 1 ? new float[0][] : echo(batch),
            4,
            Duration.ZERO,
            1,
            n -> {})) {
      assertThatThrownBy(() -> b.submit(rows(0, 1)).get(5, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .hasMessageContaining("returned 0 rows for 1 instances");
      assertThat(b.submit(rows(7, 1)).get(5, TimeUnit.SECONDS)[0][0]).isEqualTo(7f);
      assertThat(b.alive()).isTrue();
    }
  }

  @Test
  void theGathererSurvivesABatchItCannotHandOver() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    java.util.concurrent.Executor refusesOnce =
        task -> {
          if (calls.incrementAndGet() == 1) {
            throw new java.util.concurrent.RejectedExecutionException("no worker");
          }
          task.run();
        };
    try (MicroBatcher b =
        new MicroBatcher(MicroBatcherTest::echo, 4, Duration.ZERO, 1, 64, n -> {}, refusesOnce)) {
      assertThatThrownBy(() -> b.submit(rows(0, 1)).get(5, TimeUnit.SECONDS))
          .hasCauseInstanceOf(java.util.concurrent.RejectedExecutionException.class);
      assertThat(b.submit(rows(7, 1)).get(5, TimeUnit.SECONDS)[0][0]).isEqualTo(7f);
      assertThat(b.alive()).isTrue();
    }
  }

  @Test
  void anErrorThatStopsTheGathererFailsItsRequestsAndLivenessSaysSo() throws Exception {
    java.util.concurrent.Executor outOfMemory =
        task -> {
          throw new OutOfMemoryError("test");
        };
    try (MicroBatcher b =
        new MicroBatcher(MicroBatcherTest::echo, 4, Duration.ZERO, 1, 64, n -> {}, outOfMemory)) {
      assertThatThrownBy(() -> b.submit(rows(0, 1)).get(5, TimeUnit.SECONDS))
          .hasCauseInstanceOf(OutOfMemoryError.class);
      assertThat(b.alive()).isFalse();
      assertThatThrownBy(() -> b.submit(rows(7, 1)).get(1, TimeUnit.SECONDS))
          .hasCauseInstanceOf(ServeError.class)
          .hasMessageContaining("batching thread has stopped");
    }
  }

  @Test
  void requestsWaitingWhenTheGathererStopsGet503NotTheError() throws Exception {
    java.util.concurrent.CountDownLatch secondQueued = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.Executor outOfMemory =
        task -> {
          try {
            secondQueued.await(5, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          throw new OutOfMemoryError("test");
        };
    try (MicroBatcher b =
        new MicroBatcher(MicroBatcherTest::echo, 1, Duration.ZERO, 1, 64, n -> {}, outOfMemory)) {
      var first = b.submit(rows(0, 1));
      // With batches of one, the gatherer takes the first request and stops in the hand-over
      // until the second is queued behind it.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (b.taken() < 1 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(b.taken()).isEqualTo(1);
      var second = b.submit(rows(1, 1));
      secondQueued.countDown();
      assertThatThrownBy(() -> first.get(5, TimeUnit.SECONDS))
          .hasCauseInstanceOf(OutOfMemoryError.class);
      // Before, the waiting request failed with the OutOfMemoryError itself: a 500.
      assertThatThrownBy(() -> second.get(5, TimeUnit.SECONDS))
          .hasCauseInstanceOf(ServeError.class)
          .satisfies(
              e ->
                  assertThat(((ServeError) e.getCause()).kind())
                      .isEqualTo(ServeError.Kind.BATCHER_STOPPED));
    }
  }

  @Test
  void anInterruptedCloseStillWaitsForTheRunningForwardPassAndKeepsTheInterrupt() throws Exception {
    java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.atomic.AtomicBoolean running =
        new java.util.concurrent.atomic.AtomicBoolean();
    MicroBatcher b =
        new MicroBatcher(
            batch -> {
              running.set(true);
              started.countDown();
              try {
                release.await(20, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              running.set(false);
              return echo(batch);
            },
            4,
            Duration.ZERO,
            1,
            n -> {});
    CompletableFuture<float[][]> result = b.submit(rows(3, 1));
    assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
    java.util.concurrent.atomic.AtomicBoolean runningAtReturn =
        new java.util.concurrent.atomic.AtomicBoolean(true);
    java.util.concurrent.atomic.AtomicBoolean interruptKept =
        new java.util.concurrent.atomic.AtomicBoolean();
    // As shutdown() does when SIGTERM's sleep was interrupted: the flag is set, then close().
    Thread closer =
        new Thread(
            () -> {
              Thread.currentThread().interrupt();
              b.close();
              runningAtReturn.set(running.get());
              interruptKept.set(Thread.currentThread().isInterrupted());
            });
    closer.start();
    closer.join(500);
    assertThat(closer.isAlive()).as("close() waits for the forward pass").isTrue();
    release.countDown();
    closer.join(10_000);
    assertThat(closer.isAlive()).isFalse();
    assertThat(runningAtReturn.get()).as("a forward pass ran when close() returned").isFalse();
    assertThat(interruptKept.get()).isTrue();
    assertThat(result.get(5, TimeUnit.SECONDS)[0][0]).isEqualTo(3f);
  }
}
