package dev.kret.serve;

import dev.kret.text.RelationEncoder.Encoded;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.IntConsumer;

/**
 * Gathers the instances of concurrent requests into forward passes of at most {@code maxBatch}
 * instances. One gatherer thread takes the first waiting instance, then keeps taking for at most
 * {@code maxWait} until the batch is full; it hands the batch to an idle worker, and while every
 * worker is busy it keeps filling the batch. So the next batch fills while a worker computes, and a
 * worker that finishes finds its next batch ready instead of waiting {@code maxWait} for one
 * (measured: that wait idled one worker ~25% of the time on the tiny model).
 */
public final class MicroBatcher implements AutoCloseable {

  private final Function<List<Encoded>, float[][]> forward;
  private final int maxBatch;
  private final long maxWaitNanos;
  private final IntConsumer onBatch;
  private final LinkedBlockingQueue<Item> queue = new LinkedBlockingQueue<>();
  private final int workerCount;
  private final Semaphore idle;
  private final ExecutorService workers;
  private final Thread gatherer;
  private volatile boolean closed;

  /** One instance of a request: its encoding and where its row goes. */
  private record Item(Pending request, int index, Encoded encoded) {}

  /**
   * Queued by a worker that became idle, so that a gatherer blocked on the queue wakes up; skipped
   * everywhere else.
   */
  private static final Item WAKE = new Item(null, -1, null);

  /** The rows of one request, completed when the last one arrives. */
  private static final class Pending {
    final float[][] rows;
    final CompletableFuture<float[][]> done = new CompletableFuture<>();
    int missing;

    Pending(int n) {
      rows = new float[n][];
      missing = n;
    }

    synchronized void put(int index, float[] row) {
      rows[index] = row;
      if (--missing == 0) {
        done.complete(rows);
      }
    }
  }

  /**
   * @param forward one forward pass: encoded rows in, log-probabilities (or probabilities) out
   * @param workers forward passes that may run at once (each on its own thread)
   * @param onBatch told the size of every forward pass, for metrics
   */
  public MicroBatcher(
      Function<List<Encoded>, float[][]> forward,
      int maxBatch,
      Duration maxWait,
      int workers,
      IntConsumer onBatch) {
    this.forward = forward;
    this.maxBatch = maxBatch;
    this.maxWaitNanos = maxWait.toNanos();
    this.onBatch = onBatch;
    this.workerCount = workers;
    this.idle = new Semaphore(workers);
    AtomicInteger n = new AtomicInteger();
    // Exactly `workers` threads kept alive: forward passes run on long-lived threads, which keeps
    // libtorch's per-thread state (grad mode, allocator caches) bounded.
    this.workers =
        new ThreadPoolExecutor(
            workers,
            workers,
            0,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            r -> {
              Thread t = new Thread(r, "kret-batcher-" + n.getAndIncrement());
              t.setDaemon(true);
              return t;
            });
    this.gatherer = new Thread(this::gatherLoop, "kret-batcher-gather");
    gatherer.setDaemon(true);
    gatherer.start();
  }

  /** Queues a request's instances; the future yields one row per instance, in order. */
  public CompletableFuture<float[][]> submit(List<Encoded> instances) {
    if (closed) {
      return CompletableFuture.failedFuture(
          new ServeError(ServeError.Kind.SHUTTING_DOWN, "the server is shutting down"));
    }
    if (instances.isEmpty()) {
      return CompletableFuture.completedFuture(new float[0][]);
    }
    Pending p = new Pending(instances.size());
    for (int i = 0; i < instances.size(); i++) {
      queue.add(new Item(p, i, instances.get(i)));
    }
    return p.done;
  }

  /**
   * Runs each batch once on every worker thread, before requests are served; not reported to {@code
   * onBatch}. Each worker has its own libtorch thread state, so warming one would leave the others
   * cold.
   *
   * @param afterPass told each batch once it has run on every worker
   */
  public void warmUp(
      List<List<Encoded>> batches, java.util.function.Consumer<List<Encoded>> afterPass)
      throws InterruptedException {
    idle.acquire(workerCount);
    try {
      for (List<Encoded> batch : batches) {
        // A barrier per pass keeps the tasks on distinct threads: none finishes before all started.
        java.util.concurrent.CyclicBarrier together =
            new java.util.concurrent.CyclicBarrier(workerCount);
        List<java.util.concurrent.Future<?>> runs = new ArrayList<>();
        for (int w = 0; w < workerCount; w++) {
          runs.add(
              workers.submit(
                  () -> {
                    together.await();
                    return forward.apply(batch);
                  }));
        }
        for (java.util.concurrent.Future<?> f : runs) {
          try {
            f.get();
          } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("warm-up pass failed: " + e.getCause(), e.getCause());
          }
        }
        afterPass.accept(batch);
      }
    } finally {
      idle.release(workerCount);
    }
  }

  private void gatherLoop() {
    try {
      while (true) {
        List<Item> batch = new ArrayList<>(maxBatch);
        if (!gather(batch)) {
          return;
        }
        if (batch.isEmpty()) {
          continue;
        }
        awaitIdleWorker(batch);
        workers.execute(
            () -> {
              try {
                run(batch);
              } finally {
                idle.release();
                queue.add(WAKE);
              }
            });
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Fills the batch for at most maxWait; false once closed and the queue is empty. */
  private boolean gather(List<Item> batch) throws InterruptedException {
    Item first = poll(TimeUnit.MILLISECONDS.toNanos(100));
    if (first == null) {
      return !(closed && queue.isEmpty());
    }
    batch.add(first);
    long deadline = System.nanoTime() + maxWaitNanos;
    while (batch.size() < maxBatch) {
      Item next = poll(deadline - System.nanoTime());
      if (next == null) {
        break;
      }
      batch.add(next);
    }
    return true;
  }

  /** Takes a worker's permit; until one is free, keeps adding waiting instances to the batch. */
  private void awaitIdleWorker(List<Item> batch) throws InterruptedException {
    while (!idle.tryAcquire()) {
      if (batch.size() >= maxBatch) {
        idle.acquire();
        return;
      }
      // Wakes for a new instance or for WAKE from a worker that finished.
      Item next = queue.take();
      if (next != WAKE) {
        batch.add(next);
      }
    }
  }

  /** The next instance within the time left (none when it is up), skipping WAKE markers. */
  private Item poll(long nanos) throws InterruptedException {
    long deadline = System.nanoTime() + nanos;
    while (true) {
      Item next = queue.poll();
      if (next == null) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return null;
        }
        next = queue.poll(left, TimeUnit.NANOSECONDS);
        if (next == null) {
          return null;
        }
      }
      if (next != WAKE) {
        return next;
      }
    }
  }

  private void run(List<Item> batch) {
    List<Encoded> encoded = new ArrayList<>(batch.size());
    for (Item item : batch) {
      encoded.add(item.encoded);
    }
    float[][] rows;
    try {
      rows = forward.apply(encoded);
      onBatch.accept(batch.size());
    } catch (RuntimeException | Error e) {
      for (Item item : batch) {
        item.request.done.completeExceptionally(e);
      }
      return;
    }
    for (int i = 0; i < batch.size(); i++) {
      Item item = batch.get(i);
      item.request.put(item.index, rows[i]);
    }
  }

  /** Stops taking requests, finishes every queued instance, then stops the workers. */
  @Override
  public void close() {
    closed = true;
    try {
      gatherer.join();
      workers.shutdown();
      workers.awaitTermination(1, TimeUnit.MINUTES);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
