package dev.kret.operator;

import static org.junit.jupiter.api.Assertions.fail;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** Polling helpers for tests that drive an operator against the mock API server. */
final class Eventually {
  static final Duration TIMEOUT = Duration.ofSeconds(15);

  private Eventually() {}

  /** Polls until {@code ok} holds; a read that throws counts as "not there yet". */
  static <T> T until(String what, Supplier<T> get, Predicate<T> ok) {
    return until(what, get, ok, TIMEOUT);
  }

  /** As {@link #until(String, Supplier, Predicate)}, giving up after {@code timeout}. */
  static <T> T until(String what, Supplier<T> get, Predicate<T> ok, Duration timeout) {
    long end = System.nanoTime() + timeout.toNanos();
    T last = null;
    while (System.nanoTime() < end) {
      try {
        last = get.get();
        if (last != null && ok.test(last)) {
          return last;
        }
      } catch (RuntimeException e) {
        // not there yet
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return fail("timed out waiting for " + what + "; last seen: " + last);
  }

  /** Creates the committed CRD, as {@code kubectl apply -f k8s/crd/} would. */
  static void createCrd(KubernetesClient client) {
    try (InputStream crd = Files.newInputStream(Path.of("k8s/crd/finetuneruns.kret.dev-v1.yml"))) {
      client.apiextensions().v1().customResourceDefinitions().load(crd).create();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
