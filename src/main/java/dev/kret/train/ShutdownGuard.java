package dev.kret.train;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Lets a training loop stop at a safe point when the JVM shuts down (SIGTERM from kubectl delete, a
 * preempted node, Ctrl-C) instead of being torn down in the middle of a libtorch call.
 *
 * <p>Without it the JVM runs libtorch's static destructors while the training thread is still
 * inside a forward or backward pass: the process dies of SIGSEGV and leaves an {@code
 * hs_err_pid*.log} in its working directory. With it, the shutdown hook asks the loop to stop and
 * waits (at most {@code wait}) until the loop has left native code and released its tensors; the
 * JVM then exits with the signal's status (143 for SIGTERM). The last finished epoch's checkpoint
 * is untouched, so running the same command again resumes from there.
 */
final class ShutdownGuard implements AutoCloseable {

  private final CountDownLatch released = new CountDownLatch(1);
  private final Duration wait;
  private final Thread hook;
  private volatile boolean stopping;

  ShutdownGuard(Duration wait) {
    this.wait = wait;
    this.hook = new Thread(this::stopAndWait, "kret-train-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /** What the shutdown hook does; package-private so tests can run it without a signal. */
  void stopAndWait() {
    stopping = true;
    try {
      released.await(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Whether shutdown has begun: the loop checks this at each safe point and then stops. */
  boolean stopping() {
    return stopping;
  }

  /** Called after the loop released its native resources; lets a waiting shutdown proceed. */
  @Override
  public void close() {
    released.countDown();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // the hook is running or has run; nothing to remove
    }
  }
}
