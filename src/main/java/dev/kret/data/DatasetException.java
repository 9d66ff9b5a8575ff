package dev.kret.data;

/**
 * A KLUE-RE file could not be read or holds an invalid row; the message names the source, the row
 * (0-based) and guid, and the field path.
 */
public class DatasetException extends RuntimeException {

  public DatasetException(String message) {
    super(message);
  }

  public DatasetException(String message, Throwable cause) {
    super(message, cause);
  }
}
