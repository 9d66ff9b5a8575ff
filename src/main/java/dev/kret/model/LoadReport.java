package dev.kret.model;

import java.util.List;

/** What loading a checkpoint did, as from_pretrained reports it. */
public record LoadReport(
    String source, List<String> loaded, List<String> unexpected, List<String> initialized) {

  public String summary() {
    return String.format(
        "%s: %d tensors loaded, %d unexpected ignored%s, %d newly initialized%s",
        source,
        loaded.size(),
        unexpected.size(),
        unexpected.isEmpty() ? "" : " " + abbreviate(unexpected),
        initialized.size(),
        initialized.isEmpty() ? "" : " " + abbreviate(initialized));
  }

  private static String abbreviate(List<String> names) {
    return names.size() <= 6
        ? names.toString()
        : names.subList(0, 6).toString().replace("]", ", …]");
  }
}
