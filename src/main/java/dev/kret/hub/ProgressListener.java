package dev.kret.hub;

/** Reports download progress; called from the downloading thread, so keep it cheap. */
@FunctionalInterface
public interface ProgressListener {

  ProgressListener NONE = (url, file, bytes, total) -> {};

  /**
   * @param url the URL being downloaded
   * @param file the file name inside the model directory (or the data file's name)
   * @param bytes bytes written so far
   * @param total expected size from Content-Length, or -1 when unknown
   */
  void onProgress(String url, String file, long bytes, long total);
}
