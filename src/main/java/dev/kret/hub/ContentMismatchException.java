package dev.kret.hub;

/**
 * A downloaded file is not the one it is pinned to (its git blob id, or the sha256 its hub names,
 * differs, the latter in two transfers); the download was deleted. Retrying the same source cannot
 * help.
 */
public class ContentMismatchException extends HubException {

  public ContentMismatchException(String message) {
    super(message);
  }
}
