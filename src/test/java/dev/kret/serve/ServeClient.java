package dev.kret.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A tiny blocking HTTP client for the endpoint tests. */
final class ServeClient {
  static final ObjectMapper JSON = new ObjectMapper();
  final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  final String base;

  record Reply(int status, String body, java.net.http.HttpHeaders headers) {
    String header(String name) {
      return headers.firstValue(name).orElse(null);
    }

    JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new UncheckedIOException(body, e);
      }
    }
  }

  ServeClient(String base) {
    this.base = base;
  }

  Reply get(String path) {
    return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
  }

  Reply post(String path, Object body) {
    try {
      String s = body instanceof String str ? str : JSON.writeValueAsString(body);
      return post(path, s, "application/json");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  Reply post(String path, String body, String contentType) {
    return send(
        HttpRequest.newBuilder(URI.create(base + path))
            .header("Content-Type", contentType)
            .POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  /** A JSON POST with one more header (X-Request-Id, say). */
  Reply post(String path, Object body, String header, String value) {
    try {
      String s = body instanceof String str ? str : JSON.writeValueAsString(body);
      return send(
          HttpRequest.newBuilder(URI.create(base + path))
              .header("Content-Type", "application/json")
              .header(header, value)
              .POST(HttpRequest.BodyPublishers.ofString(s)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Reply send(HttpRequest.Builder b) {
    try {
      HttpResponse<String> r =
          http.send(
              b.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
      return new Reply(r.statusCode(), r.body(), r.headers());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
