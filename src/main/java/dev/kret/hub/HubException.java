package dev.kret.hub;

/**
 * A model or file could not be fetched; the message names the URL (never a token) and what to do.
 */
public class HubException extends RuntimeException {

  private final int status;

  public HubException(String message, int status, Throwable cause) {
    super(message, cause);
    this.status = status;
  }

  public HubException(String message) {
    this(message, 0, null);
  }

  /** The HTTP status that caused the failure, or 0 for I/O errors and bad references. */
  public int status() {
    return status;
  }
}
