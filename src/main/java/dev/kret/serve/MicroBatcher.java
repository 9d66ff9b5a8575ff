package dev.kret.serve;

import dev.kret.text.RelationEncoder.Encoded;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.IntConsumer;

/**
 * Gathers the instances of concurrent requests into forward passes of at most {@code maxBatch}
 * instances. A worker takes the first waiting instance, then keeps taking for at most {@code
 * maxWait} until the batch is full, runs one forward pass and hands each request its rows. Only one
 * worker gathers at a time, so while one computes the next one fills its batch.
 */
public final class MicroBatcher implements AutoCloseable {

  private final Function<List<Encoded>, float[][]> forward;
  private final int maxBatch;
  private final long maxWaitNanos;
  private final IntConsumer onBatch;
  private final LinkedBlockingQueue<Item> queue = new LinkedBlockingQueue<>();
  private final ReentrantLock gathering = new ReentrantLock();
  private final List<Thread> workers = new ArrayList<>();
  private volatile boolean closed;

  /** One instance of a request: its encoding and where its row goes. */
  private record Item(Pending request, int index, Encoded encoded) {}

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
    for (int i = 0; i < workers; i++) {
      Thread t = new Thread(this::work, "kret-batcher-" + i);
      t.setDaemon(true);
      t.start();
      this.workers.add(t);
    }
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

  private void work() {
    List<Item> batch = new ArrayList<>(maxBatch);
    while (true) {
      batch.clear();
      try {
        if (!gather(batch)) {
          return;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      if (batch.isEmpty()) {
        continue;
      }
      run(batch);
    }
  }

  /** Fills the batch; false once closed and the queue is empty. */
  private boolean gather(List<Item> batch) throws InterruptedException {
    gathering.lockInterruptibly();
    try {
      Item first = queue.poll(100, TimeUnit.MILLISECONDS);
      if (first == null) {
        return !(closed && queue.isEmpty());
      }
      batch.add(first);
      long deadline = System.nanoTime() + maxWaitNanos;
      while (batch.size() < maxBatch) {
        Item next = queue.poll();
        if (next == null) {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            break;
          }
          next = queue.poll(left, TimeUnit.NANOSECONDS);
          if (next == null) {
            break;
          }
        }
        batch.add(next);
      }
      return true;
    } finally {
      gathering.unlock();
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
    for (Thread t : workers) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
