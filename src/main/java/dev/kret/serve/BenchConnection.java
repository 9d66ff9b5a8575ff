package dev.kret.serve;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * One keep-alive HTTP/1.1 connection of the load generator: writes a POST, reads the status line,
 * the headers and a Content-Length body. It shares the cores with the server, so it does only that:
 * java.net.http's client cost ~0.2 ms of CPU per request here, as much as half of what the server
 * spends, and made the benchmark measure its own client.
 */
final class BenchConnection implements AutoCloseable {
  private final URI uri;
  private final byte[] head;
  private Socket socket;
  private InputStream in;
  private OutputStream out;

  BenchConnection(URI uri) {
    this.uri = uri;
    this.head =
        ("POST "
                + uri.getRawPath()
                + " HTTP/1.1\r\nHost: "
                + uri.getHost()
                + ":"
                + uri.getPort()
                + "\r\nContent-Type: application/json\r\nContent-Length: ")
            .getBytes(StandardCharsets.US_ASCII);
  }

  /** Sends one request; returns the status code (the body is read and dropped). */
  int post(byte[] body) throws IOException {
    if (socket == null) {
      connect();
    }
    try {
      return exchange(body);
    } catch (IOException e) {
      // The server may close an idle keep-alive connection; one fresh attempt.
      close();
      connect();
      return exchange(body);
    }
  }

  private void connect() throws IOException {
    socket = new Socket();
    socket.setTcpNoDelay(true);
    socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 10_000);
    socket.setSoTimeout(120_000);
    in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
    out = socket.getOutputStream();
  }

  private int exchange(byte[] body) throws IOException {
    ByteArrayOutputStream req = new ByteArrayOutputStream(head.length + body.length + 16);
    req.writeBytes(head);
    req.writeBytes((body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    req.writeBytes(body);
    out.write(req.toByteArray());
    out.flush();
    String status = line();
    if (!status.startsWith("HTTP/1.1 ") || status.length() < 12) {
      throw new IOException("bad status line: " + status);
    }
    int code = Integer.parseInt(status.substring(9, 12));
    long length = 0;
    boolean close = false;
    for (String h = line(); !h.isEmpty(); h = line()) {
      String lower = h.toLowerCase(Locale.ROOT);
      if (lower.startsWith("content-length:")) {
        length = Long.parseLong(lower.substring("content-length:".length()).strip());
      } else if (lower.startsWith("connection:") && lower.contains("close")) {
        close = true;
      } else if (lower.startsWith("transfer-encoding:")) {
        throw new IOException("chunked responses are not expected from the server");
      }
    }
    in.skipNBytes(length);
    if (close) {
      close();
    }
    return code;
  }

  private String line() throws IOException {
    StringBuilder b = new StringBuilder();
    while (true) {
      int c = in.read();
      if (c < 0) {
        throw new EOFException("connection closed");
      }
      if (c == '\n') {
        int n = b.length();
        return n > 0 && b.charAt(n - 1) == '\r' ? b.substring(0, n - 1) : b.toString();
      }
      b.append((char) c);
    }
  }

  @Override
  public void close() {
    if (socket != null) {
      try {
        socket.close();
      } catch (IOException ignored) {
        // nothing to free beyond the socket
      }
      socket = null;
    }
  }
}
