package dev.kret.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.vertx.core.Vertx;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A client together with the one event loop it runs on. Closing it closes the client and then stops
 * the event loop and waits for it: a thread still blocked in native code (an idle selector) when
 * the JVM exits holds the exit back by 300 ms, a third of a {@code kretctl status}.
 */
public final class ClusterConnection implements AutoCloseable {

  private final KubernetesClient client;
  private final Vertx vertx;

  ClusterConnection(KubernetesClient client, Vertx vertx) {
    this.client = client;
    this.vertx = vertx;
  }

  public KubernetesClient client() {
    return client;
  }

  @Override
  public void close() {
    try {
      client.close();
    } finally {
      try {
        vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (ExecutionException | TimeoutException e) {
        // Best effort: the JVM exits soon after a command anyway.
      }
    }
  }
}
