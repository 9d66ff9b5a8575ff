package dev.kret.serve;

/** A request the server refuses: HTTP status, a metrics kind, and a message naming the field. */
public final class ServeError extends RuntimeException {

  /** Error kinds, the {@code kind} label of {@code kret_serve_errors_total}. */
  public enum Kind {
    INVALID_JSON(400),
    WRONG_TYPE(400),
    MISSING_FIELD(400),
    INVALID_SPAN(400),
    WORD_MISMATCH(400),
    UNKNOWN_TYPE(400),
    EMPTY_SENTENCE(400),
    EMPTY_INSTANCES(400),
    TOO_LONG(400),
    INVALID_SHAPE(400),
    REQUEST_TIMEOUT(408),
    UNKNOWN_MODEL(404),
    NOT_FOUND(404),
    METHOD_NOT_ALLOWED(405),
    BODY_TOO_LARGE(413),
    TOO_MANY_INSTANCES(413),
    UNSUPPORTED_MEDIA_TYPE(415),
    NOT_READY(503),
    SHUTTING_DOWN(503),
    QUEUE_FULL(503),
    /** Too many request body bytes held at once (--max-buffered-bytes). */
    OVERLOADED(503),
    QUEUE_TIMEOUT(503),
    BATCHER_STOPPED(503),
    /** The client closed the connection before the reply (nginx's 499); never sent. */
    CLIENT_CLOSED(499),
    INTERNAL(500);

    final int status;

    Kind(int status) {
      this.status = status;
    }

    public int status() {
      return status;
    }

    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private final Kind kind;

  public ServeError(Kind kind, String message) {
    super(message, null, false, false);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }

  public int status() {
    return kind.status;
  }
}
