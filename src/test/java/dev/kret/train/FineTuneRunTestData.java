package dev.kret.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kret.data.KlueReDataset;
import dev.kret.data.LoadOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Small KLUE-RE files cut from the bundled sample, written once per test JVM. */
final class FineTuneRunTestData {
  static Path train;
  static Path valid;

  private FineTuneRunTestData() {}

  static synchronized void ensure() throws IOException {
    if (train != null) {
      return;
    }
    Path dir = Files.createTempDirectory("kret-data");
    dir.toFile().deleteOnExit();
    train = dir.resolve("train.json");
    valid = dir.resolve("validation.json");
    ObjectMapper json = new ObjectMapper();
    json.writeValue(
        train.toFile(),
        KlueReDataset.load("builtin:klue-re-sample", LoadOptions.defaults())
            .examples()
            .subList(0, 256));
    json.writeValue(
        valid.toFile(),
        KlueReDataset.load("builtin:klue-re-sample/validation", LoadOptions.defaults())
            .examples()
            .subList(0, 96));
  }
}
