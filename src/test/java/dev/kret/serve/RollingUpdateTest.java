package dev.kret.serve;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kret.data.KlueReDataset;
import dev.kret.data.LoadOptions;
import dev.kret.model.Djl;
import dev.kret.model.ModelDirectory;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A rolling update under load, without a cluster: closed-loop clients send each request to one of
 * the ready servers (the Service's endpoints, refreshed every 50 ms as the endpoints controller
 * would), a new server joins, and the old one is shut down as SIGTERM does. No request may fail.
 */
class RollingUpdateTest {

  @Test
  void aRollingUpdateUnderLoadLosesNoRequest() throws Exception {
    Djl.offline();
    byte[] body =
        PredictionServerTest.v1(
                KlueReDataset.load("builtin:klue-re-sample/validation", LoadOptions.defaults())
                    .examples()
                    .subList(0, 1))
            .toString()
            .getBytes(StandardCharsets.UTF_8);
    ServeConfig config =
        ServeConfig.loopback("tiny")
            .withDrain(Duration.ofSeconds(10))
            .withLimits(ServeConfig.Limits.defaults().withShutdownDelay(Duration.ofSeconds(1)));
    PredictionServer old = start(config);
    try (PredictionServer next = start(config)) {
      List<PredictionServer> pods = new java.util.concurrent.CopyOnWriteArrayList<>(List.of(old));
      AtomicReference<List<PredictionServer>> endpoints = new AtomicReference<>(List.of(old));
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      Thread controller =
          new Thread(
              () -> {
                while (System.nanoTime() < end) {
                  endpoints.set(pods.stream().filter(PredictionServer::ready).toList());
                  try {
                    Thread.sleep(50);
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              });
      controller.setDaemon(true);
      controller.start();
      AtomicInteger ok = new AtomicInteger();
      AtomicInteger afterStop = new AtomicInteger();
      List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
      AtomicReference<CompletableFuture<Void>> stopped = new AtomicReference<>();
      List<CompletableFuture<Void>> clients = new ArrayList<>();
      for (int c = 0; c < 8; c++) {
        clients.add(
            CompletableFuture.runAsync(
                () -> {
                  Map<PredictionServer, BenchConnection> conns = new HashMap<>();
                  try {
                    while (System.nanoTime() < end) {
                      List<PredictionServer> ready = endpoints.get();
                      PredictionServer pick =
                          ready.get(ThreadLocalRandom.current().nextInt(ready.size()));
                      BenchConnection conn =
                          conns.computeIfAbsent(
                              pick,
                              p ->
                                  new BenchConnection(
                                      URI.create(p.baseUrl() + "/v1/models/tiny:predict")));
                      boolean wasStopped = stopped.get() != null && stopped.get().isDone();
                      try {
                        int status = conn.post(body);
                        if (status == 200) {
                          ok.incrementAndGet();
                          if (wasStopped) {
                            afterStop.incrementAndGet();
                          }
                        } else {
                          failures.add("HTTP " + status + " from " + pick.baseUrl());
                        }
                      } catch (IOException e) {
                        failures.add(e + " from " + pick.baseUrl());
                      }
                    }
                  } finally {
                    conns.values().forEach(BenchConnection::close);
                  }
                }));
      }
      Thread.sleep(500);
      pods.add(next); // the new replica is up and ready
      Thread.sleep(500);
      stopped.set(CompletableFuture.runAsync(old::shutdown)); // SIGTERM to the old one
      for (CompletableFuture<Void> c : clients) {
        c.get(60, TimeUnit.SECONDS);
      }
      stopped.get().get(30, TimeUnit.SECONDS);
      assertThat(failures).isEmpty();
      assertThat(ok.get()).isGreaterThan(100);
      assertThat(afterStop.get()).as("requests served by the new server alone").isPositive();
    } finally {
      old.close();
    }
  }

  static PredictionServer start(ServeConfig config) throws Exception {
    PredictionServer s =
        PredictionServer.start(
            config, () -> ModelDirectory.open(PredictionServerTest.FIXTURE, Djl.device(false)));
    s.loaded().get(60, TimeUnit.SECONDS);
    return s;
  }
}
