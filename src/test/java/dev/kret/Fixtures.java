package dev.kret;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The tests' golden fixtures, checked in under {@code src/test/resources/fixtures} (provenance in
 * its README.md) and read from the test classpath ({@code target/test-classes/fixtures}), so a
 * fresh clone needs nothing outside the repository.
 */
public final class Fixtures {

  public static final Path DIR = locate();

  /** A tiny RoBERTa in Hugging Face naming, both weight formats, with golden logits. */
  public static final Path TINY_ROBERTA = DIR.resolve("tiny-roberta-klue-re");

  /** klue/roberta-base's tokenizer files with published encodings ({@code test_vectors.json}). */
  public static final Path KLUE_ROBERTA_TOKENIZER = DIR.resolve("tokenizers/klue-roberta-base");

  /** The official KLUE-RE metrics computed by scikit-learn on fixed labels and probabilities. */
  public static final Path KLUE_RE_METRICS = DIR.resolve("klue-re-metrics/golden.json");

  /** The first 300 rows of the KLUE-RE v1.1 training set, unmodified (CC BY-SA 4.0). */
  public static final Path KLUE_RE_TRAIN_SLICE = DIR.resolve("klue-re/train-first-300.json");

  /** The first 50 rows of the KLUE-RE v1.1 dev half, unmodified (CC BY-SA 4.0). */
  public static final Path KLUE_RE_DEV_SLICE = DIR.resolve("klue-re/dev-first-50.json");

  private static Path locate() {
    URL readme = Fixtures.class.getResource("/fixtures/README.md");
    if (readme == null || !"file".equals(readme.getProtocol())) {
      throw new IllegalStateException(
          "the test fixtures are not on the classpath as files (src/test/resources/fixtures): "
              + readme);
    }
    try {
      Path dir = Path.of(readme.toURI()).getParent().toAbsolutePath();
      if (!Files.isRegularFile(dir.resolve("tiny-roberta-klue-re/model.safetensors"))) {
        throw new IllegalStateException("incomplete test fixtures in " + dir);
      }
      return dir;
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private Fixtures() {}
}
