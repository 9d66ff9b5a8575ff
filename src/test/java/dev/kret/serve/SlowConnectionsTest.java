package dev.kret.serve;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kret.model.Djl;
import dev.kret.model.ModelDirectory;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Clients that connect and stall, or dribble a request byte by byte, cost the server a socket, not
 * a thread: probes are still answered at once, and the stalled connections are closed at the header
 * and body timeouts.
 */
class SlowConnectionsTest {

  /** A server whose model never loads: connection handling does not need one. */
  static PredictionServer unloaded(ServeConfig config) throws IOException {
    CountDownLatch never = new CountDownLatch(1);
    return PredictionServer.start(
        config,
        () -> {
          never.await();
          return null;
        });
  }

  static Socket connect(PredictionServer s) throws IOException {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress("127.0.0.1", s.port()), 5_000);
    socket.setSoTimeout(10_000);
    return socket;
  }

  @Test
  void probesAnswerWithin100msWhile200SlowConnectionsAreOpen() throws Exception {
    Djl.offline();
    try (PredictionServer s =
        PredictionServer.start(
            ServeConfig.loopback("tiny"),
            () -> ModelDirectory.open(PredictionServerTest.FIXTURE, Djl.device(false)))) {
      s.loaded().get(60, TimeUnit.SECONDS);
      List<Socket> slow = new ArrayList<>();
      try {
        for (int i = 0; i < 200; i++) {
          Socket socket = connect(s);
          socket.getOutputStream().write('P');
          socket.getOutputStream().flush();
          slow.add(socket);
        }
        long[] millis = probes(s, 40);
        Arrays.sort(millis);
        // The kubelet's probes time out after 1 s; the issue asks for 100 ms. A shared 2-core
        // machine can pause any thread for a scheduling slice, so the bound is on the 90th
        // percentile, and none may come near the kubelet's timeout.
        assertThat(millis[(int) (0.9 * (millis.length - 1))])
            .as(Arrays.toString(millis))
            .isLessThan(100);
        assertThat(millis[millis.length - 1]).as(Arrays.toString(millis)).isLessThan(1000);
        // Still open on the server's side: nothing to read yet, no end of stream.
        for (Socket socket : slow.subList(0, 5)) {
          socket.setSoTimeout(100);
          assertThat(millisUntilClosed(socket, System.nanoTime())).isEqualTo(-1);
        }
      } finally {
        for (Socket socket : slow) {
          socket.close();
        }
      }
    }
  }

  /** Alternating liveness and readiness probes, each on a new connection as the kubelet does. */
  static long[] probes(PredictionServer s, int n) throws IOException {
    long[] millis = new long[n];
    for (int i = 0; i < n; i++) {
      String path = i % 2 == 0 ? "/v2/health/ready" : "/v2/health/live";
      long t0 = System.nanoTime();
      try (Socket socket = connect(s)) {
        socket.setSoTimeout(2_000);
        String reply = exchange(socket, "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(reply).startsWith("HTTP/1.1 200");
      }
      millis[i] = (System.nanoTime() - t0) / 1_000_000;
    }
    return millis;
  }

  static String exchange(Socket socket, String request) throws IOException {
    OutputStream out = socket.getOutputStream();
    out.write(request.getBytes(StandardCharsets.UTF_8));
    out.flush();
    InputStream in = socket.getInputStream();
    byte[] head = new byte[12];
    int n = in.readNBytes(head, 0, head.length);
    return new String(head, 0, n, StandardCharsets.US_ASCII);
  }

  /** Reads until the server closes; the time it took, or -1 if it never did. */
  static long millisUntilClosed(Socket socket, long t0) throws IOException {
    try {
      InputStream in = socket.getInputStream();
      while (in.read() >= 0) {
        // a reply, if any, is read and dropped
      }
    } catch (java.net.SocketTimeoutException e) {
      return -1;
    } catch (java.net.SocketException e) {
      // reset by the server: closed too
    }
    return (System.nanoTime() - t0) / 1_000_000;
  }

  @Test
  void closesAConnectionThatDribblesItsHeadersPastTheHeaderTimeout() throws Exception {
    ServeConfig.Limits limits =
        ServeConfig.Limits.defaults()
            .withTimeouts(Duration.ofMillis(500), Duration.ofSeconds(30), Duration.ofSeconds(60));
    try (PredictionServer s = unloaded(ServeConfig.loopback("tiny").withLimits(limits));
        Socket socket = connect(s)) {
      long t0 = System.nanoTime();
      OutputStream out = socket.getOutputStream();
      // One byte every 100 ms: the connection is never idle, the headers never complete.
      Thread dribble =
          new Thread(
              () -> {
                try {
                  for (byte b : "GET /v2/health/ready HTTP/1.1\r\n".getBytes()) {
                    out.write(b);
                    out.flush();
                    Thread.sleep(100);
                  }
                } catch (IOException | InterruptedException e) {
                  // closed by the server: expected
                }
              });
      dribble.setDaemon(true);
      dribble.start();
      long closedAfter = millisUntilClosed(socket, t0);
      assertThat(closedAfter).isBetween(400L, 3_000L);
    }
  }

  @Test
  void answers408AndClosesWhenTheBodyStallsPastTheBodyTimeout() throws Exception {
    ServeConfig.Limits limits =
        ServeConfig.Limits.defaults()
            .withTimeouts(Duration.ofSeconds(10), Duration.ofMillis(500), Duration.ofSeconds(60));
    try (PredictionServer s = unloaded(ServeConfig.loopback("tiny").withLimits(limits));
        Socket socket = connect(s)) {
      long t0 = System.nanoTime();
      String reply =
          exchange(
              socket,
              "POST /v1/models/tiny:predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                  + "\r\nContent-Length: 100\r\n\r\n{\"instances\"");
      assertThat(reply).startsWith("HTTP/1.1 408");
      long closedAfter = millisUntilClosed(socket, t0);
      assertThat(closedAfter).isBetween(400L, 3_000L);
    }
  }

  @Test
  void aClientStillUploadingATooLargeBodyReadsThe413() throws Exception {
    try (PredictionServer s = unloaded(ServeConfig.loopback("tiny").withMaxBodyBytes(1_000));
        Socket socket = connect(s)) {
      int length = 8 << 20;
      OutputStream out = socket.getOutputStream();
      out.write(
          ("POST /v1/models/tiny:predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                  + "\r\nContent-Length: "
                  + length
                  + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      Thread upload =
          new Thread(
              () -> {
                byte[] chunk = new byte[64 * 1024];
                Arrays.fill(chunk, (byte) ' ');
                try {
                  for (int sent = 0; sent < length; sent += chunk.length) {
                    out.write(chunk);
                  }
                  out.flush();
                } catch (IOException e) {
                  // closed by the server once it stopped reading: fine, the reply came first
                }
              });
      upload.setDaemon(true);
      upload.start();
      // A client busy uploading reads late: by then a server that closed at once has reset it.
      Thread.sleep(500);
      byte[] head = new byte[12];
      int n = socket.getInputStream().readNBytes(head, 0, head.length);
      assertThat(new String(head, 0, n, StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 413");
    }
  }

  @Test
  void expectContinueGetsTheRefusalNotA100ContinueWhenTheBodyIsTooLarge() throws Exception {
    try (PredictionServer s = unloaded(ServeConfig.loopback("tiny").withMaxBodyBytes(1_000));
        Socket socket = connect(s)) {
      String reply =
          exchange(
              socket,
              "POST /v1/models/tiny:predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                  + "\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n");
      assertThat(reply).isEqualTo("HTTP/1.1 413");
    }
  }

  @Test
  void expectContinueGets100ContinueWhenTheHeadersPass() throws Exception {
    try (PredictionServer s = unloaded(ServeConfig.loopback("tiny"));
        Socket socket = connect(s)) {
      String reply =
          exchange(
              socket,
              "POST /v1/models/tiny:predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                  + "\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
      assertThat(reply).isEqualTo("HTTP/1.1 100");
    }
  }

  @Test
  void bodiesPastTheBufferedBytesBudgetGet503AndTheBudgetIsGivenBack() throws Exception {
    ServeConfig config =
        ServeConfig.loopback("tiny")
            .withMaxBodyBytes(10_000)
            .withLimits(ServeConfig.Limits.defaults().withMaxBufferedBytes(1_500));
    String head =
        "POST /v1/models/tiny:predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
            + "\r\nConnection: close\r\nContent-Length: 1000\r\n\r\n";
    byte[] body = new byte[1000];
    Arrays.fill(body, (byte) ' ');
    try (PredictionServer s = unloaded(config);
        Socket slow = connect(s)) {
      OutputStream out = slow.getOutputStream();
      out.write((head + "{").getBytes(StandardCharsets.US_ASCII)); // holds 1000 of the 1500 bytes
      out.flush();
      Thread.sleep(200);
      String refused = reply(s, head, body);
      assertThat(refused).startsWith("HTTP/1.1 503").contains("--max-buffered-bytes");
      assertThat(refused.toLowerCase(java.util.Locale.ROOT)).contains("retry-after: 1");
      out.write(body, 1, body.length - 1);
      out.flush();
      String first = new String(slow.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(first).doesNotContain("--max-buffered-bytes");
      assertThat(reply(s, head, body)).doesNotContain("--max-buffered-bytes");
    }
  }

  @Test
  void a405NamesTheAllowedMethods() throws Exception {
    try (PredictionServer s = unloaded(ServeConfig.loopback("tiny"))) {
      ServeClient c = new ServeClient(s.baseUrl());
      ServeClient.Reply predict = c.get("/v1/models/tiny:predict");
      assertThat(predict.status()).isEqualTo(405);
      assertThat(predict.header("Allow")).isEqualTo("POST");
      ServeClient.Reply ready = c.post("/v2/health/ready", "{}");
      assertThat(ready.status()).isEqualTo(405);
      assertThat(ready.header("Allow")).isEqualTo("GET, HEAD");
    }
  }

  /** One request on a new connection; the whole reply, read until the server closes. */
  static String reply(PredictionServer s, String head, byte[] body) throws IOException {
    try (Socket socket = connect(s)) {
      socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().write(body);
      socket.getOutputStream().flush();
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void keepAliveBenchClientStillWorksAfterAnIdleClose() throws Exception {
    ServeConfig.Limits limits =
        ServeConfig.Limits.defaults()
            .withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofMillis(300));
    try (PredictionServer s = unloaded(ServeConfig.loopback("tiny").withLimits(limits));
        BenchConnection c =
            new BenchConnection(URI.create(s.baseUrl() + "/v1/models/tiny:predict"))) {
      assertThat(c.post("{}".getBytes(StandardCharsets.UTF_8))).isEqualTo(400);
      Thread.sleep(800); // the server closes the idle keep-alive connection
      assertThat(c.post("{}".getBytes(StandardCharsets.UTF_8))).isEqualTo(400);
    }
  }

  @Test
  void closesAKeepAliveConnectionIdlePastTheIdleTimeout() throws Exception {
    ServeConfig.Limits limits =
        ServeConfig.Limits.defaults()
            .withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofMillis(300));
    try (PredictionServer s = unloaded(ServeConfig.loopback("tiny").withLimits(limits));
        Socket socket = connect(s)) {
      OutputStream out = socket.getOutputStream();
      out.write(
          "GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      long t0 = System.nanoTime();
      long closedAfter = millisUntilClosed(socket, t0); // reads the reply, then the end of stream
      assertThat(closedAfter).isBetween(200L, 3_000L);
    }
  }
}
