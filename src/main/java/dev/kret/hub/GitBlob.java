package dev.kret.hub;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Git's object id of a file's content, as {@code git hash-object FILE} prints it: {@code sha1("blob
 * " + size + "\0" + bytes)}. A file in a public repository is pinned by it with no other checksum
 * published.
 */
public final class GitBlob {

  private GitBlob() {}

  /** The blob id of a file, lower-case hex. */
  public static String id(Path file) throws IOException {
    MessageDigest sha1 = sha1();
    sha1.update(header(Files.size(file)));
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buffer = new byte[64 * 1024];
      int n;
      while ((n = in.read(buffer)) >= 0) {
        sha1.update(buffer, 0, n);
      }
    }
    return HexFormat.of().formatHex(sha1.digest());
  }

  /** The blob id of bytes in memory. */
  public static String id(byte[] bytes) {
    MessageDigest sha1 = sha1();
    sha1.update(header(bytes.length));
    sha1.update(bytes);
    return HexFormat.of().formatHex(sha1.digest());
  }

  private static byte[] header(long size) {
    return ("blob " + size + "\0").getBytes(StandardCharsets.US_ASCII);
  }

  private static MessageDigest sha1() {
    try {
      return MessageDigest.getInstance("SHA-1");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is required of every JVM", e);
    }
  }
}
