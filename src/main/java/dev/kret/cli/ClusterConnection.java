package dev.kret.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * A client together with the threads it started. Closing it closes the client and then stops the
 * selector threads of the JDK HTTP clients it created and waits for them: HotSpot's exit waits up
 * to 300 ms for any thread still blocked in native code, and an idle selector is one. Java 17's
 * {@code java.net.http.HttpClient} has no shutdown method (21 added {@code shutdownNow}); its
 * selector thread ends when interrupted, after closing the client's connections.
 */
public final class ClusterConnection implements AutoCloseable {

  private final KubernetesClient client;
  private final Set<Thread> threadsBefore;

  private ClusterConnection(KubernetesClient client, Set<Thread> threadsBefore) {
    this.client = client;
    this.threadsBefore = threadsBefore;
  }

  /** Builds the client, remembering which threads existed before it. */
  static ClusterConnection open(Supplier<KubernetesClient> build) {
    Set<Thread> before = Set.copyOf(Thread.getAllStackTraces().keySet());
    return new ClusterConnection(build.get(), before);
  }

  public KubernetesClient client() {
    return client;
  }

  @Override
  public void close() {
    try {
      client.close();
    } finally {
      stopSelectors();
    }
  }

  /** The JDK HTTP clients' selector threads started since this connection was opened. */
  private List<Thread> selectors() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> !threadsBefore.contains(t))
        .filter(
            t -> t.getName().startsWith("HttpClient-") && t.getName().endsWith("-SelectorManager"))
        .toList();
  }

  private void stopSelectors() {
    List<Thread> selectors = selectors();
    selectors.forEach(Thread::interrupt);
    for (Thread t : selectors) {
      try {
        t.join(1_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
