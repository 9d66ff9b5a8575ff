package dev.kret.hub;

/**
 * A downloaded file is not the one it is pinned to (its git blob id differs); the download was
 * deleted. Retrying the same source cannot help.
 */
public class ContentMismatchException extends HubException {

  public ContentMismatchException(String message) {
    super(message);
  }
}
