package dev.kret.serve;

import static dev.kret.serve.PredictionServerTest.v1;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kret.data.KlueReDataset;
import dev.kret.data.LoadOptions;
import dev.kret.data.RelationExample;
import dev.kret.model.Djl;
import dev.kret.model.ModelDirectory;
import dev.kret.text.RelationEncoder.Encoded;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Who frees the model, and when: close() racing the load thread, and close() from an interrupted
 * thread while a forward pass runs. The model's manager tells whether it was freed.
 */
class LifecycleTest {

  static List<RelationExample> dev;

  @BeforeAll
  static void sample() {
    Djl.offline();
    dev =
        KlueReDataset.load("builtin:klue-re-sample/validation", LoadOptions.defaults())
            .examples()
            .subList(0, 1);
  }

  static boolean freed(AtomicReference<ModelDirectory.Opened> model) {
    return !model.get().model().manager().isOpen();
  }

  static long batcherThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().startsWith("kret-batcher"))
        .count();
  }

  static void awaitNoBatcherThreads(long before) throws InterruptedException {
    for (int i = 0; i < 500 && batcherThreads() > before; i++) {
      Thread.sleep(10);
    }
    assertThat(batcherThreads()).as("batcher threads left running").isEqualTo(before);
  }

  @Test
  void closeDuringTheWarmUpFreesTheModelOnlyAfterTheLoadThreadStopped() throws Exception {
    long threadsBefore = batcherThreads();
    AtomicReference<ModelDirectory.Opened> model = new AtomicReference<>();
    AtomicBoolean freedWhileSettingUp = new AtomicBoolean();
    AtomicReference<CompletableFuture<Void>> closing = new AtomicReference<>();
    PredictionServer s =
        PredictionServer.start(
            ServeConfig.loopback("tiny"),
            () -> {
              model.set(ModelDirectory.open(PredictionServerTest.FIXTURE, Djl.device(false)));
              return model.get();
            },
            (server, rows, length) -> {
              if (closing.get() == null) {
                // SIGTERM lands while the load thread is still setting the model up.
                closing.set(CompletableFuture.runAsync(server::close));
                try {
                  closing.get().get(1, TimeUnit.SECONDS);
                } catch (Exception e) {
                  // close() waits for this thread: expected
                }
              }
              if (freed(model)) {
                freedWhileSettingUp.set(true);
              }
            });
    assertThat(s.loaded()).failsWithin(30, TimeUnit.SECONDS);
    closing.get().get(30, TimeUnit.SECONDS);
    assertThat(freedWhileSettingUp.get()).as("model freed under the load thread").isFalse();
    assertThat(freed(model)).as("model freed once loading stopped").isTrue();
    awaitNoBatcherThreads(threadsBefore);
  }

  @Test
  void aModelLoadedAfterCloseIsFreedAndStartsNoBatcher() throws Exception {
    long threadsBefore = batcherThreads();
    AtomicReference<ModelDirectory.Opened> model = new AtomicReference<>();
    CountDownLatch closed = new CountDownLatch(1);
    PredictionServer s =
        PredictionServer.start(
            ServeConfig.loopback("tiny"),
            () -> {
              closed.await(30, TimeUnit.SECONDS);
              model.set(ModelDirectory.open(PredictionServerTest.FIXTURE, Djl.device(false)));
              return model.get();
            });
    s.close();
    closed.countDown();
    assertThat(s.loaded()).failsWithin(30, TimeUnit.SECONDS);
    assertThat(freed(model)).isTrue();
    awaitNoBatcherThreads(threadsBefore);
  }

  @Test
  void anInterruptedCloseWaitsForTheForwardPassBeforeFreeingTheModel() throws Exception {
    AtomicReference<ModelDirectory.Opened> model = new AtomicReference<>();
    AtomicBoolean armed = new AtomicBoolean();
    AtomicBoolean ranOnFreedModel = new AtomicBoolean();
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    PredictionServer.ForwardWrapper gate =
        forward ->
            (Function<List<Encoded>, float[][]>)
                batch -> {
                  if (armed.get()) {
                    started.countDown();
                    try {
                      release.await(20, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    }
                    if (freed(model)) {
                      // Would be a use-after-free in libtorch: record it, compute nothing.
                      ranOnFreedModel.set(true);
                      return new float[batch.size()][30];
                    }
                  }
                  return forward.apply(batch);
                };
    PredictionServer s =
        PredictionServer.start(
            ServeConfig.loopback("tiny").withDrain(Duration.ofMillis(200)),
            () -> {
              model.set(ModelDirectory.open(PredictionServerTest.FIXTURE, Djl.device(false)));
              return model.get();
            },
            (server, rows, length) -> {},
            gate);
    s.loaded().get(60, TimeUnit.SECONDS);
    armed.set(true);
    ServeClient c = new ServeClient(s.baseUrl());
    CompletableFuture<ServeClient.Reply> pending =
        CompletableFuture.supplyAsync(() -> c.post("/v1/models/tiny:predict", v1(dev)));
    assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
    AtomicBoolean interruptKept = new AtomicBoolean();
    Thread closer =
        new Thread(
            () -> {
              Thread.currentThread().interrupt();
              s.close();
              interruptKept.set(Thread.currentThread().isInterrupted());
            });
    closer.start();
    closer.join(1_000); // past the drain: the pass still runs
    assertThat(closer.isAlive()).as("close() waits for the forward pass").isTrue();
    release.countDown();
    closer.join(30_000);
    assertThat(closer.isAlive()).isFalse();
    assertThat(ranOnFreedModel.get()).as("model freed under a running forward pass").isFalse();
    assertThat(freed(model)).isTrue();
    assertThat(interruptKept.get()).isTrue();
    pending.handle((r, e) -> null).get(30, TimeUnit.SECONDS);
  }
}
