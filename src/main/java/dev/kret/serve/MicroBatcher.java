package dev.kret.serve;

import dev.kret.text.RelationEncoder.Encoded;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.IntConsumer;
import org.jboss.logging.Logger;

/**
 * Gathers the instances of concurrent requests into forward passes of at most {@code maxBatch}
 * instances. One gatherer thread takes the first waiting instance, then keeps taking for at most
 * {@code maxWait} until the batch is full; it hands the batch to an idle worker, and while every
 * worker is busy it keeps filling the batch. So the next batch fills while a worker computes, and a
 * worker that finishes finds its next batch ready instead of waiting {@code maxWait} for one
 * (measured: that wait idled one worker ~25% of the time on the tiny model).
 *
 * <p>Admission: at most {@code maxQueue} instances wait; a request that would go past it fails at
 * once with {@link ServeError.Kind#QUEUE_FULL}. A request whose future is already done (cancelled
 * because its client went away, timed out, or failed) has its waiting instances dropped, never
 * computed. Neither thread dies of an error: a failed batch fails its requests and the loop goes
 * on; only an {@link Error} on the gatherer stops it, and then {@link #alive()} says so (liveness).
 */
public final class MicroBatcher implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(MicroBatcher.class);

  private final Function<List<Encoded>, float[][]> forward;
  private final int maxBatch;
  private final long maxWaitNanos;
  private final IntConsumer onBatch;
  private final LinkedBlockingQueue<Item> queue = new LinkedBlockingQueue<>();
  private final int maxQueue;
  private final AtomicInteger queued = new AtomicInteger();
  private final AtomicInteger dropped = new AtomicInteger();
  private final java.util.concurrent.atomic.AtomicLong taken =
      new java.util.concurrent.atomic.AtomicLong();
  private final int workerCount;
  private final Semaphore idle;
  private final ExecutorService workers;
  private final Executor dispatch;
  private final Thread gatherer;
  private volatile boolean closed;
  private volatile Throwable broken;

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
    this(forward, maxBatch, maxWait, workers, Integer.MAX_VALUE, onBatch, null);
  }

  /**
   * @param maxQueue instances that may wait at most
   * @param dispatch runs each gathered batch; null for the batcher's own worker threads (tests pass
   *     one that fails)
   */
  MicroBatcher(
      Function<List<Encoded>, float[][]> forward,
      int maxBatch,
      Duration maxWait,
      int workers,
      int maxQueue,
      IntConsumer onBatch,
      Executor dispatch) {
    this.forward = forward;
    this.maxQueue = maxQueue;
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
    this.dispatch = dispatch == null ? this.workers : dispatch;
    this.gatherer = new Thread(this::gatherLoop, "kret-batcher-gather");
    gatherer.setDaemon(true);
    gatherer.start();
  }

  /** The batcher with a bounded queue, run by its own worker threads. */
  public static MicroBatcher bounded(
      Function<List<Encoded>, float[][]> forward,
      int maxBatch,
      Duration maxWait,
      int workers,
      int maxQueue,
      IntConsumer onBatch) {
    return new MicroBatcher(forward, maxBatch, maxWait, workers, maxQueue, onBatch, null);
  }

  /**
   * Queues a request's instances; the future yields one row per instance, in order. Cancelling it
   * (or completing it any other way) drops the instances still waiting.
   */
  public CompletableFuture<float[][]> submit(List<Encoded> instances) {
    if (closed) {
      return CompletableFuture.failedFuture(
          new ServeError(ServeError.Kind.SHUTTING_DOWN, "the server is shutting down"));
    }
    if (broken != null) {
      return CompletableFuture.failedFuture(stopped());
    }
    if (instances.isEmpty()) {
      return CompletableFuture.completedFuture(new float[0][]);
    }
    int n = instances.size();
    if (queued.addAndGet(n) > maxQueue) {
      int waiting = queued.addAndGet(-n);
      return CompletableFuture.failedFuture(
          new ServeError(
              ServeError.Kind.QUEUE_FULL,
              "the batch queue is full ("
                  + waiting
                  + " instances waiting, at most "
                  + maxQueue
                  + " (--max-queue)); retry later"));
    }
    Pending p = new Pending(n);
    for (int i = 0; i < instances.size(); i++) {
      queue.add(new Item(p, i, instances.get(i)));
    }
    if (broken != null) {
      // The gatherer stopped after the check above and may have drained the queue already.
      failQueued(stopped());
    }
    return p.done;
  }

  /** Why requests are refused once the batching thread has stopped (503, not 500). */
  private static ServeError stopped() {
    return new ServeError(
        ServeError.Kind.BATCHER_STOPPED,
        "the batching thread has stopped; liveness fails until the pod restarts");
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

  /** False once the gatherer has stopped on an error: nothing queued will be computed again. */
  public boolean alive() {
    return broken == null && (gatherer.isAlive() || closed);
  }

  /** Instances dropped unseen by the model because their request was already done. */
  public int dropped() {
    return dropped.get();
  }

  /** Instances waiting for a forward pass. */
  public int queued() {
    return queued.get();
  }

  /** Instances the gatherer has taken off the queue so far; tests wait on it. */
  long taken() {
    return taken.get();
  }

  private void gatherLoop() {
    while (true) {
      List<Item> batch = new ArrayList<>(maxBatch);
      boolean permit = false;
      try {
        if (!gather(batch)) {
          return;
        }
        if (batch.isEmpty()) {
          continue;
        }
        awaitIdleWorker(batch);
        permit = true;
        dispatch.execute(
            () -> {
              try {
                run(batch);
              } finally {
                idle.release();
                queue.add(WAKE);
              }
            });
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        fail(batch, e);
        return;
      } catch (RuntimeException e) {
        // The batch could not be handed over: its requests fail, the next batch is gathered.
        LOG.errorf(e, "could not run a batch of %d instances", batch.size());
        if (permit) {
          idle.release();
        }
        fail(batch, e);
      } catch (Error e) {
        // Out of memory or worse: stop, fail everything waiting, and let liveness report it.
        LOG.errorf(e, "the batching thread stops");
        broken = e;
        fail(batch, e);
        // The requests still waiting never reached the model: 503, as for any later request.
        failQueued(stopped());
        return;
      }
    }
  }

  private static void fail(List<Item> batch, Throwable e) {
    for (Item item : batch) {
      item.request.done.completeExceptionally(e);
    }
  }

  private void failQueued(Throwable e) {
    for (Item item = queue.poll(); item != null; item = queue.poll()) {
      if (item != WAKE) {
        queued.decrementAndGet();
        item.request.done.completeExceptionally(e);
      }
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
      if (next == WAKE) {
        continue;
      }
      queued.decrementAndGet();
      taken.incrementAndGet();
      if (next.request.done.isDone()) {
        dropped.incrementAndGet();
      } else {
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
      if (next == WAKE) {
        continue;
      }
      queued.decrementAndGet();
      taken.incrementAndGet();
      if (next.request.done.isDone()) {
        dropped.incrementAndGet();
        continue;
      }
      return next;
    }
  }

  /** One forward pass; whatever goes wrong fails this batch's requests and nothing else. */
  private void run(List<Item> gathered) {
    // Requests that ended while the batch waited for a worker are not computed either.
    List<Item> batch = new ArrayList<>(gathered.size());
    for (Item item : gathered) {
      if (item.request.done.isDone()) {
        dropped.incrementAndGet();
      } else {
        batch.add(item);
      }
    }
    if (batch.isEmpty()) {
      return;
    }
    try {
      List<Encoded> encoded = new ArrayList<>(batch.size());
      for (Item item : batch) {
        encoded.add(item.encoded);
      }
      float[][] rows = forward.apply(encoded);
      if (rows == null || rows.length != batch.size()) {
        throw new IllegalStateException(
            "forward pass returned "
                + (rows == null ? "null" : rows.length + " rows")
                + " for "
                + batch.size()
                + " instances");
      }
      onBatch.accept(batch.size());
      for (int i = 0; i < batch.size(); i++) {
        Item item = batch.get(i);
        item.request.put(item.index, rows[i]);
      }
    } catch (Throwable e) {
      fail(batch, e);
    }
  }

  /**
   * Stops taking requests, finishes every queued instance, then stops the workers. Uninterruptible:
   * an interrupted caller (SIGTERM during the shutdown delay) would otherwise return while a
   * forward pass still runs and free the model under it; the interrupt is restored on return.
   */
  @Override
  public void close() {
    closeAndWait();
  }

  /**
   * {@link #close()}, telling whether no forward pass runs any more: false if one still ran a
   * minute later, and then the model must not be freed.
   */
  boolean closeAndWait() {
    closed = true;
    boolean interrupted = false;
    try {
      while (true) {
        try {
          gatherer.join();
          break;
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      if (broken != null) {
        failQueued(stopped());
      }
    } finally {
      workers.shutdown();
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
      while (!workers.isTerminated() && System.nanoTime() < deadline) {
        try {
          workers.awaitTermination(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
    return workers.isTerminated();
  }
}
