package dev.kret.hub;

/**
 * A model or file could not be fetched; the message names the URL (never a token) and what to do.
 */
public class HubException extends RuntimeException {

  private final int status;
  private final boolean retryable;

  public HubException(String message, int status, Throwable cause) {
    this(message, status, cause, false);
  }

  /**
   * @param retryable the source failed transiently (connection refused or reset, timeout, 429, 5xx)
   *     through every attempt: a later run may succeed, so a trainer exits 1 (the Job retries)
   *     rather than 3
   */
  public HubException(String message, int status, Throwable cause, boolean retryable) {
    super(message, cause);
    this.status = status;
    this.retryable = retryable;
  }

  public HubException(String message) {
    this(message, 0, null);
  }

  /** Whether the failure was transient (network, 429, 5xx); retrying later may help. */
  public boolean retryable() {
    return retryable;
  }

  /** The HTTP status that caused the failure, or 0 for I/O errors and bad references. */
  public int status() {
    return status;
  }
}
